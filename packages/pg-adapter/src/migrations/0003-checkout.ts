/**
 * The buyer-driven checkout (issue 18): each reservation's payment, the receipts of handled
 * webhooks, and the notification outbox. A reservation's final step and its notification are
 * written in ONE statement (`PgCheckoutStore.settle`), so a crash neither loses nor duplicates a
 * notification. The reservation states were already the checkout's: REQUESTED (held, awaiting its
 * payment) → PAYMENT_PENDING (a payment was created) → CONFIRMED | FAILED → COMPENSATED.
 */
export const sql = /* sql */ `
CREATE TABLE {{schema}}.checkout_payments (
  reservation_id    text PRIMARY KEY,
  sale_id           text NOT NULL,
  user_id           text NOT NULL,
  provider          text NOT NULL CONSTRAINT checkout_payments_provider_safe CHECK (provider ~ '^[a-z0-9_-]{1,32}$'),
  payment_id        text NOT NULL CHECK (length(payment_id) BETWEEN 1 AND 255),
  amount_cents      bigint NOT NULL CHECK (amount_cents >= 0),
  currency          text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
  status            text NOT NULL CONSTRAINT checkout_payments_status_known
                      CHECK (status IN ('PENDING', 'SUCCEEDED', 'VOIDED', 'REFUNDED')),
  client_secret     text CHECK (length(client_secret) <= 512),
  last_failure_code text CHECK (length(last_failure_code) <= 64),
  created_at        bigint NOT NULL CHECK (created_at >= 0),
  updated_at        bigint NOT NULL CHECK (updated_at >= 0),
  CONSTRAINT checkout_payments_one_reservation_per_payment UNIQUE (provider, payment_id),
  FOREIGN KEY (sale_id, reservation_id) REFERENCES {{schema}}.reservations (sale_id, reservation_id) ON DELETE CASCADE
);

-- One row per webhook event handled completely: a delivery repeated later is answered DUPLICATE.
CREATE TABLE {{schema}}.webhook_receipts (
  provider    text NOT NULL,
  event_id    text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 255),
  type        text NOT NULL,
  payment_id  text,
  received_at bigint NOT NULL,
  PRIMARY KEY (provider, event_id)
);

CREATE TABLE {{schema}}.notification_outbox (
  notification_id text PRIMARY KEY CHECK (length(notification_id) BETWEEN 1 AND 160),
  kind            text NOT NULL CONSTRAINT notification_outbox_kind_known
                    CHECK (kind IN ('RESERVATION_CONFIRMED', 'RESERVATION_FAILED', 'WAITING_LIST_OFFER')),
  sale_id         text NOT NULL,
  user_id         text NOT NULL,
  reservation_id  text,
  data            jsonb NOT NULL,
  created_at      bigint NOT NULL,
  status          text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENT')),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  due_at          bigint NOT NULL,
  leased_until    bigint NOT NULL DEFAULT 0,
  sent_at         bigint,
  last_error      text
);
-- The relay's scan: only what is still to send, oldest first.
CREATE INDEX notification_outbox_pending ON {{schema}}.notification_outbox (due_at, created_at) WHERE status = 'PENDING';
`;
