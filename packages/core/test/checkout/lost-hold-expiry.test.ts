import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/events/events';
import { HoldSweeper } from '../../src/hold/hold-sweeper';
import { SIMULATOR_CARDS } from '../../src/memory/payment-simulator';
import { checkoutHarness, HOLD_MS, SALE_ID } from './harness';

// docs/simulation.md §Findings, "a lost HoldExpired strands a reservation" (seeds 13, 62, 98, 115):
// the sweeper expired the hold in the store, then its publish failed (or its process died); it
// only alerted, and the buyer-driven worker, which needs HoldExpired to void the payment and fail
// the reservation, left the row PAYMENT_PENDING (or REQUESTED) and the payment open for good.
describe('a HoldExpired the sweeper could not publish is not lost', () => {
  async function paying() {
    const h = await checkoutHarness();
    const { reservationId, request } = await h.hold('alice');
    const begun = await h.checkout.begin(request);
    if (!begun.ok) throw new Error(`begin refused: ${begun.code}`);
    expect(await h.repository.get(reservationId)).toMatchObject({ status: 'PAYMENT_PENDING' });
    const sweeper = (options: { strandedGraceMs?: number; checkRows?: boolean } = {}) =>
      new HoldSweeper({
        saleIds: [SALE_ID],
        inventory: h.inventory,
        ...(options.checkRows === false ? {} : { repository: h.repository }),
        publisher: h.bus,
        alerts: h.alerts,
        clock: h.clock,
        ...(options.strandedGraceMs === undefined ? {} : { strandedGraceMs: options.strandedGraceMs }),
      });
    /** Hands every HoldExpired published so far to the worker, as its consumer would. */
    const deliver = async () => {
      const expired = h.bus.published().filter((e) => e.type === 'HoldExpired');
      for (const event of expired) await h.processor.handle(event);
      return expired.map((e: DomainEvent) => e.eventId);
    };
    /** Alice's own request on her hold, now (a release or a confirm). */
    const asOwner = () => ({ saleId: SALE_ID, reservationId, userId: 'alice', now: h.clock.now() });
    return { h, reservationId, payment: begun.payment, sweeper, deliver, asOwner };
  }

  function expectFailedAndVoided(h: Awaited<ReturnType<typeof checkoutHarness>>, reservationId: string) {
    return Promise.all([
      expect(h.repository.get(reservationId)).resolves.toMatchObject({
        status: 'COMPENSATED',
        failureReason: 'HOLD_EXPIRED',
      }),
      expect(h.store.payment(reservationId)).resolves.toMatchObject({ status: 'VOIDED' }),
      expect(h.counts()).resolves.toMatchObject({ available: 5, held: 0, confirmed: 0 }),
    ]);
  }

  it('publishes the expiry again at the next sweep after a failed publish, with the same event ids', async () => {
    const { h, reservationId, sweeper, deliver } = await paying();
    // the retry alone, without the check of rows in flight
    const s = sweeper({ checkRows: false });
    h.clock.advance(200_000);
    h.bus.failNextPublishes(1);
    const first = await s.sweepOnce();
    expect(first.expired.map((hold) => hold.reservationId)).toEqual([reservationId]);
    expect(first.publishError).toBeInstanceOf(Error);
    expect(h.alerts.byCode('EXPIRY_PUBLISH_FAILED')).toHaveLength(1);
    expect(h.bus.published().filter((e) => e.type === 'HoldExpired')).toEqual([]);

    h.clock.advance(1_000);
    const second = await s.sweepOnce();
    expect(second.expired).toEqual([]);
    expect(second.publishError).toBeUndefined();
    expect(await deliver()).toEqual([`expired-${reservationId}`]);
    expect(
      h.bus
        .published()
        .filter((e) => e.type === 'StockChanged' && e.payload.reason === 'EXPIRED')
        .map((e) => e.eventId),
    ).toEqual([`stock-expired-${reservationId}`]);
    await expectFailedAndVoided(h, reservationId);
  });

  it("finishes the reservation when the sweeper's process died between the store's expiry and the publish", async () => {
    const { h, reservationId, sweeper, deliver } = await paying();
    h.clock.advance(200_000);
    // the dead sweeper's one step: the store expired the hold; nothing was published
    expect(await h.inventory.expireDue({ saleId: SALE_ID, now: h.clock.now(), limit: 10 })).toHaveLength(1);
    expect(h.bus.published().filter((e) => e.type === 'HoldExpired')).toEqual([]);

    // another instance's sweeper: within the grace nothing is said again (the first may be on its way)
    const s = sweeper({ strandedGraceMs: 10_000 });
    const hold = await h.inventory.getHold(SALE_ID, reservationId);
    h.clock.set(hold!.expiresAt + 9_999);
    expect((await s.sweepOnce()).stranded).toEqual([]);
    // its next check (every 30 s) finds the row in flight whose hold ended long ago
    h.clock.advance(30_000);
    expect((await s.sweepOnce()).stranded).toEqual([reservationId]);
    expect(h.alerts.byCode('HOLD_EXPIRY_REPUBLISHED')).toHaveLength(1);
    expect(await deliver()).toEqual([`expired-${reservationId}`]);
    await expectFailedAndVoided(h, reservationId);

    // once the row is final, the check finds nothing more
    h.clock.advance(30_000);
    expect((await s.sweepOnce()).stranded).toEqual([]);
  });

  it('leaves alone a row whose hold is live or just expired by the sweep itself', async () => {
    const { h, reservationId, sweeper } = await paying();
    const s = sweeper({ strandedGraceMs: 1_000 });
    await h.hold('bob');
    h.clock.advance(HOLD_MS + 5_000); // bob's hold is due; alice's extended one is live
    // the store has not expired bob's hold yet: the sweep does it and publishes it itself
    const report = await s.sweepOnce();
    expect(report.expired.map((hold) => hold.userId)).toEqual(['bob']);
    expect(report.stranded).toEqual([]);
    expect(await h.inventory.getHold(SALE_ID, reservationId)).toMatchObject({ status: 'HELD' });
  });

  it('publishes again the release of a hold whose StockChanged(RELEASED) was lost, once seen at two checks', async () => {
    const { h, reservationId, sweeper, asOwner } = await paying();
    const s = sweeper();
    // the buyer gave the hold back; the event the worker fails the reservation on was lost
    const released = await h.inventory.release(asOwner());
    expect(released.ok).toBe(true);
    h.clock.advance(HOLD_MS + 20_000);
    expect((await s.sweepOnce()).stranded).toEqual([]);
    h.clock.advance(30_000);
    expect((await s.sweepOnce()).stranded).toEqual([reservationId]);
    const releases = h.bus
      .published()
      .filter((e) => e.type === 'StockChanged' && e.payload.reason === 'RELEASED');
    expect(releases.map((e) => e.eventId)).toEqual([`stock-released-${reservationId}`]);
    for (const event of releases) await h.processor.handle(event);
    expect(await h.repository.get(reservationId)).toMatchObject({
      status: 'COMPENSATED',
      failureReason: 'HOLD_RELEASED',
    });
    expect(await h.store.payment(reservationId)).toMatchObject({ status: 'VOIDED' });
    expect(await h.counts()).toMatchObject({ available: 5, held: 0 });
  });

  // seed 21728 (docs/simulation.md §Findings): the success webhook's first delivery confirmed the
  // hold in the store and failed before its record; its retry failed too, and the provider gave up
  it('has the checkout record a paid reservation whose success confirmed the hold in the store but never reached the source of truth', async () => {
    const { h, reservationId, payment, sweeper, deliver, asOwner } = await paying();
    const paid = await h.provider.confirm({
      paymentId: payment.paymentId,
      clientSecret: payment.clientSecret!,
      card: SIMULATOR_CARDS.approved,
    });
    expect(paid).toEqual({ ok: true, status: 'SUCCEEDED' });
    h.provider.takeWebhooks(); // never delivered: only the store's confirm of the first delivery happened
    const confirm = await h.inventory.confirm(asOwner());
    expect(confirm.ok).toBe(true);
    expect(await h.repository.get(reservationId)).toMatchObject({ status: 'PAYMENT_PENDING' });
    const s = sweeper({ strandedGraceMs: 10_000 });
    // a confirm past its hold's expiry by less than the grace may still be on its way to its record
    const hold = await h.inventory.getHold(SALE_ID, reservationId);
    expect(hold).toMatchObject({ status: 'CONFIRMED' });
    h.clock.set(hold!.expiresAt + 9_999);
    expect((await s.sweepOnce()).stranded).toEqual([]);
    h.clock.advance(30_000);
    expect((await s.sweepOnce()).stranded).toEqual([reservationId]);
    expect(await deliver()).toEqual([`expired-${reservationId}`]);
    // the checkout asked the provider, which answered the payment succeeded: recorded, kept
    expect(await h.repository.get(reservationId)).toMatchObject({ status: 'CONFIRMED' });
    expect(await h.store.payment(reservationId)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await h.counts()).toMatchObject({ available: 4, held: 0, confirmed: 1 });
    // once the row is final, the check finds nothing more
    h.clock.advance(30_000);
    expect((await s.sweepOnce()).stranded).toEqual([]);
  });
});
