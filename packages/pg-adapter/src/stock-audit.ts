import { StockChanged, validate, z } from '@seatrush/core/ports';
import type { PgConnection } from './connection';
import { translatePgError } from './errors';
import { checkSaleId } from './repository/validation';
import { qualified } from './sql-names';

/** A `StockChanged` event (the audit of every stock change). */
export type StockChangedEvent = z.infer<typeof StockChanged>;

/** A sale's audit folded up: what replaying its stock changes gives. */
export interface StockReplay {
  saleId: string;
  /** Events recorded for the sale. */
  changes: number;
  /** Sum of `delta`: the available units the events account for (a WARMED event adds the initial stock). */
  available: number;
  /** Sum of `confirmedDelta`: the confirmed units the events account for. */
  confirmed: number;
}

/**
 * The audit of stock changes in PostgreSQL (event sourcing): every `StockChanged` event once, by
 * event id, so a consumer that replays a topic after a crash records nothing twice. Folding a
 * sale's events (`replay`) rebuilds its counts, which the reconciler can compare with the store.
 */
export class PgStockAudit {
  readonly #db: PgConnection;
  readonly #table: string;

  /** The audit in the connection's schema. */
  constructor(connection: PgConnection) {
    this.#db = connection;
    this.#table = qualified(connection.schema, 'stock_changes');
  }

  /**
   * Records a batch of events in one round trip; events already recorded are skipped.
   * @throws ValidationError for a malformed event or an unknown sale; nothing of the batch is written.
   */
  async append(events: StockChangedEvent[]): Promise<{ recorded: string[]; duplicates: string[] }> {
    const valid = validate('stock change events', z.array(StockChanged), events);
    if (valid.length === 0) return { recorded: [], duplicates: [] };
    try {
      const { rows } = await this.#db.primary.query<{ event_id: string }>(
        `INSERT INTO ${this.#table} (event_id, sale_id, reason, delta, confirmed_delta, reservation_id, seat_ids, occurred_at)
         SELECT e.event_id, e.sale_id, e.reason, e.delta, e.confirmed_delta, e.reservation_id,
                string_to_array(e.seat_ids, ','), e.occurred_at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[], $8::bigint[])
           AS e(event_id, sale_id, reason, delta, confirmed_delta, reservation_id, seat_ids, occurred_at)
         ON CONFLICT (event_id) DO NOTHING
         RETURNING event_id`,
        [
          valid.map((e) => e.eventId),
          valid.map((e) => e.saleId),
          valid.map((e) => e.payload.reason),
          valid.map((e) => e.payload.delta),
          valid.map((e) => e.payload.confirmedDelta),
          valid.map((e) => e.payload.reservationId ?? null),
          valid.map((e) => e.payload.seatIds.join(',')),
          valid.map((e) => e.occurredAt),
        ],
      );
      const recorded = new Set(rows.map((r) => r.event_id));
      const ids = [...new Set(valid.map((e) => e.eventId))];
      return {
        recorded: ids.filter((id) => recorded.has(id)),
        duplicates: ids.filter((id) => !recorded.has(id)),
      };
    } catch (error) {
      throw translatePgError('stock change events', error);
    }
  }

  /** Folds the sale's recorded events (from the replica when one is configured). */
  async replay(saleId: string): Promise<StockReplay> {
    const id = checkSaleId(saleId);
    try {
      const { rows } = await this.#db.replica.query<{
        changes: number;
        available: number;
        confirmed: number;
      }>(
        `SELECT count(*)::int AS changes, coalesce(sum(delta), 0)::int AS available,
                coalesce(sum(confirmed_delta), 0)::int AS confirmed
         FROM ${this.#table} WHERE sale_id = $1`,
        [id],
      );
      const row = rows[0] ?? { changes: 0, available: 0, confirmed: 0 };
      return { saleId: id, ...row };
    } catch (error) {
      throw translatePgError('stock replay', error);
    }
  }
}
