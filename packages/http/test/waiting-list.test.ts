import { afterEach, describe, expect, it } from 'vitest';
import { generalSale, startApi, type TestApi } from './support';

/** Reads SSE frames of a fetch response until `done` says stop; the frames so far. */
async function framesOf(
  response: Response,
  done: (frames: Array<{ event: string; data: { state?: string } }>) => boolean,
): Promise<Array<{ event: string; data: { state?: string } }>> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const frames: Array<{ event: string; data: { state?: string } }> = [];
  let buffer = '';
  const deadline = Date.now() + 10_000;
  while (!done(frames)) {
    if (Date.now() > deadline) throw new Error(`no such frame: ${JSON.stringify(frames)}`);
    const { value, done: ended } = await reader.read();
    if (ended) break;
    buffer += decoder.decode(value, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) frames.push({ event, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  return frames;
}

describe('the waiting list over HTTP', () => {
  let t: TestApi;
  afterEach(async () => t?.close());

  it('streams a place from WAITING to an offer, and a declined offer lapses and goes on', async () => {
    t = await startApi({ sales: [generalSale({ capacity: 1 })], worker: false });
    const claim = (offerId: string, user: string) =>
      t.call('POST', `/sales/ga/waiting-list/offers/${offerId}/claim`, { user });
    const held = await t.call('POST', '/sales/ga/reservations', {
      user: 'ana',
      headers: { 'idempotency-key': 'a', 'x-admission-token': await t.admit('ana') },
      body: { quantity: 1 },
    });
    expect(held.status).toBe(201);
    const { reservation } = (await held.json()) as { reservation: { id: string } };
    // general admission takes no seat fallback
    const fallback = await t.call('POST', '/sales/ga/waiting-list', {
      user: 'ben',
      body: { size: 1, fallback: 'refuse' },
    });
    expect(fallback.status).toBe(400);
    expect(((await fallback.json()) as { error: { code: string } }).error.code).toBe('WRONG_SELECTION');
    for (const user of ['ben', 'cy']) {
      expect((await t.call('POST', '/sales/ga/waiting-list', { user, body: { size: 1 } })).status).toBe(201);
    }
    const again = await t.call('POST', '/sales/ga/waiting-list', { user: 'ben', body: { size: 1 } });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({
      alreadyJoined: true,
      waitingList: { state: 'WAITING', ahead: 0 },
    });
    expect((await t.call('GET', '/sales/ga/waiting-list/stream', { user: 'dan' })).status).toBe(404);

    const stream = await t.call('GET', '/sales/ga/waiting-list/stream', { user: 'ben' });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    // ana gives her unit back: the list offers it to ben, and his stream hears it
    expect((await t.call('DELETE', `/sales/ga/reservations/${reservation.id}`, { user: 'ana' })).status).toBe(
      200,
    );
    await t.sale().waitingList?.offerFreed();
    const frames = await framesOf(stream, (f) => f.some((x) => x.data.state === 'OFFERED'));
    expect(frames[0]).toMatchObject({ event: 'waiting-list', data: { state: 'WAITING' } });
    expect(frames.at(-1)).toMatchObject({ event: 'waiting-list', data: { state: 'OFFERED' } });

    const offered = (await (await t.call('GET', '/sales/ga/waiting-list', { user: 'ben' })).json()) as {
      waitingList: { offer: { offerId: string } };
    };
    // ben declines: his offer's unit is released at once, and his place is LAPSED
    expect((await t.call('DELETE', '/sales/ga/waiting-list', { user: 'ben' })).status).toBe(204);
    const lapsed = (await (await t.call('GET', '/sales/ga/waiting-list', { user: 'ben' })).json()) as {
      waitingList: { state: string };
    };
    expect(lapsed.waitingList.state).toBe('LAPSED');
    const late = await claim(offered.waitingList.offer.offerId, 'ben');
    expect(late.status).toBe(410);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe('OFFER_EXPIRED');
    await t.sale().waitingList?.offerFreed();
    const cy = (await (await t.call('GET', '/sales/ga/waiting-list', { user: 'cy' })).json()) as {
      waitingList: { state: string; offer: { offerId: string } };
    };
    expect(cy.waitingList.state).toBe('OFFERED');
    const claimed = await claim(cy.waitingList.offer.offerId, 'cy');
    expect(claimed.status).toBe(201);
    const twice = await claim(cy.waitingList.offer.offerId, 'cy');
    expect(await twice.json()).toMatchObject({
      error: { code: 'ALREADY_CLAIMED', reservationId: cy.waitingList.offer.offerId },
    });
    const counts = await t.runtime.ports.inventory.counts('ga');
    expect(counts.available + counts.held + counts.confirmed).toBe(counts.initialStock);
  });
});
