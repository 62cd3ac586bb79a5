import { z } from 'zod';
import { EpochMs, IdempotencyKey, ReservationId, SaleId, SeatId, UserId } from '../common/ids';

// The hold and the reserve refusals that `reserve` (inventory-store.ts) and `reserveGroup`
// (group-reservation.ts) both answer with: kept apart so neither port file imports the other.

export const HoldStatus = z.enum(['HELD', 'CONFIRMED', 'RELEASED', 'EXPIRED', 'COMPENSATED']);
export type HoldStatus = z.infer<typeof HoldStatus>;

/**
 * What a reservation takes, by whom: the fields a hold in the store and a reservation in the
 * source of truth both start with. `seatIds` is empty for general admission.
 */
export const ReservedUnits = z.object({
  reservationId: ReservationId,
  saleId: SaleId,
  userId: UserId,
  idempotencyKey: IdempotencyKey,
  quantity: z.number().int().positive(),
  seatIds: z.array(SeatId),
});
export type ReservedUnits = z.infer<typeof ReservedUnits>;

/** A hold as the store keeps it. `seatIds` is empty for general admission. */
export const HoldRecord = ReservedUnits.extend({
  status: HoldStatus,
  heldAt: EpochMs,
  expiresAt: EpochMs,
});
export type HoldRecord = z.infer<typeof HoldRecord>;

/** Why a reservation was refused. A refusal changes nothing in the store. */
export type ReserveRefusal =
  | 'NOT_ADMITTED' // no valid admission for this user (waiting room)
  | 'SOLD_OUT' // not enough stock left
  | 'SEAT_TAKEN' // a requested seat is held or sold
  | 'UNKNOWN_SEAT' // a requested seat is not in the seat map
  | 'WRONG_SELECTION' // seats asked of a general-admission sale, or a quantity of a seated one
  | 'LIMIT_EXCEEDED' // the user's tickets-per-user limit would be passed
  | 'IDEMPOTENCY_KEY_REUSED' // the key was used before for a different request
  | 'SALE_NOT_WARM' // the sale is not loaded (warm-up) in the store
  | 'PIPELINE_STALLED'; // the outbox holds a hold older than `relayLagLimitMs`: the pipeline is behind
