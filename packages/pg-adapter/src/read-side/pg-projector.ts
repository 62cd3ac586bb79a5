import type { BatchOutcome, DomainEvent, EventHandler } from '@seatrush/core';
import { DomainEvent as DomainEventSchema, validate, z } from '@seatrush/core/ports';
import type pg from 'pg';
import { inTransaction, type PgConnection } from '../connection';
import { translatePgError } from '../errors';
import { qualified } from '../sql-names';
import { eventRowOf, minuteCounters, reservationContributions } from './projection';

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
 * applies each batch in ONE transaction on the primary:
 *
 * 1. records the events in `read_events` (ON CONFLICT (event_id) DO NOTHING) and keeps only the
 *    ones that insert recorded — so a redelivered or replayed event changes nothing;
 * 2. merges them into `read_reservations` (the furthest state wins), `read_sale_minutes` (sums)
 *    and recomputes `read_seats` for the seats they touch from `read_reservations`.
 *
 * Every view is a function of the set of applied events, so events of one sale that arrive out of
 * order across partitions build the same views. A batch takes a transaction-scoped advisory lock
 * per sale, so two partitions of one sale recompute its seats one after the other.
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
      fresh = await inTransaction(this.#db.primary, async (client) => {
        const sales = [...new Set(unique.map((e) => e.saleId))].sort();
        for (const sale of sales) {
          await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`seatrush.read-side:${sale}`]);
        }
        const recorded = await this.#recordEvents(client, unique);
        const applied = unique.filter((e) => recorded.has(e.eventId));
        if (applied.length > 0) {
          await this.#mergeReservations(client, applied);
          await this.#addMinutes(client, applied);
          await this.#recomputeSeats(client, applied);
        }
        return applied;
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

  async #recordEvents(client: pg.PoolClient, events: DomainEvent[]): Promise<Set<string>> {
    const rows = events.map(eventRowOf);
    const { rows: inserted } = await client.query<{ event_id: string }>(
      `INSERT INTO ${this.#table('read_events')}
         (event_id, sale_id, type, reason, reservation_id, user_id, seat_ids, delta, confirmed_delta, occurred_at)
       SELECT e.event_id, e.sale_id, e.type, e.reason, e.reservation_id, e.user_id,
              coalesce((SELECT array_agg(s) FROM jsonb_array_elements_text(e.seat_ids) s), '{}'),
              e.delta, e.confirmed_delta, e.occurred_at
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[],
                   $8::int[], $9::int[], $10::bigint[])
         AS e(event_id, sale_id, type, reason, reservation_id, user_id, seat_ids, delta, confirmed_delta, occurred_at)
       ON CONFLICT (event_id) DO NOTHING
       RETURNING event_id`,
      [
        rows.map((r) => r.eventId),
        rows.map((r) => r.saleId),
        rows.map((r) => r.type),
        rows.map((r) => r.reason),
        rows.map((r) => r.reservationId),
        rows.map((r) => r.userId),
        rows.map((r) => JSON.stringify(r.seatIds)),
        rows.map((r) => r.delta),
        rows.map((r) => r.confirmedDelta),
        rows.map((r) => r.occurredAt),
      ],
    );
    return new Set(inserted.map((r) => r.event_id));
  }

  async #mergeReservations(client: pg.PoolClient, events: DomainEvent[]): Promise<void> {
    const merged = reservationContributions(events);
    if (merged.length === 0) return;
    const t = this.#table('read_reservations');
    // `ahead`: the incoming row outranks the stored one (same order as mergeContributions)
    const ahead = `(excluded.state_rank, excluded.state, -coalesce(excluded.settled_at, 0))
                   > (r.state_rank, r.state, -coalesce(r.settled_at, 0))`;
    await client.query(
      `INSERT INTO ${t} AS r (sale_id, reservation_id, user_id, quantity, seat_ids, amount_cents, state,
                              state_rank, held_at, expires_at, settled_at, reason)
       SELECT c.sale_id, c.reservation_id, c.user_id, c.quantity,
              coalesce((SELECT array_agg(s) FROM jsonb_array_elements_text(c.seat_ids) s), '{}'),
              c.amount_cents, c.state,
              CASE c.state WHEN 'HELD' THEN 1 WHEN 'EXPIRED' THEN 2 WHEN 'RELEASED' THEN 2
                           WHEN 'FAILED' THEN 3 ELSE 4 END,
              c.held_at, c.expires_at, c.settled_at, c.reason
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::jsonb[], $6::bigint[], $7::text[],
                   $8::bigint[], $9::bigint[], $10::bigint[], $11::text[])
         AS c(sale_id, reservation_id, user_id, quantity, seat_ids, amount_cents, state, held_at, expires_at,
              settled_at, reason)
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
                       ELSE coalesce(r.reason, CASE WHEN r.state = excluded.state THEN excluded.reason END) END`,
      [
        merged.map((c) => c.saleId),
        merged.map((c) => c.reservationId),
        merged.map((c) => c.userId),
        merged.map((c) => c.quantity),
        merged.map((c) => JSON.stringify(c.seatIds)),
        merged.map((c) => c.amountCents),
        merged.map((c) => c.state),
        merged.map((c) => c.heldAt),
        merged.map((c) => c.expiresAt),
        merged.map((c) => c.settledAt),
        merged.map((c) => c.reason),
      ],
    );
  }

  async #addMinutes(client: pg.PoolClient, events: DomainEvent[]): Promise<void> {
    const minutes = minuteCounters(events);
    const t = this.#table('read_sale_minutes');
    await client.query(
      `INSERT INTO ${t} AS m (sale_id, minute, requested, confirmed, failed, expired, admitted, available_delta,
                              units_sold, revenue_cents, last_event_at)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[],
                            $8::int[], $9::int[], $10::bigint[], $11::bigint[])
       ON CONFLICT (sale_id, minute) DO UPDATE SET
         requested = m.requested + excluded.requested,
         confirmed = m.confirmed + excluded.confirmed,
         failed = m.failed + excluded.failed,
         expired = m.expired + excluded.expired,
         admitted = m.admitted + excluded.admitted,
         available_delta = m.available_delta + excluded.available_delta,
         units_sold = m.units_sold + excluded.units_sold,
         revenue_cents = m.revenue_cents + excluded.revenue_cents,
         last_event_at = greatest(m.last_event_at, excluded.last_event_at)`,
      [
        minutes.map((m) => m.saleId),
        minutes.map((m) => m.minute),
        minutes.map((m) => m.requested),
        minutes.map((m) => m.confirmed),
        minutes.map((m) => m.failed),
        minutes.map((m) => m.expired),
        minutes.map((m) => m.admitted),
        minutes.map((m) => m.availableDelta),
        minutes.map((m) => m.unitsSold),
        minutes.map((m) => m.revenueCents),
        minutes.map((m) => m.lastEventAt),
      ],
    );
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
    const reservations = this.#table('read_reservations');
    await client.query(
      `INSERT INTO ${this.#table('read_seats')} (sale_id, seat_id, state, reservation_id, user_id, since, expires_at)
       SELECT a.sale_id, a.seat_id,
              CASE w.state WHEN 'CONFIRMED' THEN 'SOLD' WHEN 'HELD' THEN 'HELD' ELSE 'AVAILABLE' END,
              w.reservation_id, w.user_id,
              coalesce(CASE w.state WHEN 'CONFIRMED' THEN w.settled_at WHEN 'HELD' THEN w.held_at END, last.at, 0),
              CASE WHEN w.state = 'HELD' THEN w.expires_at END
       FROM unnest($1::text[], $2::text[]) AS a(sale_id, seat_id)
       LEFT JOIN LATERAL (
         SELECT r.state, r.reservation_id, r.user_id, r.settled_at, r.held_at, r.expires_at
         FROM ${reservations} r
         WHERE r.sale_id = a.sale_id AND r.seat_ids @> ARRAY[a.seat_id] AND r.state IN ('CONFIRMED', 'HELD')
         ORDER BY r.state_rank DESC, r.held_at DESC, r.reservation_id DESC
         LIMIT 1
       ) w ON true
       LEFT JOIN LATERAL (
         SELECT max(coalesce(r.settled_at, r.held_at)) AS at
         FROM ${reservations} r
         WHERE r.sale_id = a.sale_id AND r.seat_ids @> ARRAY[a.seat_id]
       ) last ON true
       ON CONFLICT (sale_id, seat_id) DO UPDATE SET
         state = excluded.state, reservation_id = excluded.reservation_id, user_id = excluded.user_id,
         since = excluded.since, expires_at = excluded.expires_at`,
      [[...pairs.values()].map(([sale]) => sale), [...pairs.values()].map(([, seat]) => seat)],
    );
  }
}
