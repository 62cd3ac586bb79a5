import { describe, expect, it } from 'vitest';
import type { SaleDefinitionInput, Selection } from '../../src';
import { RebuildService } from '../../src/subpaths/services';
import { generalSale, seatedSale } from './fixtures';
import { servicesFor, wipeableStore } from './harness';

// The auto-pay worker's side of the finding "a confirmed reservation refunded": a rebuilt store
// keeps a confirmed reservation as sold seats, not as a hold, so a duplicate of its
// ReservationRequested that had read the reservation in flight found no hold and refunded the one
// payment of a reservation that stays CONFIRMED.
const cases: {
  name: string;
  sale: SaleDefinitionInput;
  selection: Selection;
  /** The seats' states in the rebuilt store (assigned seating only). */
  seatsAfter?: Record<string, string>;
}[] = [
  {
    name: 'a duplicate event that read the reservation in flight, then met a rebuilt store, refunds nothing',
    sale: seatedSale(),
    selection: { kind: 'seats', seatIds: ['A1', 'A2'] },
    seatsAfter: { A1: 'CONFIRMED', A2: 'CONFIRMED' },
  },
  {
    name: 'in general admission, the duplicate neither refunds nor holds the confirmed units again',
    sale: generalSale({ capacity: 8 }),
    selection: { kind: 'quantity', quantity: 2 },
  },
];

describe('ReservationProcessor (auto-pay): a confirmed reservation is never refunded', () => {
  for (const { name, sale, selection, seatsAfter } of cases) {
    it(name, async () => {
      const s = await servicesFor(sale);
      const reservationId = await s.holdFor('alice', selection);
      const event = s.requested(reservationId);

      const { store, wipe } = wipeableStore(s.inventory);
      let interceptGetHold = true;
      const processor = s.processorOver(store);
      const getHold = s.inventory.getHold.bind(s.inventory);
      // the duplicate asks for the hold; meanwhile the first copy charges and confirms the
      // reservation, and the store is wiped and rebuilt from PostgreSQL
      s.inventory.getHold = async (saleId, reservationId) => {
        if (!interceptGetHold) return getHold(saleId, reservationId);
        interceptGetHold = false;
        await processor.handle(event);
        expect(await s.repository.get(reservationId)).toMatchObject({ status: 'CONFIRMED' });
        wipe();
        await new RebuildService({ repository: s.repository, inventory: store, clock: s.clock }).rebuild(
          s.saleId,
        );
        return store.getHold(saleId, reservationId);
      };
      await processor.handle(event);

      expect(s.payments.refunds()).toEqual([]);
      expect(s.payments.charges()).toHaveLength(1);
      expect(await s.repository.get(reservationId)).toMatchObject({ status: 'CONFIRMED' });
      if (seatsAfter) expect(await store.seatStates(s.saleId)).toMatchObject(seatsAfter);
      expect(await store.counts(s.saleId)).toMatchObject({ confirmed: 2, held: 0, available: 6 });
    });
  }
});
