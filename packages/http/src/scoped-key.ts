import { createHash } from 'node:crypto';

/**
 * The idempotency key the SDK stores: the client's key scoped to its buyer (SHA-256 of both,
 * base64url, 43 characters of the safe alphabet). Two buyers who pick the same key never meet:
 * neither can replay, or be refused by, the other's reservation.
 */
export function scopedIdempotencyKey(buyerId: string, key: string): string {
  return createHash('sha256').update(buyerId).update('\n').update(key).digest('base64url');
}
