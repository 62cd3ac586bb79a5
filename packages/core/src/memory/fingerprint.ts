import type { ReserveRequest } from '../ports/inventory-store';

/**
 * What makes two reserve requests "the same request" for an idempotency key: the user and what
 * they asked for (seat order does not matter). The reservation id, hold time and `now` are left
 * out, so a client's retry matches its original. Every InventoryStore adapter should use this so a
 * key used through one strategy (atomic or lock) replays through the other.
 */
export function reserveFingerprint(request: Pick<ReserveRequest, 'userId' | 'selection'>): string {
  const { selection } = request;
  const what =
    selection.kind === 'quantity'
      ? `q|${selection.quantity}`
      : `s|${[...selection.seatIds].sort().join(',')}`;
  return `${request.userId}|${what}`;
}
