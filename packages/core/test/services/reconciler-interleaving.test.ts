import { describe, expect, it } from 'vitest';
import type { InventoryStore, ReservationRepository } from '../../src';
import { Reconciler } from '../../src/subpaths/services';
import { generalSale, seatedSale } from './fixtures';
import { servicesFor, withOverrides } from './harness';

type Services = Awaited<ReturnType<typeof servicesFor>>;

/**
 * A reconciler whose reads of the store (`counts`) and of the source of truth (`totals`) have
 * `between` run between them, whichever it reads first: the worker inserting and confirming a
 * reservation in that gap is the interleaving that made the reconciler free sold units (issue 23).
 */
function reconcilerWithGap(s: Services, between: () => Promise<void>): Reconciler {
  let storeRead = false;
  let ran = false;
  const gap = async () => {
    if (ran) return;
    ran = true;
    await between();
  };
  const inventory = withOverrides<InventoryStore>(s.inventory, {
    counts: async (saleId) => {
      const counts = await s.inventory.counts(saleId);
      storeRead = true;
      return counts;
    },
  });
  const repository = withOverrides<ReservationRepository>(s.repository, {
    totals: async (saleId) => {
      if (storeRead) await gap(); // the store was read first: the gap is before the truth
      const totals = await s.repository.totals(saleId);
      await gap(); // the truth was read first: the gap is after it
      return totals;
    },
  });
  return new Reconciler({ ...s, inventory, repository, publisher: s.bus });
}

describe('Reconciler: a reservation confirmed between its reads of the store and of the truth', () => {
  it('keeps the sold seat confirmed while it frees the seat nobody bought', async () => {
    const s = await servicesFor(seatedSale());
    const alice = await s.holdFor('alice', { kind: 'seats', seatIds: ['A1'] });
    await s.processor.handle(s.requested(alice));
    // The store drifted: A2 is confirmed in it, but nobody bought A2 (a repair is due).
    await s.inventory.load({
      saleId: s.saleId,
      initialStock: 8,
      available: 6,
      seatIds: ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8'],
      confirmedSeatIds: ['A1', 'A2'],
      ticketsPerUser: 4,
      confirmedPerUser: { alice: 1 },
    });
    const bob = await s.holdFor('bob', { kind: 'seats', seatIds: ['A3'] });
    // the worker inserts bob's reservation, charges him and confirms A3 between the two reads
    const reconciler = reconcilerWithGap(s, () => s.processor.handle(s.requested(bob)));

    const report = await reconciler.reconcile(s.saleId);

    expect(report.repaired).toBe(true);
    expect(s.repository.rowsOf(s.saleId).map((row) => [row.seatIds, row.status])).toEqual([
      [['A1'], 'CONFIRMED'],
      [['A3'], 'CONFIRMED'],
    ]);
    expect(await s.inventory.seatStates(s.saleId)).toMatchObject({
      A1: 'CONFIRMED',
      A2: 'AVAILABLE',
      A3: 'CONFIRMED',
    });
    // bob's seat cannot be sold again
    const carol = await s.admit('carol');
    expect(
      await s.reservations.reserve({
        userId: 'carol',
        idempotencyKey: 'k-carol',
        selection: { kind: 'seats', seatIds: ['A3'] },
        admissionToken: carol.carol,
      }),
    ).toMatchObject({ ok: false });
    // nothing moving any more, the next run brings the counts to the truth exactly
    await new Reconciler({ ...s, publisher: s.bus }).reconcile(s.saleId);
    expect(await s.inventory.counts(s.saleId)).toEqual({
      saleId: s.saleId,
      initialStock: 8,
      available: 6,
      held: 0,
      confirmed: 2,
    });
    expect((await new Reconciler({ ...s, publisher: s.bus }).reconcile(s.saleId)).consistent).toBe(true);
  });

  it('finds nothing to repair when the store and the truth agree but for that sale', async () => {
    const s = await servicesFor(seatedSale());
    const alice = await s.holdFor('alice', { kind: 'seats', seatIds: ['A1'] });
    await s.processor.handle(s.requested(alice));
    const bob = await s.holdFor('bob', { kind: 'seats', seatIds: ['A3'] });
    const reconciler = reconcilerWithGap(s, () => s.processor.handle(s.requested(bob)));

    // read before the truth, bob's seat is HELD; the truth has it sold: the store is read again
    expect(await reconciler.reconcile(s.saleId)).toMatchObject({
      consistent: true,
      repaired: false,
      problems: [],
      storeConfirmed: 1,
      truthConfirmed: 2,
    });
    expect(s.alerts.byCode('STOCK_INCONSISTENT')).toEqual([]);
    expect(await s.inventory.seatStates(s.saleId)).toMatchObject({ A1: 'CONFIRMED', A3: 'CONFIRMED' });
  });

  it('never lowers confirmed units below what is sold (general admission)', async () => {
    const s = await servicesFor(generalSale({ capacity: 5 }));
    const alice = await s.holdFor('alice', { kind: 'quantity', quantity: 1 });
    await s.processor.handle(s.requested(alice));
    // The store drifted: 2 units confirmed, 1 sold (a repair is due).
    await s.inventory.load({
      saleId: s.saleId,
      initialStock: 5,
      available: 3,
      seatIds: [],
      confirmedSeatIds: [],
      ticketsPerUser: 4,
      confirmedPerUser: { alice: 1 },
    });
    // the load counted alice's unit and the drifted one as confirmed, through `available`
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 3, confirmed: 2 });
    const bob = await s.holdFor('bob', { kind: 'quantity', quantity: 2 });
    const reconciler = reconcilerWithGap(s, () => s.processor.handle(s.requested(bob)));

    await reconciler.reconcile(s.saleId);

    // sold: alice's 1 and bob's 2. Bob's units moved between the reads, so this run may not see
    // the drifted unit (the next one does); it must never leave fewer confirmed than sold
    const after = await s.inventory.counts(s.saleId);
    expect(after.confirmed).toBeGreaterThanOrEqual(3);
    expect(after.available + after.held + after.confirmed).toBe(5);
    await new Reconciler({ ...s, publisher: s.bus }).reconcile(s.saleId);
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 2, held: 0, confirmed: 3 });
    expect((await new Reconciler({ ...s, publisher: s.bus }).reconcile(s.saleId)).consistent).toBe(true);
  });
});
