import { afterEach, describe, expect, it } from 'vitest';
import { type AnswerEvent, createSeatRushHttp } from '../src';
import { generalSale, OPERATOR_TOKEN, startApi, type TestApi } from './support';

describe('the buyer API: where a buyer is, coming back, and the health it feeds', () => {
  let t: TestApi;
  afterEach(async () => t?.close());

  it('answers where the buyer is with 200 either way: queue/place and waiting-list/place', async () => {
    t = await startApi();
    const nowhere = await t.call('GET', '/sales/ga/queue/place', { user: 'ana' });
    expect(nowhere.status).toBe(200);
    expect(nowhere.headers.get('cache-control')).toBe('no-store');
    expect(await nowhere.json()).toEqual({ queue: null });
    await t.call('POST', '/sales/ga/queue', { user: 'ana', body: {} });
    const waiting = (await (await t.call('GET', '/sales/ga/queue/place', { user: 'ana' })).json()) as {
      queue: { state: string; ticket: number };
    };
    expect(waiting.queue).toMatchObject({ state: 'WAITING', ticket: 1 });
    const list = await t.call('GET', '/sales/ga/waiting-list/place', { user: 'ana' });
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({ waitingList: null });
    expect((await t.call('GET', '/sales/ga/queue/place')).status).toBe(401);
  });

  it("answers a saved reservation's status with 200 either way: the buyer's own, or null for a stale or foreign id", async () => {
    t = await startApi();
    const held = await t.call('POST', '/sales/ga/reservations', {
      user: 'ana',
      headers: { 'idempotency-key': 'k1', 'x-admission-token': await t.admit('ana') },
      body: { quantity: 1 },
    });
    const { reservation } = (await held.json()) as { reservation: { id: string } };
    const own = await t.call('GET', `/sales/ga/reservations/${reservation.id}/status`, { user: 'ana' });
    expect(own.status).toBe(200);
    expect(own.headers.get('cache-control')).toBe('no-store');
    expect(await own.json()).toMatchObject({ reservation: { id: reservation.id } });
    // a page's saved id the server no longer knows, and someone else's: both an answer, not a 404
    for (const [user, id] of [
      ['ana', 'r-gone-long-ago'],
      ['ben', reservation.id],
    ] as const) {
      const answer = await t.call('GET', `/sales/ga/reservations/${id}/status`, { user });
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ reservation: null });
    }
    // the reservation's own route still answers 404 for them (a client that asks for one it expects)
    expect((await t.call('GET', '/sales/ga/reservations/r-gone-long-ago', { user: 'ana' })).status).toBe(404);
    expect((await t.call('GET', `/sales/ga/reservations/${reservation.id}/status`)).status).toBe(401);
  });

  it('admits a buyer the room lost again from their admission token on a rejoin, and only them', async () => {
    t = await startApi();
    const token = await t.admit('ana');
    // the room forgets ana (as a wiped store would): she is no longer in it
    expect((await t.call('DELETE', '/sales/ga/queue', { user: 'ana' })).status).toBe(204);
    expect((await t.call('GET', '/sales/ga/queue', { user: 'ana' })).status).toBe(404);
    // another buyer's join with ana's token is queued as anyone's
    const thief = await t.call('POST', '/sales/ga/queue', { user: 'ben', body: { admissionToken: token } });
    expect(thief.status).toBe(201);
    expect(((await thief.json()) as { queue: { state: string } }).queue.state).toBe('WAITING');
    const back = await t.call('POST', '/sales/ga/queue', { user: 'ana', body: { admissionToken: token } });
    expect(back.status).toBe(201);
    const { queue } = (await back.json()) as { queue: { state: string; admissionToken?: string } };
    expect(queue.state).toBe('ADMITTED');
    expect(queue.admissionToken).toBeTruthy();
    const held = await t.call('POST', '/sales/ga/reservations', {
      user: 'ana',
      headers: { 'idempotency-key': 'k1', 'x-admission-token': queue.admissionToken as string },
      body: { quantity: 1 },
    });
    expect(held.status).toBe(201);
    // a token that is not one is bad input, and queues nobody
    const bad = await t.call('POST', '/sales/ga/queue', { user: 'cy', body: { admissionToken: '' } });
    expect(bad.status).toBe(400);
    expect((await t.call('GET', '/sales/ga/queue', { user: 'cy' })).status).toBe(404);
  });

  it("feeds adaptive admission's health meter with the reserves that reached the stock", async () => {
    t = await startApi({ sales: [generalSale({ capacity: 1 })], worker: false });
    const recorded: Array<{ held: boolean }> = [];
    const sale = t.sale();
    const record = sale.adaptive.record.bind(sale.adaptive);
    sale.adaptive.record = (sample) => {
      recorded.push({ held: sample.held });
      expect(sample.latencyMs).toBeGreaterThanOrEqual(0);
      return record(sample);
    };
    const reserve = (user: string, token: string, key: string) =>
      t.call('POST', '/sales/ga/reservations', {
        user,
        headers: { 'idempotency-key': key, 'x-admission-token': token },
        body: { quantity: 1 },
      });
    const ana = await t.admit('ana');
    const ben = await t.admit('ben');
    expect((await reserve('ana', ana, 'a')).status).toBe(201);
    expect((await reserve('ben', ben, 'b')).status).toBe(409); // SOLD_OUT: reached the stock
    expect((await reserve('cy', 'not-a-token', 'c')).status).toBe(403); // NOT_ADMITTED: did not
    expect(recorded).toEqual([{ held: true }, { held: false }]);
  });

  it('defines a sale as DRAFT with ?start=false and warms it up on the operator route', async () => {
    t = await startApi();
    const operator = { authorization: `Bearer ${OPERATOR_TOKEN}` };
    const defined = await t.call('POST', '/operator/sales?start=false', {
      headers: operator,
      body: generalSale({ id: 'later' }),
    });
    expect(defined.status).toBe(201);
    expect(((await defined.json()) as { sale: { state: string } }).sale.state).toBe('DRAFT');
    expect(await t.sale('later').isWarm()).toBe(false);
    const warmed = await t.call('POST', '/operator/sales/later/warm-up', { headers: operator });
    expect(warmed.status).toBe(200);
    expect(await t.sale('later').isWarm()).toBe(true);
    const twice = await t.call('POST', '/operator/sales/later/warm-up', { headers: operator });
    expect(twice.status).toBe(409);
    expect(((await twice.json()) as { error: { code: string } }).error.code).toBe('INVALID_TRANSITION');
    expect((await t.call('POST', '/operator/sales/later/warm-up')).status).toBe(401);
  });

  it('tells observe of every answer, by route pattern and with the refusal code', async () => {
    const answers: AnswerEvent[] = [];
    t = await startApi({ http: { observe: (answer) => answers.push(answer) } });
    await t.call('GET', '/sales/ga');
    await t.call('GET', '/sales/ga/queue', { user: 'ana' });
    await t.call('GET', '/not-ours');
    expect(
      answers.map(({ method, route, params, status, code }) => ({ method, route, params, status, code })),
    ).toEqual([
      { method: 'GET', route: '/sales/:saleId', params: { saleId: 'ga' }, status: 200, code: undefined },
      {
        method: 'GET',
        route: '/sales/:saleId/queue',
        params: { saleId: 'ga' },
        status: 404,
        code: 'NOT_IN_QUEUE',
      },
    ]);
    expect(answers.every((a) => a.durationMs >= 0)).toBe(true);
  });

  it('answers join and status with the status codes the host chose per state, and PRE_QUEUE with the opening', async () => {
    const opensAt = Date.now() + 3_600_000;
    t = await startApi({
      http: { queueStatusCodes: { WAITING: 202, PRE_QUEUE: 202 } },
    });
    const joined = await t.call('POST', '/sales/ga/queue', { user: 'ana', body: {} });
    expect(joined.status).toBe(202);
    expect((await t.call('GET', '/sales/ga/queue', { user: 'ana' })).status).toBe(202);
    await t.sale().queue.tick();
    const admitted = await t.call('GET', '/sales/ga/queue', { user: 'ana' });
    expect(admitted.status).toBe(200);
    expect(admitted.headers.get('retry-after')).toBeNull();
    // a pre-queue: who comes before the opening is drawn in a random order at it
    await t.runtime.define(generalSale({ id: 'later', opensAt }), { queueing: { preQueue: true } });
    const early = await t.call('POST', '/sales/later/queue', { user: 'ben', body: {} });
    expect(early.status).toBe(202);
    const body = (await early.json()) as { queue: { state: string; opensAt?: number; refreshMs: number } };
    expect(body.queue).toMatchObject({ state: 'PRE_QUEUE', opensAt, refreshMs: 30_000 });
    expect(early.headers.get('retry-after')).toBe('30');
    expect(() =>
      createSeatRushHttp({
        runtime: t.runtime,
        identify: () => null,
        authorizeOperator: () => false,
        queueStatusCodes: { WAITING: 500 },
      }),
    ).toThrow(/queueStatusCodes/);
  });

  it('spends the joins of an address group on its own budget when the host sets joinsPerAddress', async () => {
    const slow = (burst: number) => ({ perSecond: 0.001, burst });
    t = await startApi({ http: { limits: { joins: slow(5), joinsPerAddress: slow(2) } } });
    expect((await t.call('POST', '/sales/ga/queue', { user: 'ana', body: {} })).status).toBe(201);
    expect((await t.call('POST', '/sales/ga/queue', { user: 'ben', body: {} })).status).toBe(201);
    const third = await t.call('POST', '/sales/ga/queue', { user: 'cy', body: {} });
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: { scope: string } }).error.scope).toBe('joins');
    expect((await t.call('GET', '/sales/ga/queue', { user: 'cy' })).status).toBe(404);
  });

  it('puts a waiting buyer back at their ticket from their queue pass when the room lost its state', async () => {
    const first = await startApi();
    let pass: string;
    try {
      for (const user of ['ana', 'ben', 'cy']) {
        expect((await first.call('POST', '/sales/ga/queue', { user, body: {} })).status).toBe(201);
      }
      const place = (await (await first.call('GET', '/sales/ga/queue', { user: 'cy' })).json()) as {
        queue: { ticket: number; queuePass?: string };
      };
      expect(place.queue.ticket).toBe(3);
      expect(place.queue.queuePass).toEqual(expect.any(String));
      pass = place.queue.queuePass as string;
    } finally {
      await first.close();
    }
    // the same sale on a room that knows nobody (a wiped store), signed with the same secret
    t = await startApi();
    const early = await t.call('POST', '/sales/ga/queue', { user: 'dan', body: {} });
    expect(early.status).toBe(201);
    const stolen = await t.call('POST', '/sales/ga/queue', { user: 'eve', body: { queuePass: pass } });
    expect(((await stolen.json()) as { queue: { ticket: number } }).queue.ticket).not.toBe(3);
    const back = await t.call('POST', '/sales/ga/queue', { user: 'cy', body: { queuePass: pass } });
    expect(back.status).toBe(201);
    const { queue } = (await back.json()) as { queue: { ticket: number; state: string } };
    expect(queue).toMatchObject({ state: 'WAITING', ticket: 3 });
  });

  it("reads seat maps where the host says (a read side), and describes a general sale's tier", async () => {
    const reads: string[] = [];
    t = await startApi({
      http: {
        seatMap: async (saleId) => {
          reads.push(saleId);
          return { states: {}, counts: { initialStock: 10, available: 7, held: 2, confirmed: 1 } };
        },
      },
    });
    const map = (await (await t.call('GET', '/sales/ga/seats')).json()) as { counts: { available: number } };
    expect(map.counts).toEqual({ initialStock: 10, available: 7, held: 2, confirmed: 1 });
    expect(reads).toEqual(['ga']);
    const { sale } = (await (await t.call('GET', '/sales/ga')).json()) as { sale: { tier: string | null } };
    expect(sale.tier).toBe('std');
  });

  it('lets an operator turn adaptive admission on, refuses a bad policy, and adjusts on demand', async () => {
    t = await startApi();
    const operator = { authorization: `Bearer ${OPERATOR_TOKEN}` };
    const off = await t.call('POST', '/operator/sales/ga/adaptive/adjust', { headers: operator });
    expect(off.status).toBe(409);
    expect(((await off.json()) as { error: { code: string } }).error.code).toBe('ADAPTIVE_OFF');
    const bad = await t.call('PUT', '/operator/sales/ga/adaptive', {
      headers: operator,
      body: { enabled: true, minUsersPerInterval: 50, maxUsersPerInterval: 10 },
    });
    expect(bad.status).toBe(400);
    const unknown = await t.call('PUT', '/operator/sales/ga/adaptive', {
      headers: operator,
      body: { speed: 1 },
    });
    expect(unknown.status).toBe(400);
    expect(
      (
        (await (await t.call('GET', '/operator/sales/ga/adaptive', { headers: operator })).json()) as {
          adaptive: { enabled: boolean };
        }
      ).adaptive.enabled,
    ).toBe(false);
    const on = await t.call('PUT', '/operator/sales/ga/adaptive', {
      headers: operator,
      body: { enabled: true, minUsersPerInterval: 2, maxUsersPerInterval: 40 },
    });
    expect(on.status).toBe(200);
    expect(((await on.json()) as { adaptive: { enabled: boolean } }).adaptive.enabled).toBe(true);
    const adjusted = await t.call('POST', '/operator/sales/ga/adaptive/adjust', { headers: operator });
    expect(adjusted.status).toBe(200);
    expect(await adjusted.json()).toMatchObject({
      decision: expect.any(Object),
      adaptive: { enabled: true },
    });
    expect((await t.call('GET', '/operator/sales/ga/adaptive')).status).toBe(401);
  });
});
