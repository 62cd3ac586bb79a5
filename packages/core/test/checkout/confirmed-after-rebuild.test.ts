import { describe, expect, it } from 'vitest';
import { InfrastructureError } from '../../src/common/errors';
import { PaymentUnavailableError } from '../../src/memory/payment-gateway';
import type { InventoryStore } from '../../src/ports/inventory-store';
import { RebuildService } from '../../src/stock/rebuild';
import { wipeableStore, withOverrides } from '../services/harness';
import { checkoutHarness, SALE_ID } from './harness';

/**
 * The checkout over a store that can be wiped (a flushed Redis: no sale at all) and rebuilt, with
 * a hook to run something in the middle of one store call.
 */
async function wipeableCheckout(checkout: { paymentWindowMs?: number } = {}) {
  let wipeable: ReturnType<typeof wipeableStore> | undefined;
  const interceptors: Partial<InventoryStore> = {};
  const h = await checkoutHarness({
    checkout,
    wrapInventory: (store) => {
      wipeable = wipeableStore(store);
      return withOverrides(wipeable.store, interceptors);
    },
  });
  const rebuild = new RebuildService({ repository: h.repository, inventory: h.inventory, clock: h.clock });
  return {
    h,
    interceptors,
    store: () => wipeable!.current(),
    wipe: () => wipeable!.wipe(),
    rebuild: () => rebuild.rebuild(SALE_ID),
  };
}

/**
 * {@link wipeableCheckout} with alice's hold paid: the provider's success webhook taken, not yet
 * delivered; `wipeAndRebuild` for the store to lose the sale and get it back in one step, and
 * `afterNextConfirm` to run something once the store's next confirm is done, before it answers.
 */
async function paidCheckout() {
  const w = await wipeableCheckout();
  const { reservationId, request } = await w.h.hold('alice');
  const { payment } = await w.h.pay(request);
  const [delivery] = w.h.provider.takeWebhooks();
  const wipeAndRebuild = () => {
    w.wipe();
    return w.rebuild();
  };
  const afterNextConfirm = (run: () => Promise<void>) => {
    w.interceptors.confirm = async (input) => {
      delete w.interceptors.confirm;
      const answer = await w.store().confirm(input);
      await run();
      return answer;
    };
  };
  return { ...w, reservationId, request, payment, delivery: delivery!, wipeAndRebuild, afterNextConfirm };
}

