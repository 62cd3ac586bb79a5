/**
 * Notifications to buyers (reservation confirmed, reservation failed, a waiting-list offer). They
 * are written to an outbox in the same atomic step as the state change they announce (PostgreSQL
 * in production, see `CheckoutStore.settle`), and a relay hands them to the host's
 * {@link NotificationSender}. A crash therefore never loses one, and never makes a second one: every
 * notification has a stable id derived from what it announces, the outbox keeps one row per id, and
 * the sender is given that id to deduplicate a delivery repeated after a crash between "sent" and
 * "marked sent".
 */

/** What a notification announces. */
export type NotificationKind = 'RESERVATION_CONFIRMED' | 'RESERVATION_FAILED' | 'WAITING_LIST_OFFER';

/** One notification to one buyer. */
export interface Notification {
  /** Stable and derived from what it announces (`confirmed-<reservationId>`): the dedup key. */
  notificationId: string;
  kind: NotificationKind;
  saleId: string;
  userId: string;
  reservationId: string | null;
  /** What a template needs (amount, seats, reason, an offer's deadline, …). */
  data: Record<string, string | number | boolean | null | string[]>;
  createdAt: number;
}

/** A notification the relay claimed: sent at least `attempts` times before. */
export interface ClaimedNotification extends Notification {
  attempts: number;
}

/** What the outbox holds of one notification, for tests and an operator view. */
export interface NotificationRecord extends Notification {
  status: 'PENDING' | 'SENT';
  attempts: number;
  sentAt: number | null;
  lastError: string | null;
}

/**
 * Where notifications wait until they are sent. Every method is idempotent; several relays (one
 * per instance) may run at once: `claim` leases what it answers, so two relays do not send the
 * same notification at the same time.
 */
export interface NotificationOutbox {
  /** Adds a notification unless one with its id exists; true when it was added. */
  enqueue(notification: Notification): Promise<boolean>;
  /**
   * Up to `limit` notifications not sent, due at `now` and not leased by another relay, oldest
   * first; each is leased until `now + leaseMs`.
   */
  claim(input: { now: number; limit: number; leaseMs: number }): Promise<ClaimedNotification[]>;
  /** Records a delivery; a later `claim` never answers the notification again. */
  markSent(input: { notificationId: string; now: number }): Promise<void>;
  /** Records a failed delivery: the notification is due again at `retryAt`. */
  markFailed(input: { notificationId: string; retryAt: number; error: string }): Promise<void>;
  /** One notification as the outbox has it, or null. */
  notification(notificationId: string): Promise<NotificationRecord | null>;
}

/**
 * The host's channel to its buyers (e-mail, SMS, push, a webhook of its own). A delivery may be
 * repeated after a crash: a sender that must never repeat one deduplicates on `notificationId`
 * (most mail and push APIs take it as an idempotency key).
 */
export interface NotificationSender {
  send(notification: Notification): Promise<void>;
}
