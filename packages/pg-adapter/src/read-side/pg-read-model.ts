import type {
  BuyerHistoryEntry,
  ReadModel,
  ReadReservationState,
  SaleCounters,
  SaleStatsView,
  SeatAuditEntry,
  SeatView,
} from '@seatrush/core';
import {
  BuyerHistoryQuery,
  SaleStatsQuery,
  SeatAuditQuery,
  SeatMapQuery,
  validate,
  type z,
} from '@seatrush/core/ports';
import type pg from 'pg';
import type { PgConnection } from '../connection';
import { translatePgError } from '../errors';
import { qualified } from '../sql-names';

/** One reservation that held or bought a seat: who, and when it began and ended. */
export interface SeatHolder {
  reservationId: string;
  userId: string | null;
  /** The furthest state the reservation reached (CONFIRMED: the seat was bought). */
  state: ReadReservationState;
  heldAt: number;
  /** The hold's expiry as it was granted; null when no event said it. */
  expiresAt: number | null;
  /** When it was confirmed, released, expired or failed; null while HELD. */
  settledAt: number | null;
  /** A FAILED reservation's reason code. */
  reason: string | null;
}

/**
 * The read side's views in PostgreSQL, read through the replica pool when one is configured (the
 * primary otherwise). Answers are as fresh as the projector: its consumer lag plus the replica's
 * replication lag; `saleStats().asOf` tells the newest event applied.
 */
export class PgReadModel implements ReadModel {
  readonly #db: PgConnection;

  /** Reads the read tables of the connection's schema. */
  constructor(connection: PgConnection) {
    this.#db = connection;
  }

  #table(name: string): string {
    return qualified(this.#db.schema, name);
  }

  async #query<R extends pg.QueryResultRow>(what: string, text: string, values: unknown[]): Promise<R[]> {
    try {
      return (await this.#db.replica.query<R>(text, values)).rows;
    } catch (error) {
      throw translatePgError(what, error);
    }
  }

