/**
 * The read side's seat-to-reservation links (issue 21, projector throughput). The projector
 * recomputes each seat a batch touches from every reservation that named it. Found through the
 * GIN index on `read_reservations.seat_ids`, the planner chose the sale's primary-key range
 * instead and filtered every reservation of the sale, once per seat: a batch cost grew with the
 * sale's size (about 0.24 ms a seat with 1,200 reservations). With this table each seat's
 * reservations are a primary-key range. It is derived from `read_reservations` (the seats any of
 * a reservation's events named), so it is backfilled here and never compared by a rebuild. The
 * GIN index it replaces is dropped: nothing else read through it, and every projected
 * reservation paid for its upkeep.
 */
export const sql = /* sql */ `
CREATE TABLE {{schema}}.read_seat_reservations (
  sale_id        text NOT NULL,
  seat_id        text NOT NULL,
  reservation_id text NOT NULL,
  PRIMARY KEY (sale_id, seat_id, reservation_id)
);
INSERT INTO {{schema}}.read_seat_reservations (sale_id, seat_id, reservation_id)
  SELECT r.sale_id, s.seat_id, r.reservation_id
  FROM {{schema}}.read_reservations r, unnest(r.seat_ids) AS s(seat_id)
  ON CONFLICT DO NOTHING;
DROP INDEX {{schema}}.read_reservations_by_seat;
`;
