import { afterEach, describe, expect, it } from 'vitest';
import { seatedSale, startApi, type TestApi } from './support';

describe('the buyer API over node:http', () => {
  let t: TestApi;
  afterEach(async () => t?.close());

  it('takes a buyer from the queue to a confirmed reservation', async () => {
    t = await startApi();
    const joined = await t.call('POST', '/sales/ga/queue', { user: 'ana', body: {} });
    expect(joined.status).toBe(201);
    expect(((await joined.json()) as { queue: { state: string } }).queue.state).toBe('WAITING');
    await t.sale().queue.tick();
    const status = (await (await t.call('GET', '/sales/ga/queue', { user: 'ana' })).json()) as {
      queue: { state: string; admissionToken: string };
    };
    expect(status.queue.state).toBe('ADMITTED');

    const reserve = () =>
      t.call('POST', '/sales/ga/reservations', {
        user: 'ana',
        headers: { 'idempotency-key': 'k1', 'x-admission-token': status.queue.admissionToken },
        body: { quantity: 2 },
      });
    const held = await reserve();
    expect(held.status).toBe(201);
    const { reservation } = (await held.json()) as {
      reservation: { id: string; status: string; amountCents: number };
    };
    expect(reservation).toMatchObject({ status: 'HELD', amountCents: 10_000 });
    // a retry with the same key answers the original outcome
    const replay = await reserve();
    expect(replay.status).toBe(200);
    expect(((await replay.json()) as { reservation: { id: string } }).reservation.id).toBe(reservation.id);

    await t.runtime.drain();
    const final = (await (
      await t.call('GET', `/sales/ga/reservations/${reservation.id}`, { user: 'ana' })
    ).json()) as {
      reservation: { status: string };
    };
    expect(final.reservation.status).toBe('CONFIRMED');
    // another buyer cannot see it
    expect((await t.call('GET', `/sales/ga/reservations/${reservation.id}`, { user: 'ben' })).status).toBe(
      404,
    );
  });

  it("describes a sale with its seat map's sections, its state now and the server's time", async () => {
    const definition = seatedSale();
    t = await startApi({ sales: [definition] });
    const before = Date.now();
    const answer = await t.call('GET', '/sales/seated');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const text = await answer.text();
    expect(Number(answer.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    const body = JSON.parse(text) as { sale: Record<string, unknown>; now: number };
    expect(body.sale).toEqual({
      id: 'seated',
      name: 'Seated concert',
      kind: 'assigned',
      tier: null,
      tiers: [{ id: 'std', name: 'Standard', priceCents: 4_000 }],
      holdMs: 60_000,
      ticketsPerUser: 4,
      opensAt: 0,
      // the seat map as defined: sections, rows and seats with their labels and tiers
      sections: definition.inventory.kind === 'assigned' ? definition.inventory.sections : [],
      state: 'OPEN',
    });
    expect(body.now).toBeGreaterThanOrEqual(before);
    // the state is read per request, not cached with the description
    await t.sale('seated').pause();
    const paused = (await (await t.call('GET', '/sales/seated')).json()) as { sale: { state: string } };
    expect(paused.sale.state).toBe('PAUSED');
  });

  it('scopes idempotency keys per buyer: the same key of two buyers makes two reservations', async () => {
    t = await startApi();
    const tokens = { ana: await t.admit('ana'), ben: await t.admit('ben') };
    const ids: string[] = [];
    for (const user of ['ana', 'ben'] as const) {
      const res = await t.call('POST', '/sales/ga/reservations', {
        user,
        headers: { 'idempotency-key': 'same-key', 'x-admission-token': tokens[user] },
        body: { quantity: 1 },
      });
      expect(res.status).toBe(201);
      ids.push(((await res.json()) as { reservation: { id: string } }).reservation.id);
    }
    expect(new Set(ids).size).toBe(2);
  });

  it('reserves a group of adjacent seats, extends and releases it', async () => {
    t = await startApi({ sales: [seatedSale()], worker: false });
    const token = await t.admit('ana', 'seated');
    const group = await t.call('POST', '/sales/seated/group-reservations', {
      user: 'ana',
      headers: { 'idempotency-key': 'g1', 'x-admission-token': token },
      body: { size: 3 },
    });
    expect(group.status).toBe(201);
    const body = (await group.json()) as {
      reservation: { id: string; seatIds: string[] };
      adjacent: boolean;
    };
    expect(body.adjacent).toBe(true);
    expect(body.reservation.seatIds).toHaveLength(3);
    const extended = await t.call('POST', `/sales/seated/reservations/${body.reservation.id}/extend`, {
      user: 'ana',
    });
    expect(extended.status, await extended.clone().text()).toBe(200);
    const released = await t.call('DELETE', `/sales/seated/reservations/${body.reservation.id}`, {
      user: 'ana',
    });
    expect(released.status).toBe(200);
    expect(((await released.json()) as { reservation: { status: string } }).reservation.status).toBe(
      'RELEASED',
    );
    const seats = (await (await t.call('GET', '/sales/seated/seats')).json()) as {
      counts: { available: number };
    };
    expect(seats.counts.available).toBe(8);
  });

  it('answers heartbeats and leaving the queue', async () => {
    t = await startApi();
    await t.call('POST', '/sales/ga/queue', { user: 'ana', body: {} });
    expect((await t.call('POST', '/sales/ga/queue/heartbeat', { user: 'ana' })).status).toBe(200);
    expect((await t.call('DELETE', '/sales/ga/queue', { user: 'ana' })).status).toBe(204);
    expect((await t.call('GET', '/sales/ga/queue', { user: 'ana' })).status).toBe(404);
  });

  it('lets a buyer join the waiting list only once the sale is sold out', async () => {
    t = await startApi({ worker: false });
    const early = await t.call('POST', '/sales/ga/waiting-list', { user: 'dan', body: { size: 1 } });
    expect(early.status).toBe(409);
    for (const [user, quantity] of [
      ['ana', 4],
      ['ben', 4],
      ['cy', 2],
    ] as const) {
      const res = await t.call('POST', '/sales/ga/reservations', {
        user,
        headers: { 'idempotency-key': 'k', 'x-admission-token': await t.admit(user) },
        body: { quantity },
      });
      expect(res.status, await res.clone().text()).toBe(201);
    }
    const joined = await t.call('POST', '/sales/ga/waiting-list', { user: 'dan', body: { size: 1 } });
    expect(joined.status).toBe(201);
    const place = (await (await t.call('GET', '/sales/ga/waiting-list', { user: 'dan' })).json()) as {
      waitingList: { state: string };
    };
    expect(place.waitingList.state).toBe('WAITING');
    expect((await t.call('DELETE', '/sales/ga/waiting-list', { user: 'dan' })).status).toBe(204);
  });

  it('answers 401 without a buyer and 404 for an unknown sale', async () => {
    t = await startApi();
    expect((await t.call('POST', '/sales/ga/queue', { body: {} })).status).toBe(401);
    expect((await t.call('GET', '/sales/nope/queue', { user: 'ana' })).status).toBe(404);
    expect((await t.call('GET', '/no-such-route')).status).toBe(404);
  });
});
