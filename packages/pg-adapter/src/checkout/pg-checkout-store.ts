import type {
  CheckoutStore,
  ClaimedNotification,
  Notification,
  NotificationOutbox,
  NotificationRecord,
  PaymentRecord,
  PaymentRecordStatus,
  ReservationStatusChange,
} from '@seatrush/core';
import type pg from 'pg';
import type { PgConnection } from '../connection';
import { translatePgError } from '../errors';
import { statusChangeParameters, statusChangeUpdate } from '../repository/status-change';
import { qualifiedTables } from '../sql-names';

interface PaymentColumns {
  reservation_id: string;
  sale_id: string;
  user_id: string;
  provider: string;
  payment_id: string;
  amount_cents: string;
  currency: string;
  status: PaymentRecordStatus;
  client_secret: string | null;
  last_failure_code: string | null;
  created_at: string;
  updated_at: string;
}

interface NotificationColumns {
  notification_id: string;
  kind: Notification['kind'];
  sale_id: string;
  user_id: string;
  reservation_id: string | null;
  data: Notification['data'];
  created_at: string;
  status: 'PENDING' | 'SENT';
  attempts: number;
  sent_at: string | null;
  last_error: string | null;
}

const PAYMENT_COLUMNS =
  'reservation_id, sale_id, user_id, provider, payment_id, amount_cents, currency, status, client_secret, last_failure_code, created_at, updated_at';
const NOTIFICATION_COLUMNS =
  'notification_id, kind, sale_id, user_id, reservation_id, data, created_at, status, attempts, sent_at, last_error';

/**
 * The checkout's records and the notification outbox on PostgreSQL, in the reservations' schema
 * (migration 3). `recordPayment` and `settle` are each ONE statement with data-modifying CTEs, so
 * a payment and its PAYMENT_PENDING step, or a reservation's final step and its notification,
 * commit together or not at all. `claim` leases with `FOR UPDATE SKIP LOCKED`, so relays in several
 * instances never send one notification at the same time.
 */
export class PgCheckoutStore implements CheckoutStore, NotificationOutbox {
  readonly #pool: pg.Pool;
  readonly #t: Record<'payments' | 'receipts' | 'outbox' | 'reservations' | 'reservationIds', string>;

