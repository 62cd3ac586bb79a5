import type { Notification } from './notification-outbox';
import type { ReservationStatusChange } from './reservation-repository';

/**
 * Where a reservation's payment stands, as the checkout records it:
 * - `PENDING`: created at the provider, the buyer is paying (declined attempts may be retried);
 * - `SUCCEEDED`: paid, and the reservation confirmed;
 * - `VOIDED`: cancelled at the provider before it was paid (hold expired, buyer left);
 * - `REFUNDED`: paid, but the confirmation could not complete, so the money went back.
 */
export type PaymentRecordStatus = 'PENDING' | 'SUCCEEDED' | 'VOIDED' | 'REFUNDED';

/** Every payment record status, for enumeration and database checks. */
export const PAYMENT_RECORD_STATUSES = [
  'PENDING',
  'SUCCEEDED',
  'VOIDED',
  'REFUNDED',
] as const satisfies readonly PaymentRecordStatus[];

/** The payment of one reservation (at most one per reservation). */
export interface PaymentRecord {
  reservationId: string;
  saleId: string;
  userId: string;
  /** The provider's name (`PaymentProvider.name`). */
  provider: string;
  /** The provider's payment id. */
  paymentId: string;
  amountCents: number;
  currency: string;
  status: PaymentRecordStatus;
  /** What the buyer's client confirms the payment with (kept so a reload resumes the payment). */
  clientSecret: string | null;
  /** The code of the last declined attempt, if any. */
  lastFailureCode: string | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * The checkout's records in the source of truth: each reservation's payment, the receipts of
 * handled webhooks, and the reservation's final step written together with its notification.
 * PostgreSQL in production (the same database as the reservations, so `recordPayment` and `settle`
 * are one transaction each); `MemoryCheckoutStore` in one process.
 */
export interface CheckoutStore {
  /**
   * Records a reservation's payment and moves the reservation REQUESTED → PAYMENT_PENDING, in one
   * atomic step. A reservation has at most one payment: when it has one already, that one is
   * answered with `created: false` and nothing changes.
   */
  recordPayment(record: PaymentRecord): Promise<{ record: PaymentRecord; created: boolean }>;
  /** A reservation's payment, or null. */
  payment(reservationId: string): Promise<PaymentRecord | null>;
  /**
   * Moves a payment's status from one of `from` to `to` (guarded, like the reservations'
   * transitions); `lastFailureCode` is written when given. False when the status was not in `from`.
   */
  updatePayment(input: {
    reservationId: string;
    from: PaymentRecordStatus[];
    to: PaymentRecordStatus;
    lastFailureCode?: string | null;
    now: number;
  }): Promise<boolean>;
  /**
   * A reservation's last step and the notification that announces it, in ONE atomic step: the
   * reservation moves to `to` only if its status is one of `from`, and the notification is added
   * to the outbox (unless one with its id exists) only when it moved. False when it did not move.
   */
  settle(input: ReservationStatusChange & { notification: Notification | null }): Promise<boolean>;
  /** Whether a webhook event of `provider` was handled completely before. */
  hasReceipt(provider: string, eventId: string): Promise<boolean>;
  /** Records that a webhook event was handled completely (idempotent: the first record stands). */
  recordReceipt(input: {
    provider: string;
    eventId: string;
    type: string;
    paymentId: string | null;
    receivedAt: number;
  }): Promise<void>;
}
