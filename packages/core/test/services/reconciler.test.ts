import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src';
import { requestedRow } from '../../src/reservation/settlement';
import { Reconciler } from '../../src/subpaths/services';
import { generalSale, seatedSale } from './fixtures';
import { servicesFor } from './harness';

/** Sells `seats` (one per user) through the whole pipeline, so the repository has them CONFIRMED. */
async function withSales(seats: string[]) {
  const s = await servicesFor(seatedSale());
  const users = seats.map((_, i) => `u${i}`);
  const tokens = await s.admit(...users);
  for (const [i, seat] of seats.entries()) {
    const userId = users[i]!;
    const reservationId = await s.holdFor(userId, { kind: 'seats', seatIds: [seat] }, tokens[userId]);
    await s.processor.handle(s.requested(reservationId));
  }
  const reconciler = new Reconciler({ ...s, publisher: s.bus });
  /** The store as an old snapshot left it: nothing sold, every seat available. */
  const loadNothingSold = () =>
    s.inventory.load({
      saleId: s.saleId,
      initialStock: 8,
      available: 8,
      seatIds: ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8'],
      confirmedSeatIds: [],
      ticketsPerUser: 4,
      confirmedPerUser: {},
    });
  return { ...s, reconciler, loadNothingSold };
}

describe('Reconciler', () => {
  it('records a consistent run and changes nothing', async () => {
    const s = await withSales(['A1', 'A2']);
    const report = await s.reconciler.reconcile(s.saleId);
    expect(report).toMatchObject({
      consistent: true,
      repaired: false,
      problems: [],
      storeConfirmed: 2,
      truthConfirmed: 2,
      storeAvailable: 6,
    });
    expect(s.repository.reconciliations(s.saleId)).toHaveLength(1);
    expect(s.alerts.alerts).toEqual([]);
  });

  it('repairs a drifted store from the repository, records it and alerts', async () => {
    const s = await withSales(['A1', 'A2', 'A3']);
    // Redis lost its data and came back from an old snapshot: nothing sold, everything available
    await s.loadNothingSold();
    const report = await s.reconciler.reconcile(s.saleId);
    expect(report).toMatchObject({ consistent: false, repaired: true, storeConfirmed: 0, truthConfirmed: 3 });
    expect(report.problems).toEqual([
      'the store has 0 confirmed units, the repository 3',
      '3 sold seats are not CONFIRMED in the store (first: A1)',
    ]);
    expect(report.after).toMatchObject({ available: 5, held: 0, confirmed: 3 });
    expect(await s.inventory.seatStates(s.saleId)).toMatchObject({
      A1: 'CONFIRMED',
      A3: 'CONFIRMED',
      A4: 'AVAILABLE',
    });
    expect(s.repository.reconciliations(s.saleId)).toEqual([
      expect.objectContaining({ consistent: false, repaired: true }),
    ]);
    expect(s.alerts.byCode('STOCK_INCONSISTENT')).toEqual([expect.objectContaining({ severity: 'warning' })]);
    expect(
      s.bus.published().filter((e) => e.type === 'StockChanged' && e.payload.reason === 'REPAIRED'),
    ).toEqual([
      expect.objectContaining({ payload: expect.objectContaining({ delta: -3, confirmedDelta: 3 }) }),
    ]);
    expect((await s.reconciler.reconcile(s.saleId)).consistent).toBe(true);
  });

  it('only reports when asked not to repair, with a critical alert', async () => {
    const s = await withSales(['A1']);
    await s.loadNothingSold();
    const report = await s.reconciler.reconcile(s.saleId, { repair: false });
    expect(report).toMatchObject({ consistent: false, repaired: false });
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 8 });
    expect(s.alerts.byCode('STOCK_INCONSISTENT')).toEqual([
      expect.objectContaining({ severity: 'critical' }),
    ]);
  });

  it('treats reservations in flight as consistent (confirmed in the store, pending in the repository)', async () => {
    const s = await servicesFor(generalSale({ capacity: 5 }));
    const reservationId = await s.holdFor('alice', { kind: 'quantity', quantity: 2 });
    // the processor persisted it and confirmed the hold, but has not recorded CONFIRMED yet
    const row = requestedRow(s.requested(reservationId), s.clock.now());
    await s.repository.insertMany([{ ...row, status: 'PAYMENT_PENDING' }]);
    await s.inventory.confirm({ saleId: s.saleId, reservationId, userId: 'alice', now: s.clock.now() });
    const reconciler = new Reconciler({ ...s, publisher: s.bus });
    expect(await reconciler.reconcile(s.saleId)).toMatchObject({
      consistent: true,
      truthPending: 2,
      storeConfirmed: 2,
    });
  });

  it('reports a sale that is not loaded without repairing it', async () => {
    const s = await withSales([]);
    await s.repository.saveSale({ ...generalSale(), id: 'cold-sale' });
    const report = await s.reconciler.reconcile('cold-sale');
    expect(report).toMatchObject({
      consistent: false,
      repaired: false,
      problems: ['the sale is not loaded in the store'],
    });
    await expect(s.reconciler.reconcile('bad id')).rejects.toBeInstanceOf(ValidationError);
  });
});
