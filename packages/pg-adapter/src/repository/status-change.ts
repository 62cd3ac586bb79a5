import type { ReservationStatusChange } from '@seatrush/core';

/**
 * The guarded `UPDATE` of a status change (`transition`'s, and the checkout store's `settle`), returning the moved reservation's id (no row when it
 * did not move). Parameters, in `statusChangeParameters`' order: $1 the reservation, $2 the
 * statuses it may move from, $3 the new one, $4/$5 and $6/$7 whether to set and the payment id
 * and the failure reason, $8 now. The scalar subquery runs once, before the scan, so only the
 * sale's partition is read.
 */
export function statusChangeUpdate(tables: { reservations: string; reservationIds: string }): string {
  return `UPDATE ${tables.reservations} r
       SET status = $3,
           payment_id = CASE WHEN $4::boolean THEN $5 ELSE r.payment_id END,
           failure_reason = CASE WHEN $6::boolean THEN $7 ELSE r.failure_reason END,
           updated_at = $8
       WHERE r.sale_id = (SELECT sale_id FROM ${tables.reservationIds} WHERE reservation_id = $1)
         AND r.reservation_id = $1 AND r.status = ANY($2::text[])
       RETURNING r.reservation_id`;
}

/** The parameters $1 to $8 of `statusChangeUpdate`. */
export function statusChangeParameters(change: ReservationStatusChange): unknown[] {
  return [
    change.reservationId,
    change.from,
    change.to,
    change.paymentId !== undefined,
    change.paymentId ?? null,
    change.failureReason !== undefined,
    change.failureReason ?? null,
    change.now,
  ];
}
