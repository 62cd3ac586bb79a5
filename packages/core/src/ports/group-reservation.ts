import { z } from 'zod';
import { EpochMs, IdempotencyKey, ReservationId, SaleId, SeatId, UserId } from '../common/ids';
import type { HoldRecord, ReserveRefusal } from './hold';

/** Most seats a group request may consider (a few sections of a big venue). */
export const MAX_GROUP_CANDIDATE_SEATS = 20_000;

/**
 * What to do when no row has `size` free seats side by side: `split` holds the first free
 * candidate seats in row order instead (the group sits as close as the map allows); `refuse`
 * answers NO_ADJACENT_SEATS and holds nothing.
 */
export const GroupFallback = z.enum(['split', 'refuse']);
export type GroupFallback = z.infer<typeof GroupFallback>;

/**
 * Group allocation's ONE atomic store operation: hold `size` seats together, adjacent in one row
 * when some row has them, or nothing at all.
 */
export const GroupReserveRequest = z
  .object({
    saleId: SaleId,
    userId: UserId,
    reservationId: ReservationId,
    idempotencyKey: IdempotencyKey,
    /** Seats wanted, all for this user (the tickets-per-user limit applies to the whole group). */
    size: z.number().int().positive().max(100),
    /**
     * The candidate rows in preference order, each one's seat ids in seat-map order: adjacency is
     * "next to each other in this list". The service takes them from the sale's seat map.
     */
    rows: z.array(z.array(SeatId).min(1)).min(1),
    fallback: GroupFallback,
    holdMs: z.number().int().positive(),
    /** When false the store skips the waiting-room admission check. */
    requireAdmission: z.boolean(),
    now: EpochMs,
    /** The outbox gate, as `ReserveRequest.relayLagLimitMs`. */
    relayLagLimitMs: z.number().int().positive().optional(),
  })
  .superRefine((request, ctx) => {
    const all = request.rows.flat();
    if (all.length > MAX_GROUP_CANDIDATE_SEATS) {
      ctx.addIssue({
        code: 'custom',
        path: ['rows'],
        message: `at most ${MAX_GROUP_CANDIDATE_SEATS} candidate seats (narrow it to a section)`,
      });
    }
    const seen = new Set<string>();
    const repeated = new Set(all.filter((id) => seen.has(id) || !seen.add(id)));
    if (repeated.size > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['rows'],
        message: `seat ids repeat: ${[...repeated].join(', ')}`,
      });
    }
  });
export type GroupReserveRequest = z.infer<typeof GroupReserveRequest>;

/** Why a group reservation was refused: those of `reserve`, or no adjacent block with `refuse`. */
export type GroupReserveRefusal = ReserveRefusal | 'NO_ADJACENT_SEATS';

/**
 * The answer of `reserveGroup`. `adjacent` says whether the seats are side by side in one row. A
 * replayed idempotency key answers the original hold. A refusal changes nothing.
 */
export type GroupReserveOutcome =
  | { ok: true; code: 'HELD'; hold: HoldRecord; replayed: boolean; adjacent: boolean }
  | { ok: false; code: GroupReserveRefusal; seatIds?: string[] };

/**
 * The seats a group gets from the candidate rows given each seat's availability, or null when
 * there are too few (or, with `refuse`, none side by side). The rule every adapter implements:
 * the first row (in order) with `size` free seats in a row gives its leftmost such block;
 * otherwise, with `split`, the first `size` free seats in row order.
 */
export function pickGroupSeats(
  rows: readonly (readonly string[])[],
  isFree: (seatId: string) => boolean,
  size: number,
  fallback: GroupFallback,
): { seatIds: string[]; adjacent: boolean } | null {
  for (const row of rows) {
    let run = 0;
    for (let i = 0; i < row.length; i += 1) {
      run = isFree(row[i]!) ? run + 1 : 0;
      if (run === size) return { seatIds: row.slice(i - size + 1, i + 1), adjacent: true };
    }
  }
  if (fallback === 'refuse') return null;
  const free = rows.flat().filter(isFree);
  return free.length >= size ? { seatIds: free.slice(0, size), adjacent: false } : null;
}
