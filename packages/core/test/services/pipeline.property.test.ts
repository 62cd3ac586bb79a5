import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Selection } from '../../src';
import { HoldSweeper } from '../../src/subpaths/services';
import { seatedSale } from './fixtures';
import { servicesFor } from './harness';

/** One step a buyer, the clock, the sweeper or the processor may take. */
type Step =
  | { kind: 'reserve'; user: number; seats: number[]; key: number }
  | { kind: 'release'; pick: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'process'; pick: number; payment: 'approve' | 'decline' | 'outage' };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('reserve' as const),
      user: fc.integer({ min: 0, max: 5 }),
      seats: fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 3 }),
      key: fc.integer({ min: 0, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('process' as const),
      pick: fc.nat(),
      payment: fc.constantFrom('approve' as const, 'decline' as const, 'outage' as const),
    }),
  },
);

describe('the pipeline under random interleavings (fast-check)', () => {
  it('never sells a seat twice, keeps the counts whole, and settles every accepted request exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const s = await servicesFor(seatedSale({ limits: { ticketsPerUser: 4 } }));
        const users = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
        const tokens = await s.admit(...users);
        const sweeper = new HoldSweeper({ saleIds: [s.saleId], ...s, publisher: s.bus });
        const accepted: Array<{ id: string; userId: string }> = [];
        const seatsOf = (picks: number[]): Selection => ({
          kind: 'seats',
          seatIds: picks.map((n) => `A${n + 1}`),
        });

        const checkStore = async () => {
          const counts = await s.inventory.counts(s.saleId);
          expect(counts.available).toBeGreaterThanOrEqual(0);
          expect(counts.available + counts.held + counts.confirmed).toBe(8);
          const states = Object.values(await s.inventory.seatStates(s.saleId));
          expect(states.filter((state) => state !== 'AVAILABLE')).toHaveLength(
            counts.held + counts.confirmed,
          );
        };

        for (const next of steps) {
          if (next.kind === 'reserve') {
            const userId = users[next.user]!;
            const result = await s.reservations.reserve({
              userId,
              idempotencyKey: `${userId}-${next.key}`,
              selection: seatsOf(next.seats),
              admissionToken: tokens[userId],
            });
            if (result.ok && !result.replayed) accepted.push({ id: result.reservationId, userId });
          } else if (next.kind === 'release' && accepted.length > 0) {
            const { id, userId } = accepted[next.pick % accepted.length]!;
            await s.reservations.releaseHold({ userId, reservationId: id });
          } else if (next.kind === 'advance') {
            s.clock.advance(next.ms);
            await sweeper.sweepOnce();
          } else if (next.kind === 'process' && accepted.length > 0) {
            const { id } = accepted[next.pick % accepted.length]!;
            if (next.payment === 'decline') s.payments.decline({ reservationId: id });
            if (next.payment === 'outage') s.payments.fail({ reservationId: id });
            await s.processor.handle(s.requested(id)).catch(() => undefined); // an outage: retried below
          }
          await checkStore();
        }

        // the consumer catches up: every request is handled (again) until it is final
        for (const { id } of accepted) await s.processor.handle(s.requested(id));
        await checkStore();

        // a key reused after its reservation ended is a replay of it (the store keeps the key); one
        // the store forgot would get no row of its own (the source of truth keeps keys unique): it
        // ends failed, units given back
        const refusedAsDuplicate = new Set(
          s.bus
            .published()
            .flatMap((e) =>
              e.type === 'ReservationFailed' && e.payload.reason === 'DUPLICATE_IDEMPOTENCY_KEY'
                ? [e.payload.reservationId]
                : [],
            ),
        );
        const rows = s.repository.rowsOf(s.saleId);
        expect(rows.map((row) => row.reservationId).sort()).toEqual(
          accepted
            .map((a) => a.id)
            .filter((id) => !refusedAsDuplicate.has(id))
            .sort(),
        );
        for (const id of refusedAsDuplicate)
          expect((await s.inventory.getHold(s.saleId, id))?.status).not.toBe('HELD');
        for (const row of rows) expect(['CONFIRMED', 'COMPENSATED']).toContain(row.status);
        const confirmed = rows.filter((row) => row.status === 'CONFIRMED');
        const sold = confirmed.flatMap((row) => row.seatIds);
        expect(new Set(sold).size).toBe(sold.length);
        const counts = await s.inventory.counts(s.saleId);
        expect(counts).toMatchObject({ held: 0, confirmed: sold.length });
        // paid exactly for what was sold: every other charge was refunded
        const refunded = new Set(s.payments.refunds().map((refund) => refund.paymentId));
        const kept = s.payments.charges().filter((charge) => !refunded.has(charge.paymentId));
        expect(kept.map((charge) => charge.reservationId).sort()).toEqual(
          confirmed.map((row) => row.reservationId).sort(),
        );
        expect(
          (await s.processor.handleBatch(rows.map((row) => s.requested(row.reservationId)))).failed,
        ).toEqual([]);
        expect(s.payments.charges()).toHaveLength(kept.length + refunded.size);
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});
