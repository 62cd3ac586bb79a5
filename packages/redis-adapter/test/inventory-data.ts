// Inventory snapshots and reserve requests for the tests and the benchmarks: plain data (the
// benchmarks bundle this file into Node scripts, so it imports types only).
import type { ReserveRequest, Selection } from '@seatrush/core';

/** A general-admission snapshot. */
export function generalSale(saleId: string, units: number, ticketsPerUser = 4) {
  return {
    saleId,
    initialStock: units,
    available: units,
    seatIds: [],
    confirmedSeatIds: [],
    ticketsPerUser,
    confirmedPerUser: {},
  };
}

/** An assigned-seating snapshot with seats `s1` … `s<n>`. */
export function seatedSale(saleId: string, seats: number, ticketsPerUser = 4) {
  const seatIds = Array.from({ length: seats }, (_, i) => `s${i + 1}`);
  return {
    saleId,
    initialStock: seats,
    available: seats,
    seatIds,
    confirmedSeatIds: [],
    ticketsPerUser,
    confirmedPerUser: {},
  };
}

/**
 * Buyer `i`'s reserve of `saleId` (user `u<i>`, reservation `r<i>`, key `k<i>`): one unit unless
 * `selection` says otherwise, no admission asked.
 */
export function buyerRequest(
  saleId: string,
  i: number,
  at: { holdMs: number; now: number; selection?: Selection },
): ReserveRequest {
  return {
    saleId,
    userId: `u${i}`,
    reservationId: `r${i}`,
    idempotencyKey: `k${i}`,
    selection: at.selection ?? { kind: 'quantity', quantity: 1 },
    holdMs: at.holdMs,
    requireAdmission: false,
    now: at.now,
  };
}
