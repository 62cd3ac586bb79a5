import { describe, expect, it } from 'vitest';
import type { InventoryStore } from '../../src';
import { MemoryInventoryStore } from '../../src/subpaths/memory';
import { RebuildService, ReservationProcessor } from '../../src/subpaths/services';
import { generalSale, seatedSale } from './fixtures';
import { servicesFor } from './harness';

// The auto-pay worker's side of the finding "a confirmed reservation refunded": a rebuilt store
// keeps a confirmed reservation as sold seats, not as a hold, so a duplicate of its
// ReservationRequested that had read the reservation in flight found no hold and refunded the one
// payment of a reservation that stays CONFIRMED.
describe('ReservationProcessor (auto-pay): a confirmed reservation is never refunded', () => {
  it('a duplicate event that read the reservation in flight, then met a rebuilt store, refunds nothing', async () => {
    const s = await servicesFor(seatedSale());
    const tokens = await s.admit('alice');
    const held = await s.reservations.reserve({
      userId: 'alice',
      idempotencyKey: 'k-alice',
      selection: { kind: 'seats', seatIds: ['A1', 'A2'] },
      admissionToken: tokens.alice,
    });
    if (!held.ok) throw new Error(held.code);
    const event = s.requested(held.reservationId);

    let current: InventoryStore = s.inventory;
    let interceptGetHold = true;
    const store = new Proxy({} as InventoryStore, {
      get(_, property) {
        const value = Reflect.get(current, property, current);
        return typeof value === 'function' ? value.bind(current) : value;
      },
    });
    const processor = new ReservationProcessor({
      inventory: store,
      repository: s.repository,
      payments: s.payments,
      publisher: s.bus,
      alerts: s.alerts,
      clock: s.clock,
    });
    const getHold = s.inventory.getHold.bind(s.inventory);
    // the duplicate asks for the hold; meanwhile the first copy charges and confirms the
    // reservation, and the store is wiped and rebuilt from PostgreSQL
    s.inventory.getHold = async (saleId, reservationId) => {
      if (!interceptGetHold) return getHold(saleId, reservationId);
      interceptGetHold = false;
      await processor.handle(event);
      expect(await s.repository.get(held.reservationId)).toMatchObject({ status: 'CONFIRMED' });
      current = new MemoryInventoryStore();
      await new RebuildService({ repository: s.repository, inventory: store, clock: s.clock }).rebuild(
        s.saleId,
      );
      return current.getHold(saleId, reservationId);
    };
    await processor.handle(event);

    expect(s.payments.refunds()).toEqual([]);
    expect(s.payments.charges()).toHaveLength(1);
    expect(await s.repository.get(held.reservationId)).toMatchObject({ status: 'CONFIRMED' });
    expect(await current.seatStates(s.saleId)).toMatchObject({ A1: 'CONFIRMED', A2: 'CONFIRMED' });
    expect(await current.counts(s.saleId)).toMatchObject({ confirmed: 2, held: 0, available: 6 });
  });

  it('in general admission, the duplicate neither refunds nor holds the confirmed units again', async () => {
    const s = await servicesFor(generalSale({ capacity: 8 }));
    const tokens = await s.admit('alice');
    const held = await s.reservations.reserve({
      userId: 'alice',
      idempotencyKey: 'k-alice',
      selection: { kind: 'quantity', quantity: 2 },
      admissionToken: tokens.alice,
    });
    if (!held.ok) throw new Error(held.code);
    const event = s.requested(held.reservationId);

    let current: InventoryStore = s.inventory;
    let interceptGetHold = true;
    const store = new Proxy({} as InventoryStore, {
      get(_, property) {
        const value = Reflect.get(current, property, current);
        return typeof value === 'function' ? value.bind(current) : value;
      },
    });
    const processor = new ReservationProcessor({
      inventory: store,
      repository: s.repository,
      payments: s.payments,
      publisher: s.bus,
      alerts: s.alerts,
      clock: s.clock,
    });
    const getHold = s.inventory.getHold.bind(s.inventory);
    // the duplicate asks for the hold; meanwhile the first copy charges and confirms the
    // reservation, and the store is wiped and rebuilt from PostgreSQL
    s.inventory.getHold = async (saleId, reservationId) => {
      if (!interceptGetHold) return getHold(saleId, reservationId);
      interceptGetHold = false;
      await processor.handle(event);
      expect(await s.repository.get(held.reservationId)).toMatchObject({ status: 'CONFIRMED' });
      current = new MemoryInventoryStore();
      await new RebuildService({ repository: s.repository, inventory: store, clock: s.clock }).rebuild(
        s.saleId,
      );
      return current.getHold(saleId, reservationId);
    };
    await processor.handle(event);

    expect(s.payments.refunds()).toEqual([]);
    expect(s.payments.charges()).toHaveLength(1);
    expect(await s.repository.get(held.reservationId)).toMatchObject({ status: 'CONFIRMED' });
    expect(await current.counts(s.saleId)).toMatchObject({ confirmed: 2, held: 0, available: 6 });
  });
});
