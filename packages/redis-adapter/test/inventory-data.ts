// Inventory snapshots for the tests and the benchmarks (plain data: the benchmarks bundle this file
// as a Node script, so it imports nothing).

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
