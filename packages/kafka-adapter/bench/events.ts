import type { EventOf } from '@seatrush/core';

/** The benchmarks' `ReservationRequested` number `n` (about 373 bytes as JSON; two seats). */
export function event(n: number): EventOf<'ReservationRequested'> {
  return {
    eventId: `bench-${n}`,
    type: 'ReservationRequested',
    version: 1,
    saleId: 'bench-sale',
    key: `r${n}`,
    occurredAt: 1_700_000_000_000 + n,
    traceId: `trace-${n}`,
    idempotencyKey: `idem-${n}`,
    payload: {
      reservationId: `r${n}`,
      userId: `user-${n}`,
      quantity: 2,
      seatIds: ['A-1', 'A-2'],
      idempotencyKey: `idem-${n}`,
      amountCents: 12_000,
      heldAt: 1_700_000_000_000,
      expiresAt: 1_700_000_600_000,
    },
  };
}
