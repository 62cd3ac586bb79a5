import type {
  ClaimedNotification,
  Notification,
  NotificationOutbox,
  NotificationRecord,
  NotificationSender,
} from '../ports/notification-outbox';
import { copyPlain } from './plain-copy';

interface Entry extends NotificationRecord {
  dueAt: number;
  leasedUntil: number;
}

/** The notification outbox in memory: one process, nothing survives it. */
export class MemoryNotificationOutbox implements NotificationOutbox {
  readonly #entries = new Map<string, Entry>();

  async enqueue(notification: Notification): Promise<boolean> {
    if (this.#entries.has(notification.notificationId)) return false;
    this.#entries.set(notification.notificationId, {
      ...copyPlain(notification),
      status: 'PENDING',
      attempts: 0,
      sentAt: null,
      lastError: null,
      dueAt: notification.createdAt,
      leasedUntil: 0,
    });
    return true;
  }

  async claim(input: { now: number; limit: number; leaseMs: number }): Promise<ClaimedNotification[]> {
    const due = [...this.#entries.values()]
      .filter((e) => e.status === 'PENDING' && e.dueAt <= input.now && e.leasedUntil <= input.now)
      .sort((a, b) => a.createdAt - b.createdAt)
      .slice(0, input.limit);
    for (const entry of due) entry.leasedUntil = input.now + input.leaseMs;
    return due.map((entry) => ({ ...notificationOf(entry), attempts: entry.attempts }));
  }

  async markSent(input: { notificationId: string; now: number }): Promise<void> {
    const entry = this.#entries.get(input.notificationId);
    if (!entry || entry.status === 'SENT') return;
    entry.status = 'SENT';
    entry.sentAt = input.now;
    entry.attempts += 1;
  }

  async markFailed(input: { notificationId: string; retryAt: number; error: string }): Promise<void> {
    const entry = this.#entries.get(input.notificationId);
    if (!entry || entry.status === 'SENT') return;
    entry.attempts += 1;
    entry.dueAt = input.retryAt;
    entry.leasedUntil = 0;
    entry.lastError = input.error.slice(0, 500);
  }

  async notification(notificationId: string): Promise<NotificationRecord | null> {
    const entry = this.#entries.get(notificationId);
    return entry ? recordOf(entry) : null;
  }

  /** Every notification, oldest first (tests, an operator view). */
  all(): NotificationRecord[] {
    return [...this.#entries.values()].sort((a, b) => a.createdAt - b.createdAt).map(recordOf);
  }
}

/** A sender that keeps what it was given: the embedded default, and the tests' witness. */
export class MemoryNotificationSender implements NotificationSender {
  readonly #sent: Notification[] = [];

  async send(notification: Notification): Promise<void> {
    this.#sent.push(copyPlain(notification));
  }

  /** Every delivery, repeats included, oldest first. */
  sent(): Notification[] {
    return this.#sent.map((n) => copyPlain(n));
  }
}

function notificationOf(entry: Entry): Notification {
  const { notificationId, kind, saleId, userId, reservationId, data, createdAt } = entry;
  return copyPlain({ notificationId, kind, saleId, userId, reservationId, data, createdAt });
}

function recordOf(entry: Entry): NotificationRecord {
  const { status, attempts, sentAt, lastError } = entry;
  return { ...notificationOf(entry), status, attempts, sentAt, lastError };
}
