import type { HoldRecord } from '../ports/hold';
import type { ReserveRequest } from '../ports/inventory-store';

/** What a new hold takes from the request that makes it. */
export type HoldRequest = Pick<
  ReserveRequest,
  'reservationId' | 'saleId' | 'userId' | 'idempotencyKey' | 'holdMs' | 'now'
>;

/**
 * The hold a reserve makes: `quantity` units (`seatIds` on a seat map, none for general
 * admission) HELD for the request's buyer from `now` until `now + holdMs`. Every store's reserve,
 * group reserve and the lock strategy build their hold with it.
 */
export function newHold(request: HoldRequest, quantity: number, seatIds: string[]): HoldRecord {
  return {
    reservationId: request.reservationId,
    saleId: request.saleId,
    userId: request.userId,
    idempotencyKey: request.idempotencyKey,
    quantity,
    seatIds,
    status: 'HELD',
    heldAt: request.now,
    expiresAt: request.now + request.holdMs,
  };
}
