import { createHash } from 'node:crypto';
import type { GroupReserveRequest } from '../ports/group-reservation';

/**
 * What makes two group requests "the same request" for an idempotency key: the user, the size,
 * the fallback and the candidate rows (hashed: they can be thousands of seats). A retry through
 * the same service builds the same rows, so it replays; the same key used for a plain `reserve`
 * has another fingerprint and is refused IDEMPOTENCY_KEY_REUSED. Every adapter uses this one.
 */
export function groupReserveFingerprint(
  request: Pick<GroupReserveRequest, 'userId' | 'size' | 'fallback' | 'rows'>,
): string {
  const rows = createHash('sha256')
    .update(request.rows.map((row) => row.join(',')).join(';'))
    .digest('hex')
    .slice(0, 24);
  return `${request.userId}|g|${request.size}|${request.fallback}|${rows}`;
}
