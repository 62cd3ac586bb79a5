import { createHash } from 'node:crypto';
import type { BatchOutcome, DomainEvent, EventHandler } from '@seatrush/core';
import { DomainEvent as DomainEventSchema, validate, z } from '@seatrush/core/ports';
import type pg from 'pg';
import { type PgConnection, withClient } from '../connection';
import { translatePgError } from '../errors';
import { qualified } from '../sql-names';
import { unnestColumns } from '../unnest';
import {
  type EventRow,
  eventRowOf,
  MINUTE_MS,
  type ReservationContribution,
  reservationContributions,
} from './projection';

/** The record statement's event columns, `$1` to `$10` of its first `unnest`. */
const EVENT_COLUMNS = [
  'eventId',
  'saleId',
  'type',
  'reason',
  'reservationId',
  'userId',
  'seatIds',
  'delta',
  'confirmedDelta',
  'occurredAt',
] as const satisfies readonly (keyof EventRow)[];

/** Its reservation contributions' columns, `$12` to `$22` of the second (`$11` is the revenue). */
const CONTRIBUTION_COLUMNS = [
  'saleId',
  'reservationId',
  'userId',
  'quantity',
  'seatIds',
  'amountCents',
  'state',
  'heldAt',
  'expiresAt',
  'settledAt',
  'reason',
] as const satisfies readonly (keyof ReservationContribution)[];

/** What a projector has done since it was created. */
export interface ProjectorProgress {
  /** Events applied for the first time. */
  applied: number;
  /** Events skipped because they were applied before (a replay, a redelivery). */
  duplicates: number;
  /** The newest event time applied; null before the first. */
  lastEventAt: number | null;
}

/**
 * The read side's projector: an `EventHandler` a host runs on a consumer group of its own
 * (`ports.consumer('seatrush-projector')`, subscribed to {@link PROJECTED_EVENT_TYPES}). It
 * applies each batch in ONE transaction on the primary, in two statements after a
 * transaction-scoped advisory lock per sale:
 *
 * 1. one statement records the events in `read_events` (ON CONFLICT (event_id) DO NOTHING) and
 *    adds the counters of the ones that insert recorded to `read_sale_minutes` (so a redelivered
 *    or replayed event is counted once), and merges every event's word on its reservation into
 *    `read_reservations` (the furthest state wins) and `read_seat_reservations`. The merge is
 *    idempotent (merging a contribution already merged changes nothing), so it needs no filter;
 * 2. one statement recomputes `read_seats` for the seats the newly recorded events touch, from
 *    the reservations linked to each seat (primary-key lookups, whatever the sale's size).
 *
 * Every view is a function of the set of applied events, so events of one sale that arrive out of
 * order across partitions build the same views; the lock makes two partitions of one sale
 * recompute its seats one after the other.
 */
export class PgProjector implements EventHandler {
  readonly #db: PgConnection;
  readonly #progress: ProjectorProgress = { applied: 0, duplicates: 0, lastEventAt: null };

  /** A projector writing the read tables of the connection's schema. */
  constructor(connection: PgConnection) {
    this.#db = connection;
  }

