import type { ReservationStatus } from '@seatrush/core';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SeatAlreadySoldError } from '../src';
import { type FreshSchema, freshSchema, reservation, seatedSale } from './fixtures';

const STATUSES = ['REQUESTED', 'PAYMENT_PENDING', 'CONFIRMED', 'FAILED', 'COMPENSATED'] as const;
const SEATS = ['A1', 'A2', 'A3', 'A4', 'A5', 'A6'];

let db: FreshSchema;
beforeAll(async () => {
  db = await freshSchema({ max: 3 });
});
afterAll(async () => {
  await db.dispose();
});

const seatsArb = fc.uniqueArray(fc.constantFrom(...SEATS), { minLength: 1, maxLength: 2 });
const command = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    pick: fc.nat(5),
    seats: seatsArb,
    status: fc.constantFrom(...STATUSES),
  }),
  fc.record({
    kind: fc.constant('transition' as const),
    pick: fc.nat(5),
    from: fc.uniqueArray(fc.constantFrom(...STATUSES), { minLength: 1, maxLength: 3 }),
    to: fc.constantFrom(...STATUSES),
  }),
);

let run = 0;
/** Refusals seen across runs: the property must have exercised the rule, not only passed by it. */
let refusals = 0;

/**
 * Random inserts and transitions of reservations competing for six seats, against a model of the
 * rule the database enforces: a reservation becomes CONFIRMED only if none of its seats belongs
 * to another CONFIRMED reservation; otherwise SeatAlreadySoldError and nothing changes.
 */
it('agrees with a model of "one confirmed reservation per seat" on random commands', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 30 }), async (commands) => {
      run += 1;
      const saleId = `m${run}`;
      await db.repository.saveSale(seatedSale(saleId, SEATS.length));
      const model = new Map<string, { status: ReservationStatus; seats: string[] }>();
      const soldBy = (seat: string, except: string) =>
        [...model].some(([id, r]) => id !== except && r.status === 'CONFIRMED' && r.seats.includes(seat));

      for (const c of commands) {
        const id = `${saleId}-r${c.pick}`;
        if (c.kind === 'insert') {
          const row = reservation(saleId, c.pick, {
            seatIds: c.seats,
            quantity: c.seats.length,
            status: c.status,
          });
          const refused = !model.has(id) && c.status === 'CONFIRMED' && c.seats.some((s) => soldBy(s, id));
          const outcome = await db.repository.insertMany([row]).catch((e: unknown) => e);
          if (refused) {
            expect(outcome).toBeInstanceOf(SeatAlreadySoldError);
            refusals += 1;
          } else {
            expect(outcome).toEqual(
              model.has(id) ? { inserted: [], existing: [id] } : { inserted: [id], existing: [] },
            );
            if (!model.has(id)) model.set(id, { status: c.status, seats: c.seats });
          }
        } else {
          const current = model.get(id);
          const matches = current !== undefined && c.from.includes(current.status);
          const refused =
            matches &&
            current.status !== 'CONFIRMED' &&
            c.to === 'CONFIRMED' &&
            current.seats.some((s) => soldBy(s, id));
          const outcome = await db.repository
            .transition({ reservationId: id, from: c.from, to: c.to, now: 1 })
            .catch((e: unknown) => e);
          if (refused) {
            expect(outcome).toBeInstanceOf(SeatAlreadySoldError);
            refusals += 1;
          } else {
            expect(outcome).toBe(matches);
            if (matches && current) current.status = c.to;
          }
        }
      }

      const confirmedSeats = [...model.values()]
        .filter((r) => r.status === 'CONFIRMED')
        .flatMap((r) => r.seats);
      expect(new Set(confirmedSeats).size).toBe(confirmedSeats.length);
      const totals = await db.repository.totals(saleId);
      expect(totals.confirmedSeatIds).toEqual([...confirmedSeats].sort());
      expect(totals.confirmedUnits).toBe(confirmedSeats.length);
      for (const [id, r] of model) expect((await db.repository.get(id))?.status).toBe(r.status);
    }),
    {
      numRuns: 25,
      // Random runs may never contend for a seat (25 runs found none about one time in 15), so
      // one known sequence always does, both ways: a second confirmed insert, then a transition.
      examples: [
        [
          [
            { kind: 'insert', pick: 0, seats: ['A1'], status: 'CONFIRMED' },
            { kind: 'insert', pick: 1, seats: ['A1', 'A2'], status: 'CONFIRMED' },
            { kind: 'insert', pick: 2, seats: ['A1'], status: 'PAYMENT_PENDING' },
            { kind: 'transition', pick: 2, from: ['PAYMENT_PENDING'], to: 'CONFIRMED' },
            { kind: 'transition', pick: 0, from: ['CONFIRMED'], to: 'COMPENSATED' },
          ],
        ],
      ],
    },
  );
  expect(refusals).toBeGreaterThan(0);
}, 120_000);
