import type { Notification } from '../ports/notification-outbox';
import type { ReservationRow } from '../ports/reservation-repository';

/** "Your tickets": written with the reservation's CONFIRMED step. */
export function confirmedNotification(
  row: ReservationRow,
  paymentId: string,
  currency: string,
  now: number,
): Notification {
  return {
    notificationId: `confirmed-${row.reservationId}`,
    kind: 'RESERVATION_CONFIRMED',
    saleId: row.saleId,
    userId: row.userId,
    reservationId: row.reservationId,
    data: { quantity: row.quantity, seatIds: row.seatIds, amountCents: row.amountCents, currency, paymentId },
    createdAt: now,
  };
}

/** "Your reservation failed" (with its reason): written with the reservation's FAILED step. */
export function failedNotification(row: ReservationRow, reason: string, now: number): Notification {
  return {
    notificationId: `failed-${row.reservationId}`,
    kind: 'RESERVATION_FAILED',
    saleId: row.saleId,
    userId: row.userId,
    reservationId: row.reservationId,
    data: { quantity: row.quantity, seatIds: row.seatIds, reason },
    createdAt: now,
  };
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