  /** What the projector has done so far (its lag is its consumer's `lag()`). */
  progress(): ProjectorProgress {
    return { ...this.#progress };
  }

  async handle(event: DomainEvent): Promise<void> {
    await this.apply([event]);
  }

  async handleBatch(events: DomainEvent[]): Promise<BatchOutcome> {
    await this.apply(events);
    return { failed: [] };
  }

  /**
   * Applies events (of any sales, in any order) once each.
   * @returns how many were new and how many were applied before.
   * @throws ValidationError for a malformed event (nothing is applied); InfrastructureError when
   *   PostgreSQL fails (nothing is applied: the consumer retries).
   */
  async apply(events: DomainEvent[]): Promise<{ applied: number; duplicates: number }> {
    const valid = validate('projected events', z.array(DomainEventSchema), events);
    const unique = [...new Map(valid.map((e) => [e.eventId, e])).values()];
    if (unique.length === 0) return { applied: 0, duplicates: 0 };
    let fresh: DomainEvent[];
    try {
      fresh = await withClient(this.#db.primary, async (client) => {
        // one lock a sale, taken in a fixed order (two batches of several sales never deadlock),
        // sent with BEGIN: one round trip fewer a batch
        const locks = [...new Set(unique.map((e) => e.saleId))]
          .sort(compare)
          .map(
            (sale) =>
              `SELECT pg_advisory_xact_lock(hashtext(${client.escapeLiteral(`seatrush.read-side:${sale}`)}));`,
          );
        try {
          await client.query(`BEGIN; ${locks.join(' ')}`);
          const recorded = await this.#record(client, unique);
          const applied = unique.filter((e) => recorded.has(e.eventId));
          if (applied.length > 0) await this.#recomputeSeats(client, applied);
          await client.query('COMMIT');
          return applied;
        } catch (error) {
          // a failed ROLLBACK means the connection is gone: the server has rolled back already
          await client.query('ROLLBACK').catch(() => {});
          throw error;
        }
      });
    } catch (error) {
      throw translatePgError('read-side projection', error);
    }
    this.#progress.applied += fresh.length;
    this.#progress.duplicates += valid.length - fresh.length;
    for (const event of fresh) {
      this.#progress.lastEventAt = Math.max(this.#progress.lastEventAt ?? 0, event.occurredAt);
    }
    return { applied: fresh.length, duplicates: valid.length - fresh.length };
  }

  #table(name: string): string {
    return qualified(this.#db.schema, name);
  }

