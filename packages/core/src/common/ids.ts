import { z } from 'zod';

/**
 * Identifiers become parts of Redis keys, Kafka keys and SQL rows. The safe alphabet keeps out the
 * characters that would break a key (`{`, `}` are Redis Cluster hash tags, `:` is our separator)
 * and anything invisible; 1 to 64 characters.
 */
export const SAFE_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

const safeId = (what: string) =>
  z.string().regex(SAFE_ID_PATTERN, `${what} must be 1-64 characters of A-Z a-z 0-9 _ . -`);

export const SaleId = safeId('sale id');
export type SaleId = z.infer<typeof SaleId>;
export const UserId = safeId('user id');
export type UserId = z.infer<typeof UserId>;
export const SeatId = safeId('seat id');
export type SeatId = z.infer<typeof SeatId>;
export const ReservationId = safeId('reservation id');
export type ReservationId = z.infer<typeof ReservationId>;
/** Idempotency keys come from clients (an `Idempotency-Key` header): same alphabet, up to 128. */
export const IdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'idempotency key must be 1-128 characters of A-Z a-z 0-9 _ . -');
export type IdempotencyKey = z.infer<typeof IdempotencyKey>;

/** Milliseconds since the Unix epoch, as the `Clock` port reports them. */
export const EpochMs = z.number().int().nonnegative();
export type EpochMs = z.infer<typeof EpochMs>;