  constructor(connection: PgConnection) {
    this.#pool = connection.primary;
    this.#t = qualifiedTables(connection.schema, {
      payments: 'checkout_payments',
      receipts: 'webhook_receipts',
      outbox: 'notification_outbox',
      reservations: 'reservations',
      reservationIds: 'reservation_ids',
    });
  }

  async recordPayment(record: PaymentRecord): Promise<{ record: PaymentRecord; created: boolean }> {
    const { rows } = await this.#query<{ created: number }>(
      'payment record',
      `WITH inserted AS (
         INSERT INTO ${this.#t.payments} (${PAYMENT_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (reservation_id) DO NOTHING
         RETURNING sale_id, reservation_id
       ), moved AS (
         UPDATE ${this.#t.reservations} r SET status = 'PAYMENT_PENDING', updated_at = $11
         FROM inserted i
         WHERE r.sale_id = i.sale_id AND r.reservation_id = i.reservation_id AND r.status = 'REQUESTED'
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM inserted)::int AS created`,
      [
        record.reservationId,
        record.saleId,
        record.userId,
        record.provider,
        record.paymentId,
        record.amountCents,
        record.currency,
        record.status,
        record.clientSecret,
        record.lastFailureCode,
        record.createdAt,
        record.updatedAt,
      ],
    );
    if (rows[0]?.created === 1) return { record: { ...record }, created: true };
    const existing = await this.payment(record.reservationId);
    if (!existing) throw translatePgError('payment record', new Error('payment vanished after a conflict'));
    return { record: existing, created: false };
  }

  async payment(reservationId: string): Promise<PaymentRecord | null> {
    const { rows } = await this.#query<PaymentColumns>(
      'payment read',
      `SELECT ${PAYMENT_COLUMNS} FROM ${this.#t.payments} WHERE reservation_id = $1`,
      [reservationId],
    );
    return rows[0] ? paymentOf(rows[0]) : null;
  }

  async updatePayment(input: Parameters<CheckoutStore['updatePayment']>[0]): Promise<boolean> {
    const { rowCount } = await this.#query(
      'payment update',
      `UPDATE ${this.#t.payments}
       SET status = $3, last_failure_code = CASE WHEN $4::boolean THEN $5 ELSE last_failure_code END, updated_at = $6
       WHERE reservation_id = $1 AND status = ANY($2::text[])`,
      [
        input.reservationId,
        input.from,
        input.to,
        input.lastFailureCode !== undefined,
        input.lastFailureCode ?? null,
        input.now,
      ],
    );
    return rowCount === 1;
  }

  async settle(input: ReservationStatusChange & { notification: Notification | null }): Promise<boolean> {
    const n = input.notification;
    const { rows } = await this.#query<{ moved: number }>(
      'reservation settle',
      `WITH moved AS (${statusChangeUpdate(this.#t)}
       ), notified AS (
         INSERT INTO ${this.#t.outbox} (notification_id, kind, sale_id, user_id, reservation_id, data, created_at, due_at)
         SELECT $9, $10, $11, $12, $13, $14::jsonb, $15, $15 FROM moved WHERE $9::text IS NOT NULL
         ON CONFLICT (notification_id) DO NOTHING
       )
       SELECT count(*)::int AS moved FROM moved`,
      [
        ...statusChangeParameters(input),
        n?.notificationId ?? null,
        n?.kind ?? null,
        n?.saleId ?? null,
        n?.userId ?? null,
        n?.reservationId ?? null,
        n ? JSON.stringify(n.data) : null,
        n?.createdAt ?? null,
      ],
    );
    return rows[0]?.moved === 1;
  }

  async hasReceipt(provider: string, eventId: string): Promise<boolean> {
    const { rowCount } = await this.#query(
      'webhook receipt read',
      `SELECT 1 FROM ${this.#t.receipts} WHERE provider = $1 AND event_id = $2`,
      [provider, eventId],
    );
    return rowCount === 1;
  }

  async recordReceipt(input: {
    provider: string;
    eventId: string;
    type: string;
    paymentId: string | null;
    receivedAt: number;
  }): Promise<void> {
    await this.#query(
      'webhook receipt',
      `INSERT INTO ${this.#t.receipts} (provider, event_id, type, payment_id, received_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [input.provider, input.eventId, input.type, input.paymentId, input.receivedAt],
    );
  }

  async enqueue(notification: Notification): Promise<boolean> {
    const { rowCount } = await this.#query(
      'notification enqueue',
      `INSERT INTO ${this.#t.outbox} (notification_id, kind, sale_id, user_id, reservation_id, data, created_at, due_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $7) ON CONFLICT (notification_id) DO NOTHING`,
      [
        notification.notificationId,
        notification.kind,
        notification.saleId,
        notification.userId,
        notification.reservationId,
        JSON.stringify(notification.data),
        notification.createdAt,
      ],
    );
    return rowCount === 1;
  }

  async claim(input: { now: number; limit: number; leaseMs: number }): Promise<ClaimedNotification[]> {
    const { rows } = await this.#query<NotificationColumns>(
      'notification claim',
      `UPDATE ${this.#t.outbox} o SET leased_until = $1 + $3
       FROM (SELECT notification_id FROM ${this.#t.outbox}
             WHERE status = 'PENDING' AND due_at <= $1 AND leased_until <= $1
             ORDER BY due_at, created_at LIMIT $2 FOR UPDATE SKIP LOCKED) due
       WHERE o.notification_id = due.notification_id
       RETURNING ${NOTIFICATION_COLUMNS.split(', ')
         .map((c) => `o.${c}`)
         .join(', ')}`,
      [input.now, input.limit, input.leaseMs],
    );
    return rows
      .map((row) => ({ ...notificationOf(row), attempts: row.attempts }))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async markSent(input: { notificationId: string; now: number }): Promise<void> {
    await this.#query(
      'notification sent',
      `UPDATE ${this.#t.outbox} SET status = 'SENT', sent_at = $2, attempts = attempts + 1
       WHERE notification_id = $1 AND status = 'PENDING'`,
      [input.notificationId, input.now],
    );
  }

  async markFailed(input: { notificationId: string; retryAt: number; error: string }): Promise<void> {
    await this.#query(
      'notification failed',
      `UPDATE ${this.#t.outbox} SET attempts = attempts + 1, due_at = $2, leased_until = 0, last_error = $3
       WHERE notification_id = $1 AND status = 'PENDING'`,
      [input.notificationId, input.retryAt, input.error.slice(0, 500)],
    );
  }

  async notification(notificationId: string): Promise<NotificationRecord | null> {
    const { rows } = await this.#query<NotificationColumns>(
      'notification read',
      `SELECT ${NOTIFICATION_COLUMNS} FROM ${this.#t.outbox} WHERE notification_id = $1`,
      [notificationId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      ...notificationOf(row),
      status: row.status,
      attempts: row.attempts,
      sentAt: row.sent_at === null ? null : Number(row.sent_at),
      lastError: row.last_error,
    };
  }

  async #query<R extends pg.QueryResultRow>(
    what: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(text, values);
    } catch (error) {
      throw translatePgError(what, error);
    }
  }
}

function paymentOf(row: PaymentColumns): PaymentRecord {
  return {
    reservationId: row.reservation_id,
    saleId: row.sale_id,
    userId: row.user_id,
    provider: row.provider,
    paymentId: row.payment_id,
    amountCents: Number(row.amount_cents),
    currency: row.currency,
    status: row.status,
    clientSecret: row.client_secret,
    lastFailureCode: row.last_failure_code,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function notificationOf(row: NotificationColumns): Notification {
  return {
    notificationId: row.notification_id,
    kind: row.kind,
    saleId: row.sale_id,
    userId: row.user_id,
    reservationId: row.reservation_id,
    data: row.data,
    createdAt: Number(row.created_at),
  };
}
