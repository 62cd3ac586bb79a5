/**
 * Sales, their seats, reservations (partitioned by sale), the global reservation-id index, sold
 * seats and payments. Constraints make the invariants impossible to break at the database:
 * positive quantities, statuses from the state machine's set, one idempotency key per sale, one
 * reservation id in the whole schema, and ONE confirmed reservation per seat (the primary key of
 * `sold_seats`, kept by a trigger whoever writes the reservation).
 *
 * Hot-path indexes only: primary keys and the idempotency unique key. Reporting indexes are built
 * per sale after it closes (`buildReportingIndexes`).
 */
export const sql = /* sql */ `
CREATE TABLE {{schema}}.sales (
  sale_id          text PRIMARY KEY CONSTRAINT sales_sale_id_safe CHECK (sale_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
  name             text NOT NULL,
  kind             text NOT NULL CONSTRAINT sales_kind_known CHECK (kind IN ('general', 'assigned')),
  initial_stock    integer NOT NULL CONSTRAINT sales_initial_stock_nonnegative CHECK (initial_stock >= 0),
  tickets_per_user integer NOT NULL CONSTRAINT sales_tickets_per_user_positive CHECK (tickets_per_user > 0),
  definition       jsonb NOT NULL,
  partition_name   text NOT NULL UNIQUE,
  closed_at        bigint,
  saved_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE {{schema}}.seats (
  sale_id    text NOT NULL REFERENCES {{schema}}.sales (sale_id) ON DELETE CASCADE,
  seat_id    text NOT NULL CONSTRAINT seats_seat_id_safe CHECK (seat_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
  position   integer NOT NULL CHECK (position >= 0),
  section_id text NOT NULL,
  row_id     text NOT NULL,
  label      text NOT NULL,
  tier       text NOT NULL,
  PRIMARY KEY (sale_id, seat_id)
);

-- Declarative partitioning by sale: saveSale creates the sale's partition, so one sale's writes
-- touch one small table and its indexes, and a closed sale can be detached or archived whole.
-- There is deliberately no DEFAULT partition: a row of a sale never saved has nowhere to go and is
-- refused, which is the foreign key to sales without a per-row check on the hot path.
CREATE TABLE {{schema}}.reservations (
  sale_id         text NOT NULL,
  reservation_id  text NOT NULL CONSTRAINT reservations_reservation_id_safe
                    CHECK (reservation_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
  user_id         text NOT NULL CONSTRAINT reservations_user_id_safe CHECK (user_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
  idempotency_key text NOT NULL CONSTRAINT reservations_idempotency_key_safe
                    CHECK (idempotency_key ~ '^[A-Za-z0-9_.-]{1,128}$'),
  quantity        integer NOT NULL CONSTRAINT reservations_quantity_positive CHECK (quantity > 0),
  seat_ids        text[] NOT NULL DEFAULT '{}',
  amount_cents    bigint NOT NULL CONSTRAINT reservations_amount_nonnegative CHECK (amount_cents >= 0),
  status          text NOT NULL CONSTRAINT reservations_status_known
                    CHECK (status IN ('REQUESTED', 'PAYMENT_PENDING', 'CONFIRMED', 'FAILED', 'COMPENSATED')),
  payment_id      text CHECK (length(payment_id) <= 128),
  failure_reason  text CHECK (length(failure_reason) <= 64),
  created_at      bigint NOT NULL CHECK (created_at >= 0),
  updated_at      bigint NOT NULL CHECK (updated_at >= 0),
  CONSTRAINT reservations_seats_match_quantity CHECK (cardinality(seat_ids) = 0 OR cardinality(seat_ids) = quantity),
  PRIMARY KEY (sale_id, reservation_id),
  CONSTRAINT reservations_idempotency_key_unique UNIQUE (sale_id, idempotency_key)
) PARTITION BY LIST (sale_id);

-- A partitioned table's unique keys must include the partition key, so the uniqueness of a
-- reservation id across sales (and lookups by id alone) lives in this small index table, filled by
-- the trigger below in the inserting statement (so a raw INSERT is held to it as well).
CREATE TABLE {{schema}}.reservation_ids (
  reservation_id text PRIMARY KEY,
  sale_id        text NOT NULL
);

-- The database's own guarantee that no seat is sold twice.
CREATE TABLE {{schema}}.sold_seats (
  sale_id        text NOT NULL,
  seat_id        text NOT NULL,
  reservation_id text NOT NULL,
  CONSTRAINT sold_seats_one_confirmed_reservation_per_seat PRIMARY KEY (sale_id, seat_id),
  CONSTRAINT sold_seats_seat_in_map FOREIGN KEY (sale_id, seat_id) REFERENCES {{schema}}.seats (sale_id, seat_id),
  FOREIGN KEY (sale_id, reservation_id) REFERENCES {{schema}}.reservations (sale_id, reservation_id) ON DELETE CASCADE
);
CREATE INDEX sold_seats_by_reservation ON {{schema}}.sold_seats (sale_id, reservation_id);

CREATE TABLE {{schema}}.payments (
  payment_id     text PRIMARY KEY,
  sale_id        text NOT NULL,
  reservation_id text NOT NULL,
  amount_cents   bigint NOT NULL CHECK (amount_cents >= 0),
  recorded_at    bigint NOT NULL,
  FOREIGN KEY (sale_id, reservation_id) REFERENCES {{schema}}.reservations (sale_id, reservation_id) ON DELETE CASCADE
);

-- Keeps reservation_ids, sold_seats and payments in step with reservations inside the writing
-- statement, so no writer (the adapter, a script, an operator's psql) can reuse a reservation id
-- or confirm a seat without claiming it.
CREATE FUNCTION {{schema}}.reservations_derive() RETURNS trigger
LANGUAGE plpgsql SET search_path = {{schema}} AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO reservation_ids (reservation_id, sale_id) VALUES (NEW.reservation_id, NEW.sale_id);
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.status = 'CONFIRMED' AND NEW.status <> 'CONFIRMED' THEN
    DELETE FROM sold_seats WHERE sale_id = OLD.sale_id AND reservation_id = OLD.reservation_id;
  END IF;
  IF NEW.status = 'CONFIRMED' AND (TG_OP = 'INSERT' OR OLD.status <> 'CONFIRMED') THEN
    INSERT INTO sold_seats (sale_id, seat_id, reservation_id)
    SELECT NEW.sale_id, seat, NEW.reservation_id FROM unnest(NEW.seat_ids) AS seat;
  END IF;
  IF NEW.payment_id IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.payment_id IS DISTINCT FROM NEW.payment_id) THEN
    INSERT INTO payments (payment_id, sale_id, reservation_id, amount_cents, recorded_at)
    VALUES (NEW.payment_id, NEW.sale_id, NEW.reservation_id, NEW.amount_cents, NEW.updated_at)
    ON CONFLICT (payment_id) DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER reservations_derive
AFTER INSERT OR UPDATE OF status, payment_id ON {{schema}}.reservations
FOR EACH ROW EXECUTE FUNCTION {{schema}}.reservations_derive();
`;