  async seatMap(input: z.input<typeof SeatMapQuery>): Promise<SeatView[]> {
    const { saleId } = validate('seat map query', SeatMapQuery, input);
    const rows = await this.#query<{
      seat_id: string;
      state: SeatView['state'];
      reservation_id: string | null;
      user_id: string | null;
      since: string;
      expires_at: string | null;
    }>(
      'seat map',
      `SELECT seat_id, state, reservation_id, user_id, since, expires_at
       FROM ${this.#table('read_seats')} WHERE sale_id = $1 ORDER BY seat_id COLLATE "C"`,
      [saleId],
    );
    return rows.map((r) => ({
      seatId: r.seat_id,
      state: r.state,
      reservationId: r.reservation_id,
      userId: r.user_id,
      since: Number(r.since),
      expiresAt: r.expires_at === null ? null : Number(r.expires_at),
    }));
  }

  async saleStats(input: z.input<typeof SaleStatsQuery>): Promise<SaleStatsView> {
    const { saleId } = validate('sale stats query', SaleStatsQuery, input);
    const minutes = await this.#query<Record<string, string>>(
      'sale stats',
      `SELECT minute, requested, confirmed, failed, expired, admitted, available_delta, units_sold,
              revenue_cents, last_event_at
       FROM ${this.#table('read_sale_minutes')} WHERE sale_id = $1 ORDER BY minute`,
      [saleId],
    );
    const held = await this.#query<{ units: string }>(
      'sale stats',
      `SELECT coalesce(sum(quantity), 0) AS units FROM ${this.#table('read_reservations')}
       WHERE sale_id = $1 AND state = 'HELD'`,
      [saleId],
    );
    const series = minutes.map((m) => ({ at: Number(m.minute), ...countersOf(m) }));
    const totals = emptyCounters();
    for (const minute of series) {
      for (const key of Object.keys(totals) as Array<keyof SaleCounters>) totals[key] += minute[key];
    }
    const asOf = minutes.length === 0 ? null : Math.max(...minutes.map((m) => Number(m.last_event_at)));
    return { saleId, totals, unitsHeld: Number(held[0]?.units ?? 0), series, asOf };
  }

  async buyerHistory(input: z.input<typeof BuyerHistoryQuery>): Promise<BuyerHistoryEntry[]> {
    const query = validate('buyer history query', BuyerHistoryQuery, input);
    const rows = await this.#query<{
      sale_id: string;
      reservation_id: string;
      state: ReadReservationState;
      quantity: number;
      seat_ids: string[];
      amount_cents: string;
      held_at: string;
      settled_at: string | null;
      reason: string | null;
    }>(
      'buyer history',
      `SELECT sale_id, reservation_id, state, quantity, seat_ids, amount_cents, held_at, settled_at, reason
       FROM ${this.#table('read_reservations')}
       WHERE user_id = $1 AND ($2::text IS NULL OR sale_id = $2)
       ORDER BY held_at DESC, reservation_id DESC LIMIT $3`,
      [query.userId, query.saleId ?? null, query.limit],
    );
    return rows.map((r) => ({
      saleId: r.sale_id,
      reservationId: r.reservation_id,
      state: r.state,
      quantity: r.quantity,
      seatIds: r.seat_ids,
      amountCents: Number(r.amount_cents),
      heldAt: Number(r.held_at),
      settledAt: r.settled_at === null ? null : Number(r.settled_at),
      reason: r.reason,
    }));
  }

  async auditOfSeat(input: z.input<typeof SeatAuditQuery>): Promise<SeatAuditEntry[]> {
    const { saleId, seatId } = validate('seat audit query', SeatAuditQuery, input);
    const rows = await this.#query<{
      event_id: string;
      occurred_at: string;
      action: string;
      reservation_id: string | null;
      user_id: string | null;
    }>(
      'seat audit',
      `SELECT e.event_id, e.occurred_at,
              CASE WHEN e.reason IS NULL OR e.type <> 'StockChanged' THEN e.type ELSE e.type || ':' || e.reason END AS action,
              e.reservation_id, coalesce(e.user_id, r.user_id) AS user_id
       FROM ${this.#table('read_events')} e
       LEFT JOIN ${this.#table('read_reservations')} r
         ON r.sale_id = e.sale_id AND r.reservation_id = e.reservation_id
       WHERE e.sale_id = $1 AND e.seat_ids @> ARRAY[$2::text]
       ORDER BY e.occurred_at, e.event_id`,
      [saleId, seatId],
    );
    return rows.map((r) => ({
      eventId: r.event_id,
      at: Number(r.occurred_at),
      action: r.action,
      reservationId: r.reservation_id,
      userId: r.user_id,
    }));
  }

  /**
   * Who held or bought the seat, and when: every reservation that named it, oldest first, one row
   * each (the events behind them are {@link auditOfSeat}).
   * @throws ValidationError for a malformed sale or seat id; InfrastructureError when PostgreSQL fails.
   */
  async seatHolders(input: z.input<typeof SeatAuditQuery>): Promise<SeatHolder[]> {
    const { saleId, seatId } = validate('seat holders query', SeatAuditQuery, input);
    const rows = await this.#query<{
      reservation_id: string;
      user_id: string | null;
      state: ReadReservationState;
      held_at: string;
      expires_at: string | null;
      settled_at: string | null;
      reason: string | null;
    }>(
      'seat holders',
      `SELECT r.reservation_id, r.user_id, r.state, r.held_at, r.expires_at, r.settled_at, r.reason
       FROM ${this.#table('read_seat_reservations')} l
       JOIN ${this.#table('read_reservations')} r ON r.sale_id = l.sale_id AND r.reservation_id = l.reservation_id
       WHERE l.sale_id = $1 AND l.seat_id = $2 AND r.seat_ids @> ARRAY[$2::text]
       ORDER BY r.held_at, r.reservation_id`,
      [saleId, seatId],
    );
    return rows.map((r) => ({
      reservationId: r.reservation_id,
      userId: r.user_id,
      state: r.state,
      heldAt: Number(r.held_at),
      expiresAt: r.expires_at === null ? null : Number(r.expires_at),
      settledAt: r.settled_at === null ? null : Number(r.settled_at),
      reason: r.reason,
    }));
  }
}

function emptyCounters(): SaleCounters {
  return {
    requested: 0,
    confirmed: 0,
    failed: 0,
    expired: 0,
    admitted: 0,
    availableDelta: 0,
    unitsSold: 0,
    revenueCents: 0,
  };
}

function countersOf(row: Record<string, string>): SaleCounters {
  return {
    requested: Number(row.requested),
    confirmed: Number(row.confirmed),
    failed: Number(row.failed),
    expired: Number(row.expired),
    admitted: Number(row.admitted),
    availableDelta: Number(row.available_delta),
    unitsSold: Number(row.units_sold),
    revenueCents: Number(row.revenue_cents),
  };
}