  /**
   * A prepared statement's name, one per schema (a pooled connection may serve projectors of
   * several): a batch's statements are parsed and planned once per connection, not per batch
   * (planning the record statement alone took about 5 ms).
   */
  #statementName(statement: 'record' | 'seats'): string {
    return `seatrush-projector-${statement}-${createHash('sha1').update(this.#db.schema).digest('hex').slice(0, 12)}`;
  }

  /**
   * Records the events, counts the newly recorded ones per sale and minute, and merges every
   * event's reservation contribution: one statement.
   * @returns the ids of the events recorded for the first time
   */
  async #record(client: pg.PoolClient, events: DomainEvent[]): Promise<Set<string>> {
    const rows = events.map(eventRowOf);
    const revenue = events.map((e) => (e.type === 'ReservationConfirmed' ? e.payload.amountCents : 0));
    // sorted by key, so two statements upserting the same rows take their locks in one order
    const merged = reservationContributions(events).sort((a, b) =>
      a.saleId === b.saleId ? compare(a.reservationId, b.reservationId) : compare(a.saleId, b.saleId),
    );
    // `ahead`: the incoming row outranks the stored one (same order as mergeContributions)
    const ahead = `(excluded.state_rank, excluded.state, -coalesce(excluded.settled_at, 0))
                   > (r.state_rank, r.state, -coalesce(r.settled_at, 0))`;
    const { rows: inserted } = await client.query<{ event_id: string }>({
      name: this.#statementName('record'),
      text: `WITH e AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[],
                              $8::int[], $9::int[], $10::bigint[], $11::bigint[])
           AS e(event_id, sale_id, type, reason, reservation_id, user_id, seat_ids, delta, confirmed_delta,
                occurred_at, revenue_cents)
       ),
       recorded AS (
         INSERT INTO ${this.#table('read_events')}
           (event_id, sale_id, type, reason, reservation_id, user_id, seat_ids, delta, confirmed_delta, occurred_at)
         SELECT e.event_id, e.sale_id, e.type, e.reason, e.reservation_id, e.user_id,
                coalesce((SELECT array_agg(s) FROM jsonb_array_elements_text(e.seat_ids) s), '{}'),
                e.delta, e.confirmed_delta, e.occurred_at
         FROM e
         ON CONFLICT (event_id) DO NOTHING
         RETURNING event_id
       ),
       minutes AS (
         INSERT INTO ${this.#table('read_sale_minutes')} AS m (sale_id, minute, requested, confirmed, failed,
                expired, admitted, available_delta, units_sold, revenue_cents, last_event_at)
         SELECT e.sale_id, e.occurred_at - e.occurred_at % ${MINUTE_MS},
                count(*) FILTER (WHERE e.type = 'ReservationRequested'),
                count(*) FILTER (WHERE e.type = 'ReservationConfirmed'),
                count(*) FILTER (WHERE e.type = 'ReservationFailed'),
                count(*) FILTER (WHERE e.type = 'HoldExpired'),
                count(*) FILTER (WHERE e.type = 'UserAdmitted'),
                sum(e.delta), sum(e.confirmed_delta), sum(e.revenue_cents), max(e.occurred_at)
         FROM e JOIN recorded USING (event_id)
         GROUP BY 1, 2
         ORDER BY 1, 2
         ON CONFLICT (sale_id, minute) DO UPDATE SET
           requested = m.requested + excluded.requested,
           confirmed = m.confirmed + excluded.confirmed,
           failed = m.failed + excluded.failed,
           expired = m.expired + excluded.expired,
           admitted = m.admitted + excluded.admitted,
           available_delta = m.available_delta + excluded.available_delta,
           units_sold = m.units_sold + excluded.units_sold,
           revenue_cents = m.revenue_cents + excluded.revenue_cents,
           last_event_at = greatest(m.last_event_at, excluded.last_event_at)
       ),
       c AS (
         SELECT c.sale_id, c.reservation_id, c.user_id, c.quantity,
                coalesce((SELECT array_agg(s) FROM jsonb_array_elements_text(c.seat_ids) s), '{}') AS seat_ids,
                c.amount_cents, c.state, c.held_at, c.expires_at, c.settled_at, c.reason
         FROM unnest($12::text[], $13::text[], $14::text[], $15::int[], $16::jsonb[], $17::bigint[], $18::text[],
                     $19::bigint[], $20::bigint[], $21::bigint[], $22::text[])
           AS c(sale_id, reservation_id, user_id, quantity, seat_ids, amount_cents, state, held_at, expires_at,
                settled_at, reason)
       ),
       links AS (
         INSERT INTO ${this.#table('read_seat_reservations')} (sale_id, seat_id, reservation_id)
         SELECT c.sale_id, s.seat_id, c.reservation_id FROM c, unnest(c.seat_ids) AS s(seat_id)
         ORDER BY 1, 2, 3
         ON CONFLICT DO NOTHING
       ),
       reservations AS (
         INSERT INTO ${this.#table('read_reservations')} AS r (sale_id, reservation_id, user_id, quantity, seat_ids,
                amount_cents, state, state_rank, held_at, expires_at, settled_at, reason)
         SELECT c.sale_id, c.reservation_id, c.user_id, c.quantity, c.seat_ids, c.amount_cents, c.state,
                CASE c.state WHEN 'HELD' THEN 1 WHEN 'EXPIRED' THEN 2 WHEN 'RELEASED' THEN 2
                             WHEN 'FAILED' THEN 3 ELSE 4 END,
                c.held_at, c.expires_at, c.settled_at, c.reason
         FROM c
         ON CONFLICT (sale_id, reservation_id) DO UPDATE SET
           user_id = coalesce(r.user_id, excluded.user_id),
           quantity = greatest(r.quantity, excluded.quantity),
           seat_ids = CASE WHEN cardinality(excluded.seat_ids) > cardinality(r.seat_ids)
                           THEN excluded.seat_ids ELSE r.seat_ids END,
           amount_cents = greatest(r.amount_cents, excluded.amount_cents),
           state = CASE WHEN ${ahead} THEN excluded.state ELSE r.state END,
           state_rank = greatest(r.state_rank, excluded.state_rank),
           held_at = least(r.held_at, excluded.held_at),
           expires_at = greatest(r.expires_at, excluded.expires_at),
           settled_at = CASE WHEN ${ahead} THEN excluded.settled_at ELSE r.settled_at END,
           reason = CASE WHEN ${ahead}
                         THEN coalesce(excluded.reason, CASE WHEN r.state = excluded.state THEN r.reason END)
                         ELSE coalesce(r.reason, CASE WHEN r.state = excluded.state THEN excluded.reason END) END
       )
       SELECT event_id FROM recorded`,
      values: [
        ...unnestColumns(rows, EVENT_COLUMNS, { seatIds: (ids) => JSON.stringify(ids) }),
        revenue,
        ...unnestColumns(merged, CONTRIBUTION_COLUMNS, { seatIds: (ids) => JSON.stringify(ids) }),
      ],
    });
    return new Set(inserted.map((r) => r.event_id));
  }

  /**
   * Recomputes the touched seats from every reservation that ever named them: SOLD to a confirmed
   * one, else HELD by the latest hold still open, else AVAILABLE since the last one ended.
   */
  async #recomputeSeats(client: pg.PoolClient, events: DomainEvent[]): Promise<void> {
    const pairs = new Map<string, [string, string]>();
    for (const event of events) {
      for (const seat of eventRowOf(event).seatIds)
        pairs.set(`${event.saleId}\u0000${seat}`, [event.saleId, seat]);
    }
    if (pairs.size === 0) return;
    const seats = [...pairs.values()].sort(([a, x], [b, y]) => (a === b ? compare(x, y) : compare(a, b)));
    await client.query({
      name: this.#statementName('seats'),
      text: `WITH a AS (SELECT * FROM unnest($1::text[], $2::text[]) AS a(sale_id, seat_id)),
       -- each seat's reservations, by its links; the lookup of a reservation is planned alone
       -- (OFFSET 0): a primary-key probe whatever the statistics say. Fresh tables (a rebuild, a
       -- new sale) have none, and the planner then read every reservation of the sale per seat.
       -- seat_ids @> keeps exactly the reservations whose stored seats name the seat.
       named AS MATERIALIZED (
         SELECT a.sale_id, a.seat_id, r.*
         FROM a
         JOIN ${this.#table('read_seat_reservations')} l ON l.sale_id = a.sale_id AND l.seat_id = a.seat_id
         CROSS JOIN LATERAL (
           SELECT r.reservation_id, r.user_id, r.state, r.state_rank, r.held_at, r.settled_at, r.expires_at
           FROM ${this.#table('read_reservations')} r
           WHERE r.sale_id = l.sale_id AND r.reservation_id = l.reservation_id AND r.seat_ids @> ARRAY[a.seat_id]
           OFFSET 0
         ) r
       ),
       winner AS (
         SELECT DISTINCT ON (sale_id, seat_id) *
         FROM named WHERE state IN ('CONFIRMED', 'HELD')
         ORDER BY sale_id, seat_id, state_rank DESC, held_at DESC, reservation_id DESC
       ),
       last AS (
         SELECT sale_id, seat_id, max(coalesce(settled_at, held_at)) AS at FROM named GROUP BY sale_id, seat_id
       )
       INSERT INTO ${this.#table('read_seats')} (sale_id, seat_id, state, reservation_id, user_id, since, expires_at)
       SELECT a.sale_id, a.seat_id,
              CASE w.state WHEN 'CONFIRMED' THEN 'SOLD' WHEN 'HELD' THEN 'HELD' ELSE 'AVAILABLE' END,
              w.reservation_id, w.user_id,
              coalesce(CASE w.state WHEN 'CONFIRMED' THEN w.settled_at WHEN 'HELD' THEN w.held_at END, last.at, 0),
              CASE WHEN w.state = 'HELD' THEN w.expires_at END
       FROM a
       LEFT JOIN winner w ON w.sale_id = a.sale_id AND w.seat_id = a.seat_id
       LEFT JOIN last ON last.sale_id = a.sale_id AND last.seat_id = a.seat_id
       ORDER BY a.sale_id, a.seat_id
       ON CONFLICT (sale_id, seat_id) DO UPDATE SET
         state = excluded.state, reservation_id = excluded.reservation_id, user_id = excluded.user_id,
         since = excluded.since, expires_at = excluded.expires_at`,
      values: [seats.map(([sale]) => sale), seats.map(([, seat]) => seat)],
    });
  }
}

/** Code-unit order, the same in every locale (sorting only fixes an order of lock-taking). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
