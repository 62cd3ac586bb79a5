/**
 * The audit of stock changes (every `StockChanged` event, once by event id: replaying a sale's
 * rows rebuilds its counts) and the record of reconciliation runs and repairs.
 */
export const sql = /* sql */ `
CREATE TABLE {{schema}}.stock_changes (
  seq             bigserial PRIMARY KEY,
  event_id        text NOT NULL CONSTRAINT stock_changes_event_once UNIQUE,
  sale_id         text NOT NULL REFERENCES {{schema}}.sales (sale_id),
  reason          text NOT NULL CONSTRAINT stock_changes_reason_known
                    CHECK (reason IN ('HELD', 'RELEASED', 'EXPIRED', 'COMPENSATED', 'CONFIRMED', 'REPAIRED', 'WARMED')),
  delta           integer NOT NULL,
  confirmed_delta integer NOT NULL,
  reservation_id  text,
  seat_ids        text[] NOT NULL DEFAULT '{}',
  occurred_at     bigint NOT NULL CHECK (occurred_at >= 0)
);
CREATE INDEX stock_changes_by_sale ON {{schema}}.stock_changes (sale_id, seq);

-- No foreign key to sales: a run over a sale the source of truth does not know is itself a
-- finding worth keeping.
CREATE TABLE {{schema}}.reconciliation_runs (
  run_id          bigserial PRIMARY KEY,
  sale_id         text NOT NULL,
  ran_at          bigint NOT NULL CHECK (ran_at >= 0),
  store_available integer NOT NULL,
  store_held      integer NOT NULL,
  store_confirmed integer NOT NULL,
  truth_confirmed integer NOT NULL,
  truth_pending   integer NOT NULL,
  consistent      boolean NOT NULL,
  repaired        boolean NOT NULL
);
CREATE INDEX reconciliation_runs_by_sale ON {{schema}}.reconciliation_runs (sale_id, ran_at DESC);
`;
