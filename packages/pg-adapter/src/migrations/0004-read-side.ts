/**
 * The read side (CQRS, issue 21): tables the projector builds from the event topics. Nothing on
 * the write path reads them. Every event is applied once: `read_events` is keyed by event id and
 * the projector applies only the events its insert newly recorded. Every view is a function of
 * the SET of events applied, not of their order, so events of one sale arriving out of order
 * across partitions build the same views. No foreign keys: the read side may be rebuilt, or
 * receive a sale's events before the sale's row exists, in any schema.
 */
export const sql = /* sql */ `
-- Every event applied, once (the idempotency gate), kept as the audit of every stock and seat
-- change: who (user, reservation), what (type, reason, deltas), which seats, when.
CREATE TABLE {{schema}}.read_events (
  event_id        text PRIMARY KEY,
  sale_id         text NOT NULL,
  type            text NOT NULL,
  reason          text,
  reservation_id  text,
  user_id         text,
  seat_ids        text[] NOT NULL DEFAULT '{}',
  delta           integer NOT NULL DEFAULT 0,
  confirmed_delta integer NOT NULL DEFAULT 0,
  occurred_at     bigint NOT NULL CHECK (occurred_at >= 0)
);
CREATE INDEX read_events_by_sale ON {{schema}}.read_events (sale_id, occurred_at);
CREATE INDEX read_events_by_seat ON {{schema}}.read_events USING gin (seat_ids);

-- Each reservation at the furthest state any of its events reached (rank: HELD 1, EXPIRED and
-- RELEASED 2, FAILED 3, CONFIRMED 4), whatever order they came in.
CREATE TABLE {{schema}}.read_reservations (
  sale_id        text NOT NULL,
  reservation_id text NOT NULL,
  user_id        text,
  quantity       integer NOT NULL,
  seat_ids       text[] NOT NULL DEFAULT '{}',
  amount_cents   bigint NOT NULL DEFAULT 0,
  state          text NOT NULL CHECK (state IN ('HELD', 'EXPIRED', 'RELEASED', 'FAILED', 'CONFIRMED')),
  state_rank     smallint NOT NULL,
  held_at        bigint NOT NULL,
  expires_at     bigint,
  settled_at     bigint,
  reason         text,
  PRIMARY KEY (sale_id, reservation_id)
);
CREATE INDEX read_reservations_by_user ON {{schema}}.read_reservations (user_id, held_at DESC);
CREATE INDEX read_reservations_by_seat ON {{schema}}.read_reservations USING gin (seat_ids);

-- The seat map: recomputed from read_reservations for the seats each batch touches.
CREATE TABLE {{schema}}.read_seats (
  sale_id        text NOT NULL,
  seat_id        text NOT NULL,
  state          text NOT NULL CHECK (state IN ('AVAILABLE', 'HELD', 'SOLD')),
  reservation_id text,
  user_id        text,
  since          bigint NOT NULL,
  expires_at     bigint,
  PRIMARY KEY (sale_id, seat_id)
);

-- Per-sale counters per minute of event time; totals are their sums. Additive, so commutative.
CREATE TABLE {{schema}}.read_sale_minutes (
  sale_id          text NOT NULL,
  minute           bigint NOT NULL,
  requested        integer NOT NULL DEFAULT 0,
  confirmed        integer NOT NULL DEFAULT 0,
  failed           integer NOT NULL DEFAULT 0,
  expired          integer NOT NULL DEFAULT 0,
  admitted         integer NOT NULL DEFAULT 0,
  available_delta  integer NOT NULL DEFAULT 0,
  units_sold       integer NOT NULL DEFAULT 0,
  revenue_cents    bigint NOT NULL DEFAULT 0,
  last_event_at    bigint NOT NULL,
  PRIMARY KEY (sale_id, minute)
);
`;