// docs/simulation.md §Findings, "a duplicate success webhook after a rebuild refunds a confirmed
// reservation": a rebuilt store keeps a confirmed reservation as sold units, not as a hold, so a
// copy of payment.succeeded that had read the reservation in flight found no hold, took the
// payment for a late one and refunded it: the buyer kept the seat and got the money back.
describe('Checkout: a confirmed reservation is never refunded', () => {
  it('a duplicate success webhook that read the reservation in flight, then met a rebuilt store, changes nothing', async () => {
    const w = await paidCheckout();
    const { h, reservationId, payment, delivery } = w;
    // the second copy reaches the store's confirm having read the row PAYMENT_PENDING; meanwhile
    // the first copy confirms the reservation, and the store is wiped and rebuilt
    w.interceptors.confirm = async (...args: unknown[]) => {
      delete w.interceptors.confirm;
      expect((await h.checkout.handleWebhook(delivery)).outcome).toBe('CONFIRMED');
      expect(await w.wipeAndRebuild()).toMatchObject({ outcome: 'RESTORED', holdsRestored: 0 });
      return w.store().confirm(args[0] as Parameters<InventoryStore['confirm']>[0]);
    };
    expect((await h.checkout.handleWebhook(delivery)).outcome).toBe('CONFIRMED');

    expect(h.provider.refunds()).toEqual([]);
    expect(await h.repository.get(reservationId)).toMatchObject({
      status: 'CONFIRMED',
      paymentId: payment.paymentId,
    });
    expect(await h.store.payment(reservationId)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await h.counts()).toMatchObject({ available: 4, held: 0, confirmed: 1 });
    expect(h.outbox.all().map((n) => n.notificationId)).toEqual([`confirmed-${reservationId}`]);
    expect(h.bus.published().filter((e) => e.type === 'ReservationFailed')).toEqual([]);
  });

  it('a success webhook while the store has lost the sale is not handled (retried), then confirms after the rebuild', async () => {
    const w = await paidCheckout();
    const { h, reservationId, delivery } = w;
    w.wipe();
    await expect(h.checkout.handleWebhook(delivery)).rejects.toThrow(InfrastructureError);
    expect(h.provider.refunds()).toEqual([]);
    expect(await h.repository.get(reservationId)).toMatchObject({ status: 'PAYMENT_PENDING' });

    // the rebuild holds it again for the paying buyer; the provider's next delivery confirms it
    expect(await w.rebuild()).toMatchObject({ outcome: 'RESTORED', holdsRestored: 1 });
    expect((await h.checkout.handleWebhook(delivery)).outcome).toBe('CONFIRMED');
    expect(h.provider.refunds()).toEqual([]);
    expect(await h.repository.get(reservationId)).toMatchObject({ status: 'CONFIRMED' });
    expect(await h.counts()).toMatchObject({ available: 4, held: 0, confirmed: 1 });
  });

  it('a hold ending while a copy of the success is in flight across a rebuild keeps the confirmed payment', async () => {
    const w = await paidCheckout();
    const { h, reservationId, request, delivery } = w;
    // the buyer's "leave" reads the reservation in flight; as it voids the payment, the success
    // confirms it and the store is wiped and rebuilt, so the provider answers "already paid"
    const cancelPayment = h.provider.cancelPayment.bind(h.provider);
    h.provider.cancelPayment = async (input) => {
      h.provider.cancelPayment = cancelPayment;
      expect((await h.checkout.handleWebhook(delivery)).outcome).toBe('CONFIRMED');
      await w.wipeAndRebuild();
      return cancelPayment(input);
    };
    expect(await h.checkout.cancel(request)).toBe('CONFIRMED');
    expect(h.provider.refunds()).toEqual([]);
    expect(await h.repository.get(reservationId)).toMatchObject({ status: 'CONFIRMED' });
    expect(await h.store.payment(reservationId)).toMatchObject({ status: 'SUCCEEDED' });
  });

  // issue 23, seed 1172 (`--checkout buyer`): the success confirmed the hold in the store, the store
  // was wiped and rebuilt before the reservation was recorded CONFIRMED, and the rebuild, reading
  // it PAYMENT_PENDING, held it again; the hold then expired and the sold unit went back on sale
  it('a store wiped and rebuilt between the success confirming the hold and its record keeps the reservation sold', async () => {
    const w = await paidCheckout();
    const { h, reservationId, delivery } = w;
    w.afterNextConfirm(async () => {
      expect(await w.wipeAndRebuild()).toMatchObject({ outcome: 'RESTORED', holdsRestored: 1 });
    });
    expect((await h.checkout.handleWebhook(delivery)).outcome).toBe('CONFIRMED');

    expect(await h.repository.get(reservationId)).toMatchObject({ status: 'CONFIRMED' });
    expect(await w.store().getHold(SALE_ID, reservationId)).toMatchObject({ status: 'CONFIRMED' });
    expect(await h.counts()).toMatchObject({ available: 4, held: 0, confirmed: 1 });
    expect(h.provider.refunds()).toEqual([]);
  });

  it("the provider's next delivery of a success recorded CONFIRMED confirms a hold the rebuild brought back", async () => {
    const w = await paidCheckout();
    const { h, reservationId, delivery } = w;
    w.afterNextConfirm(async () => {
      await w.wipeAndRebuild();
      // the store does not answer the check after the record: the webhook is not handled
      w.interceptors.getHold = async () => {
        delete w.interceptors.getHold;
        throw new InfrastructureError('the store blinked');
      };
    });
    await expect(h.checkout.handleWebhook(delivery)).rejects.toThrow(InfrastructureError);
    expect(await h.repository.get(reservationId)).toMatchObject({ status: 'CONFIRMED' });

    expect((await h.checkout.handleWebhook(delivery)).outcome).toBe('CONFIRMED');
    expect(await w.store().getHold(SALE_ID, reservationId)).toMatchObject({ status: 'CONFIRMED' });
    expect(await h.counts()).toMatchObject({ available: 4, held: 0, confirmed: 1 });
    expect(await h.store.payment(reservationId)).toMatchObject({ status: 'SUCCEEDED' });
  });

  // issue 23, seeds 16161 and 19737: a success arriving after the hold expired was refunded as late,
  // the refund made and its answer lost; the store was then wiped and rebuilt, bringing the hold
  // back (the row still PAYMENT_PENDING), and the provider's next delivery confirmed the
  // reservation with the refunded payment: CONFIRMED with no money kept
  it('a payment refunded as late stays refunded when a rebuild brings its hold back before the retry', async () => {
    const w = await wipeableCheckout({ paymentWindowMs: 10_000 });
    const { h } = w;
    const { reservationId, request } = await h.hold('alice');
    const { payment } = await h.pay(request);
    const [delivery] = h.provider.takeWebhooks();
    const hold = await w.store().getHold(SALE_ID, reservationId);
    h.clock.set(hold!.expiresAt + 1);
    await w.store().expireDue({ saleId: SALE_ID, now: h.clock.now(), limit: 10 });
    const refundPayment = h.provider.refundPayment.bind(h.provider);
    h.provider.refundPayment = async (input) => {
      h.provider.refundPayment = refundPayment;
      await refundPayment(input);
      throw new PaymentUnavailableError('the refund was made, its answer lost');
    };
    await expect(h.checkout.handleWebhook(delivery!)).rejects.toThrow(PaymentUnavailableError);
    w.wipe();
    expect(await w.rebuild()).toMatchObject({ outcome: 'RESTORED', holdsRestored: 1 });

    expect((await h.checkout.handleWebhook(delivery!)).outcome).toBe('REFUNDED');
    expect(h.provider.refunds()).toEqual([expect.objectContaining({ paymentId: payment.paymentId })]);
    expect(await h.repository.get(reservationId)).toMatchObject({ status: 'COMPENSATED' });
    expect(await h.counts()).toMatchObject({ held: 0, confirmed: 0 });
  });
});
