import type { ReservationRow, ReservationStatus } from '@seatrush/core';
import { unnestColumns } from '../unnest';

/** A reservation as `pg` returns it (bigint columns arrive as strings). */
export interface ReservationRecord {
  sale_id: string;
  reservation_id: string;
  user_id: string;
  idempotency_key: string;
  quantity: number;
  seat_ids: string[];
  amount_cents: string;
  status: string;
  payment_id: string | null;
  failure_reason: string | null;
  created_at: string;
  updated_at: string;
}

/** The columns of `reservations`, in the order the batch insert passes them. */
export const RESERVATION_COLUMNS =
  'sale_id, reservation_id, user_id, idempotency_key, quantity, seat_ids, amount_cents, status, payment_id, failure_reason, created_at, updated_at';

/** A database row as the port's `ReservationRow`. */
export function toReservationRow(record: ReservationRecord): ReservationRow {
  return {
    reservationId: record.reservation_id,
    saleId: record.sale_id,
    userId: record.user_id,
    idempotencyKey: record.idempotency_key,
    quantity: record.quantity,
    seatIds: record.seat_ids,
    amountCents: Number(record.amount_cents),
    status: record.status as ReservationStatus,
    paymentId: record.payment_id,
    failureReason: record.failure_reason,
    createdAt: Number(record.created_at),
    updatedAt: Number(record.updated_at),
  };
}

/**
 * Rows as one array per column, for `INSERT … SELECT FROM unnest($1::text[], …)`: twelve
 * parameters whatever the batch size, so a batch is never capped by the protocol's 65,535
 * parameters as a multi-row `VALUES` list is. Seat ids travel comma-joined (their alphabet has no
 * comma) because `unnest` would flatten an array of arrays.
 */
export function toColumns(rows: readonly ReservationRow[]): unknown[] {
  return unnestColumns(
    rows,
    [
      'saleId',
      'reservationId',
      'userId',
      'idempotencyKey',
      'quantity',
      'seatIds',
      'amountCents',
      'status',
      'paymentId',
      'failureReason',
      'createdAt',
      'updatedAt',
    ],
    { seatIds: (ids) => ids.join(',') },
  );
}

/** The `unnest` source of the batch insert, matching `toColumns`. */
export const UNNEST_SOURCE = `unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[],
  $7::bigint[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[])
  AS input(sale_id, reservation_id, user_id, idempotency_key, quantity, seat_ids, amount_cents, status,
           payment_id, failure_reason, created_at, updated_at)`;

/** The select list turning `UNNEST_SOURCE` into `RESERVATION_COLUMNS`. */
export const UNNEST_SELECT = `input.sale_id, input.reservation_id, input.user_id, input.idempotency_key,
  input.quantity, string_to_array(input.seat_ids, ','), input.amount_cents, input.status, input.payment_id,
  input.failure_reason, input.created_at, input.updated_at`;

/**
 * What `insertMany` reports, per input row in order: the first row of each id in `insertedIds` is
 * `inserted`; every other row (already there, key taken, or a repeat within the batch) is
 * `existing`.
 */
export function insertReport(
  rows: readonly ReservationRow[],
  insertedIds: Iterable<string>,
): { inserted: string[]; existing: string[] } {
  const fresh = new Set(insertedIds);
  const inserted: string[] = [];
  const existing: string[] = [];
  for (const { reservationId } of rows) {
    if (fresh.delete(reservationId)) inserted.push(reservationId);
    else existing.push(reservationId);
  }
  return { inserted, existing };
}
