import { createHash } from 'node:crypto';
import type { EventOf } from '../events/events';
import type { HoldRecord } from '../ports/inventory-store';

/** What every reservation event carries about its reservation. */
export interface ReservationRef {
  reservationId: string;
  saleId: string;
  userId: string;
  quantity: number;
  seatIds: string[];
}

/**
 * Event ids derived from the reservation: a replayed handler republishes a result with the SAME
 * id, so downstream consumers deduplicate it instead of notifying the buyer twice.
 */
export function reservationEventId(
  reservationId: string,
  kind:
    | 'requested'
    | 'confirmed'
    | 'failed'
    | 'expired'
    | 'stock-held'
    | 'stock-confirmed'
    | 'stock-expired'
    | 'stock-released'
    | 'stock-compensated',
): string {
  const id = `${kind}-${reservationId}`;
  // event ids are at most 64 characters; a long reservation id is hashed instead
  return id.length <= 64
    ? id
    : `${kind}-${createHash('sha256').update(reservationId).digest('hex').slice(0, 48)}`;
}

const ref = (r: ReservationRef) => ({
  reservationId: r.reservationId,
  userId: r.userId,
  quantity: r.quantity,
  seatIds: r.seatIds,
});

/** `ReservationRequested`: the hold is made, the processor takes it from here. */
export function reservationRequested(
  hold: HoldRecord,
  amountCents: number,
  now: number,
): EventOf<'ReservationRequested'> {
  return {
    eventId: reservationEventId(hold.reservationId, 'requested'),
    type: 'ReservationRequested',
    version: 1,
    saleId: hold.saleId,
    key: hold.reservationId,
    occurredAt: now,
    idempotencyKey: hold.idempotencyKey,
    payload: {
      ...ref(hold),
      idempotencyKey: hold.idempotencyKey,
      amountCents,
      heldAt: hold.heldAt,
      expiresAt: hold.expiresAt,
    },
  };
}

/** `ReservationConfirmed`: paid, and the units are the buyer's. */
export function reservationConfirmed(
  reservation: ReservationRef,
  paymentId: string,
  amountCents: number,
  now: number,
): EventOf<'ReservationConfirmed'> {
  return {
    eventId: reservationEventId(reservation.reservationId, 'confirmed'),
    type: 'ReservationConfirmed',
    version: 1,
    saleId: reservation.saleId,
    key: reservation.reservationId,
    occurredAt: now,
    payload: { ...ref(reservation), paymentId, amountCents },
  };
}

/** `ReservationFailed`: the reservation is over; `compensated` says whether its units are back. */
export function reservationFailed(
  reservation: ReservationRef,
  reason: string,
  compensated: boolean,
  now: number,
): EventOf<'ReservationFailed'> {
  return {
    eventId: reservationEventId(reservation.reservationId, 'failed'),
    type: 'ReservationFailed',
    version: 1,
    saleId: reservation.saleId,
    key: reservation.reservationId,
    occurredAt: now,
    payload: { ...ref(reservation), reason, compensated },
  };
}

/**
 * `HoldExpired`: the hold ran out and its units went back. Its id is derived from the
 * reservation, so every publish of one expiry (the sweeper's, a retry, a republished stranded
 * row's) is the same event, which consumers deduplicate.
 */
export function holdExpired(hold: ReservationRef, now: number): EventOf<'HoldExpired'> {
  return {
    eventId: reservationEventId(hold.reservationId, 'expired'),
    type: 'HoldExpired',
    version: 1,
    saleId: hold.saleId,
    key: hold.reservationId,
    occurredAt: now,
    payload: ref(hold),
  };
}
