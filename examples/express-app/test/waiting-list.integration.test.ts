import { afterAll, describe, expect, it } from 'vitest';
import { EventStream, holdPayments, waitUntil } from './support/event-stream';
import { Buyer, generalSale, openSale, operator, serversSuite } from './support/harness';
import { joinWaitingList } from './support/waiting-list';

describe('the waiting list on Redis, Kafka and PostgreSQL', () => {
  const suite = serversSuite('waitinglist', { DEMO_SALE: 'none' });
  let stream: EventStream | undefined;
  afterAll(() => stream?.close());

  it('lets exactly one of 200 concurrent claims on one offer through, and the stock adds up', async () => {
    const { app } = suite;
    const sale = 'wl-redis';
    await openSale(app.url, generalSale(sale, 1));
    const gate = holdPayments(app);
    const ann = await new Buyer(app.url).login('Redis-Ann');
    gate.block(ann.userId);
    await ann.enter(sale);
    const held = await ann.reserve(sale, { quantity: 1 }, 'redis-ann-1');
    expect(held.status).toBe(201);

    const winner = await new Buyer(app.url).login('Redis-Bo');
    const others = await Promise.all(
      Array.from({ length: 10 }, (_, i) => new Buyer(app!.url).login(`Redis-other-${i}`)),
    );
    const path = `/api/sales/${sale}/waiting-list`;
    expect((await joinWaitingList(winner, sale, { size: 1 })).status).toBe(201);
    for (const other of others.slice(0, 5)) {
      expect((await joinWaitingList(other, sale, { size: 1 })).status).toBe(201);
    }
    stream = await EventStream.open(winner, `${path}/stream`);

    const released = await ann.request(
      'DELETE',
      `/api/sales/${sale}/reservations/${held.body.reservation.id}`,
    );
    expect(released.status).toBe(200);
    gate.open();
    const pushed = await stream.next((e) => e.event === 'waiting-list' && e.data.state === 'OFFERED');
    const offerId: string = pushed.data.offer.offerId;

    const claim = `${path}/offers/${offerId}/claim`;
    const answers = await Promise.all([
      ...Array.from({ length: 100 }, () => winner.request('POST', claim)),
      ...others.flatMap((other) => Array.from({ length: 10 }, () => other.request('POST', claim))),
    ]);
    const codes = answers.map((a) => (a.status === 201 ? 'ACCEPTED' : a.body.error.code));
    const tally = Object.fromEntries(
      [...new Set(codes)].map((code) => [code, codes.filter((c) => c === code).length]),
    );
    expect(tally).toEqual({ ACCEPTED: 1, ALREADY_CLAIMED: 99, NOT_OFFERED: 100 });
    expect(answers.findIndex((a) => a.status === 201)).toBeLessThan(100);

    // the claim went through Kafka to the worker like any reservation: confirmed in PostgreSQL
    expect((await winner.waitForResult(sale, offerId, 60_000)).status).toBe('CONFIRMED');
    const platform = app.platform;
    await waitUntil(
      async () => {
        const totals = await platform.runtime.ports.repository.totals(sale);
        const counts = await platform.runtime.ports.inventory.counts(sale);
        return totals.confirmedUnits === 1 && totals.pendingUnits === 0 && counts.held === 0;
      },
      'the worker to settle',
      60_000,
    );
    expect(await platform.runtime.ports.inventory.counts(sale)).toMatchObject({
      initialStock: 1,
      available: 0,
      held: 0,
      confirmed: 1,
    });
    expect((await platform.runtime.ports.repository.get(offerId))?.userId).toBe(winner.userId);
    const reconciled = await operator(app.url).request('POST', `/api/operator/sales/${sale}/reconcile`);
    expect(reconciled.body.reconciliation.consistent).toBe(true);
  });
});
