import type { Notification } from '../ports/notification-outbox';
import type { ReservationRow } from '../ports/reservation-repository';

/** "Your tickets": written with the reservation's CONFIRMED step. */
export function confirmedNotification(
  row: ReservationRow,
  paymentId: string,
  currency: string,
  now: number,
): Notification {
  return aboutReservation(row, 'confirmed', 'RESERVATION_CONFIRMED', now, {
    amountCents: row.amountCents,
    currency,
    paymentId,
  });
}

/** "Your reservation failed" (with its reason): written with the reservation's FAILED step. */
export function failedNotification(row: ReservationRow, reason: string, now: number): Notification {
  return aboutReservation(row, 'failed', 'RESERVATION_FAILED', now, { reason });
}

/** "A seat is free for you until …": a waiting-list offer. */
export function offerNotification(input: {
  saleId: string;
  userId: string;
  offerId: string;
  expiresAt: number;
  now: number;
}): Notification {
  return {
    notificationId: `offer-${input.offerId}`,
    kind: 'WAITING_LIST_OFFER',
    saleId: input.saleId,
    userId: input.userId,
    reservationId: null,
    data: { offerId: input.offerId, expiresAt: input.expiresAt },
    createdAt: input.now,
  };
}

/**
 * A notification of the end of `row`'s reservation, once per reservation and outcome (its id is
 * `<prefix>-<reservationId>`): its units and seats, with `data` of the outcome.
 */
function aboutReservation(
  row: ReservationRow,
  prefix: 'confirmed' | 'failed',
  kind: Notification['kind'],
  now: number,
  data: Notification['data'],
): Notification {
  return {
    notificationId: `${prefix}-${row.reservationId}`,
    kind,
    saleId: row.saleId,
    userId: row.userId,
    reservationId: row.reservationId,
    data: { quantity: row.quantity, seatIds: row.seatIds, ...data },
    createdAt: now,
  };
}
