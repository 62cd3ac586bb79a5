import { createHash } from 'node:crypto';
import {
  type InventorySnapshot,
  parseSaleDefinition,
  ReservationId,
  type ReservationRepository,
  type ReservationRow,
  type SaleDefinition,
  type SaleDefinitionInput,
  type SaleTotals,
  UnknownSaleError,
  ValidationError,
} from '@seatrush/core';
import {
  HoldRelease,
  initialStock,
  ReconciliationRecord,
  ReservationStatusChange,
  validate,
} from '@seatrush/core/ports';
import pg from 'pg';
import { inTransaction, type PgConnection } from '../connection';
import { translatePgError } from '../errors';
import { qualified, qualifiedTables } from '../sql-names';
import {
  insertReport,
  RESERVATION_COLUMNS,
  type ReservationRecord,
  toColumns,
  toReservationRow,
  UNNEST_SELECT,
  UNNEST_SOURCE,
} from './rows';
import { statusChangeParameters, statusChangeUpdate } from './status-change';
import { checkRows, checkSaleId } from './validation';

/** How long saving a sale (seat map, partition) may take: a set-up step, not the hot path. */
export const SALE_SETUP_TIMEOUT_MS = 60_000;

/** The name of a sale's reservations partition: stable, and a valid identifier whatever the id. */
export function partitionNameOf(saleId: string): string {
  return `reservations_${createHash('sha256').update(saleId).digest('hex').slice(0, 24)}`;
}

/**
 * The reservation repository on PostgreSQL, the source of truth.
 *
 * - Writes are idempotent: `insertMany` is ONE statement (`INSERT … SELECT FROM unnest(…) ON
 *   CONFLICT DO NOTHING RETURNING`) that inserts only rows whose reservation id and (sale,
 *   idempotency key) are new, and reports which were new. A replayed Kafka batch inserts nothing.
 * - Status changes are guarded: `UPDATE … WHERE status = ANY(from)`, so of two racing workers
 *   exactly one moves a reservation.
 * - The database itself refuses a second confirmed reservation of a seat (`sold_seats`), invalid
 *   quantities and statuses, and rows of unknown sales.
 *
 * Reads that tolerate replication lag (`totals`, `reconciliations`) use the replica pool; the
 * warm-up snapshot and single-row reads use the primary.
 */
export class PgReservationRepository implements ReservationRepository {
  readonly #db: PgConnection;
  readonly #t: {
    sales: string;
    seats: string;
    reservations: string;
    reservationIds: string;
    soldSeats: string;
    runs: string;
    releases: string;
  };

  /** A repository over the connection's schema (migrated with `migrate` first). */
  constructor(connection: PgConnection) {
    this.#db = connection;
    this.#t = qualifiedTables(connection.schema, {
      sales: 'sales',
      seats: 'seats',
      reservations: 'reservations',
      reservationIds: 'reservation_ids',
      soldSeats: 'sold_seats',
      runs: 'reconciliation_runs',
      releases: 'hold_releases',
    });
  }

  /**
   * Creates or replaces a sale: its definition, its seats (in map order) and, the first time, its
   * reservations partition — in one transaction, serialised with other sale changes by an
   * advisory lock because partition DDL must not race. Saving a sale never stalls the writes of
   * sales already running (see `#ensurePartition`). Removing a seat that is already sold is
   * refused (ValidationError) and changes nothing. The transaction may take up to
   * `SALE_SETUP_TIMEOUT_MS` (a 500,000-seat map is a large write), not the hot path's timeout.
   * @throws ValidationError when the definition is invalid.
   */
  async saveSale(input: SaleDefinition | SaleDefinitionInput): Promise<void> {
    const sale = parseSaleDefinition(input);
    const seats = sale.inventory.kind === 'assigned' ? this.#seatRows(sale) : null;
    const partition = partitionNameOf(sale.id);
    try {
      await inTransaction(this.#db.primary, async (client) => {
        await client.query(`SET LOCAL statement_timeout = ${SALE_SETUP_TIMEOUT_MS}`);
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
          `seatrush.sales:${this.#db.schema}`,
        ]);
        await client.query(
          `INSERT INTO ${this.#t.sales} (sale_id, name, kind, initial_stock, tickets_per_user, definition, partition_name)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (sale_id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
             initial_stock = excluded.initial_stock, tickets_per_user = excluded.tickets_per_user,
             definition = excluded.definition, saved_at = now()`,
          [
            sale.id,
            sale.name,
            sale.inventory.kind,
            initialStock(sale),
            sale.limits.ticketsPerUser,
            JSON.stringify(sale),
            partition,
          ],
        );
        await this.#ensurePartition(client, sale.id, partition);
        const seatIds = seats?.ids ?? [];
        await client.query(
          `DELETE FROM ${this.#t.seats} s WHERE s.sale_id = $1
           AND NOT EXISTS (SELECT 1 FROM unnest($2::text[]) AS kept(seat_id) WHERE kept.seat_id = s.seat_id)`,
          [sale.id, seatIds],
        );
        if (seats) {
          await client.query(
            `INSERT INTO ${this.#t.seats} (sale_id, seat_id, position, section_id, row_id, label, tier)
             SELECT $1, seat.* FROM unnest($2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[]) AS seat
             ON CONFLICT (sale_id, seat_id) DO UPDATE SET position = excluded.position,
               section_id = excluded.section_id, row_id = excluded.row_id, label = excluded.label, tier = excluded.tier`,
            [sale.id, seats.ids, seats.positions, seats.sections, seats.rows, seats.labels, seats.tiers],
          );
        }
      });
    } catch (error) {
      throw translatePgError('sale definition', error);
    }
  }

  /**
   * Creates the sale's partition unless it exists. `CREATE TABLE … PARTITION OF` would take an
   * ACCESS EXCLUSIVE lock on `reservations` and so wait for, then stall, every write of every
   * running sale; creating a standalone table and ATTACHing it takes only SHARE UPDATE EXCLUSIVE,
   * which writes do not conflict with. The CHECK constraint matching the partition bound lets
   * ATTACH skip its validation scan.
   */
  async #ensurePartition(client: pg.PoolClient, saleId: string, partition: string): Promise<void> {
    const table = qualified(this.#db.schema, partition);
    const { rows } = await client.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [
      table,
    ]);
    if (rows[0]?.found) return;
    const bound = pg.escapeLiteral(saleId);
    await client.query(
      `CREATE TABLE ${table} (LIKE ${this.#t.reservations} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
    );
    await client.query(
      `ALTER TABLE ${table} ADD CONSTRAINT ${pg.escapeIdentifier(`${partition}_bound`)} CHECK (sale_id = ${bound})`,
    );
    await client.query(
      `ALTER TABLE ${this.#t.reservations} ATTACH PARTITION ${table} FOR VALUES IN (${bound})`,
    );
  }

  #seatRows(sale: SaleDefinition) {
    const columns = {
      ids: [] as string[],
      positions: [] as number[],
      sections: [] as string[],
      rows: [] as string[],
      labels: [] as string[],
      tiers: [] as string[],
    };
    if (sale.inventory.kind !== 'assigned') return columns;
    for (const section of sale.inventory.sections) {
      for (const row of section.rows) {
        for (const seat of row.seats) {
          columns.positions.push(columns.ids.length);
          columns.ids.push(seat.id);
          columns.sections.push(section.id);
          columns.rows.push(row.id);
          columns.labels.push(seat.label);
          columns.tiers.push(seat.tier);
        }
      }
    }
    return columns;
  }

  /** The sale's definition as saved, or null when it is unknown. */
  async getSale(saleId: string): Promise<SaleDefinition | null> {
    const id = checkSaleId(saleId);
    const { rows } = await this.#query<{ definition: SaleDefinition }>(
      this.#db.primary,
      'sale read',
      `SELECT definition FROM ${this.#t.sales} WHERE sale_id = $1`,
      [id],
    );
    return rows[0]?.definition ?? null;
  }

  /** Every sale not recorded closed, by sale id. */
  async listOpenSales(): Promise<SaleDefinition[]> {
    const { rows } = await this.#query<{ definition: SaleDefinition }>(
      this.#db.primary,
      'open sales read',
      `SELECT definition FROM ${this.#t.sales} WHERE closed_at IS NULL ORDER BY sale_id`,
      [],
    );
    return rows.map((row) => row.definition);
  }

  /** Sets `closed_at` once (a later close keeps the first time). */
  async recordSaleClosed(saleId: string, at: number): Promise<void> {
    const id = checkSaleId(saleId);
    if (!Number.isSafeInteger(at) || at < 0) {
      throw new ValidationError('sale close', [{ path: 'at', message: 'must be epoch milliseconds' }]);
    }
    await this.#query(
      this.#db.primary,
      'sale close',
      `UPDATE ${this.#t.sales} SET closed_at = coalesce(closed_at, $2) WHERE sale_id = $1`,
      [id, at],
    );
  }

  /**
   * The sale's inventory for warm-up, read in ONE statement (one consistent snapshot) from the
   * primary: `available` is initial − confirmed − pending, never below zero; sold seats come from
   * the source of truth, and each user's units count confirmed AND pending reservations (accepted,
   * they may yet sell, so they hold against the per-user limit). Null when the sale is unknown.
   */
  async loadSnapshot(saleId: string): Promise<InventorySnapshot | null> {
    const id = checkSaleId(saleId);
    const { rows } = await this.#query<{
      initial_stock: number;
      tickets_per_user: number;
      seat_ids: string[];
      confirmed_seat_ids: string[];
      confirmed_units: number;
      pending_units: number;
      confirmed_per_user: Record<string, number>;
    }>(
      this.#db.primary,
      'snapshot read',
      `SELECT s.initial_stock, s.tickets_per_user,
         ARRAY(SELECT seat_id FROM ${this.#t.seats} WHERE sale_id = s.sale_id ORDER BY position) AS seat_ids,
         ARRAY(SELECT seat_id FROM ${this.#t.soldSeats} WHERE sale_id = s.sale_id ORDER BY seat_id) AS confirmed_seat_ids,
         t.confirmed_units, t.pending_units,
         (SELECT coalesce(jsonb_object_agg(user_id, units), '{}'::jsonb) FROM (
            SELECT user_id, sum(quantity)::int AS units FROM ${this.#t.reservations}
            WHERE sale_id = s.sale_id AND status IN ('CONFIRMED', 'REQUESTED', 'PAYMENT_PENDING')
            GROUP BY user_id) AS per_user) AS confirmed_per_user
       FROM ${this.#t.sales} s,
       LATERAL (${this.#unitsOf('s.sale_id')}) AS t
       WHERE s.sale_id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      saleId: id,
      initialStock: row.initial_stock,
      available: Math.max(0, row.initial_stock - row.confirmed_units - row.pending_units),
      seatIds: row.seat_ids,
      confirmedSeatIds: row.confirmed_seat_ids,
      ticketsPerUser: row.tickets_per_user,
      confirmedPerUser: row.confirmed_per_user,
    };
  }

  /** Confirmed and pending units of one sale, as a subquery over `saleIdSql`. */
  #unitsOf(saleIdSql: string): string {
    return `SELECT coalesce(sum(quantity) FILTER (WHERE status = 'CONFIRMED'), 0)::int AS confirmed_units,
              coalesce(sum(quantity) FILTER (WHERE status IN ('REQUESTED', 'PAYMENT_PENDING')), 0)::int AS pending_units
            FROM ${this.#t.reservations} WHERE sale_id = ${saleIdSql}`;
  }

  /**
   * Inserts the new rows in ONE round trip and reports which were new. A row is not new when its
   * reservation id exists (in any sale) or its sale already has a reservation with its idempotency
   * key; a row repeated within the batch is inserted once and reported `existing` for its repeats.
   * Concurrent writers of the same rows insert
   * each exactly once (the losers wait on the unique index, then skip). All or nothing: an invalid
   * row (bad field, unknown sale, seat already sold) fails the whole batch and nothing is written.
   * @throws ValidationError listing the invalid rows; SeatAlreadySoldError when a CONFIRMED row
   * names a sold seat.
   */
  async insertMany(input: ReservationRow[]): Promise<{ inserted: string[]; existing: string[] }> {
    const rows = checkRows(input);
    if (rows.length === 0) return { inserted: [], existing: [] };
    // A canonical order makes concurrent batches take their index locks in the same order, so
    // overlapping batches wait for each other instead of deadlocking.
    const batch = firstOfEach(rows).sort(
      (a, b) => compare(a.saleId, b.saleId) || compare(a.reservationId, b.reservationId),
    );
    // reservation_ids is filled by the table's trigger; NOT EXISTS skips ids another sale holds.
    const statement = `
      INSERT INTO ${this.#t.reservations} (${RESERVATION_COLUMNS})
      SELECT ${UNNEST_SELECT} FROM ${UNNEST_SOURCE}
      WHERE NOT EXISTS (SELECT 1 FROM ${this.#t.reservationIds} known WHERE known.reservation_id = input.reservation_id)
      ORDER BY input.sale_id, input.reservation_id
      ON CONFLICT DO NOTHING
      RETURNING reservation_id`;
    let result: pg.QueryResult<{ reservation_id: string }> | undefined;
    for (let attempt = 1; result === undefined; attempt += 1) {
      try {
        result = await this.#db.primary.query<{ reservation_id: string }>(statement, toColumns(batch));
      } catch (error) {
        // The statement is idempotent and rolled back whole, so it is safe to run again when it
        // lost a race: a deadlock with a batch whose rows cross ours by idempotency key, or
        // another writer committing the same reservation id under a different sale between our
        // check and our insert (on retry the check sees it).
        const lostRace =
          fieldOf(error, 'code') === '40P01' || fieldOf(error, 'constraint') === 'reservation_ids_pkey';
        if (!lostRace || attempt >= MAX_INSERT_ATTEMPTS) throw await this.#explainInsertFailure(error, rows);
      }
    }
    return insertReport(
      rows,
      result.rows.map((r) => r.reservation_id),
    );
  }

  /** Names the rows of unknown sales when that is why the batch failed; else translates the error. */
  async #explainInsertFailure(error: unknown, rows: ReservationRow[]): Promise<Error> {
    const code = fieldOf(error, 'code');
    if (code === '23503' || code === '23514') {
      const saleIds = [...new Set(rows.map((r) => r.saleId))];
      const known = await this.#db.primary
        .query<{ sale_id: string }>(`SELECT sale_id FROM ${this.#t.sales} WHERE sale_id = ANY($1::text[])`, [
          saleIds,
        ])
        .then((r) => new Set(r.rows.map((row) => row.sale_id)))
        .catch(() => null);
      if (known) {
        const issues = rows.flatMap((row, index) =>
          known.has(row.saleId) ? [] : [{ path: `${index}.saleId`, message: `unknown sale ${row.saleId}` }],
        );
        if (issues.length > 0) return new ValidationError('reservation rows', issues);
      }
    }
    return translatePgError('reservation rows', error);
  }

  /**
   * Moves a reservation to `to` only when its status is one of `from`, in one guarded `UPDATE`;
   * false when it was not (moved by someone else, or absent). `paymentId` and `failureReason`
   * change only when given. Moving to CONFIRMED claims its seats in `sold_seats` in the same
   * statement, so it fails whole if a seat is already sold.
   * @throws ValidationError on bad input; SeatAlreadySoldError when a seat is already sold.
   */
  async transition(input: ReservationStatusChange): Promise<boolean> {
    const change = validate('reservation transition', ReservationStatusChange, input);
    const { rowCount } = await this.#query(
      this.#db.primary,
      'reservation transition',
      statusChangeUpdate(this.#t),
      statusChangeParameters(change),
    );
    return rowCount === 1;
  }

  /** One reservation by id, from the primary; null when absent. */
  async get(reservationId: string): Promise<ReservationRow | null> {
    const id = validate('reservation id', ReservationId, reservationId);
    const { rows } = await this.#query<ReservationRecord>(
      this.#db.primary,
      'reservation read',
      `SELECT ${RESERVATION_COLUMNS} FROM ${this.#t.reservations}
       WHERE sale_id = (SELECT sale_id FROM ${this.#t.reservationIds} WHERE reservation_id = $1)
         AND reservation_id = $1`,
      [id],
    );
    return rows[0] ? toReservationRow(rows[0]) : null;
  }

  /**
   * The sale's reservations in flight (REQUESTED or PAYMENT_PENDING), oldest first: what a rebuild
   * of a wiped store holds again for their buyers (issue 20). From the primary: a replica may lag.
   */
  async listInFlight(saleId: string): Promise<ReservationRow[]> {
    const id = checkSaleId(saleId);
    const { rows } = await this.#query<ReservationRecord>(
      this.#db.primary,
      'in-flight read',
      `SELECT ${RESERVATION_COLUMNS} FROM ${this.#t.reservations}
       WHERE sale_id = $1 AND status IN ('REQUESTED', 'PAYMENT_PENDING')
       ORDER BY created_at, reservation_id`,
      [id],
    );
    return rows.map(toReservationRow);
  }

  /**
   * Records a buyer's release of a hold (the first one stands), on the primary, before the
   * release is answered: a rebuild of a wiped store leaves the hold out (issue 20).
   */
  async recordRelease(release: HoldRelease): Promise<void> {
    const r = validate('hold release', HoldRelease, release);
    await this.#query(
      this.#db.primary,
      'hold release',
      `INSERT INTO ${this.#t.releases} (reservation_id, sale_id, released_at) VALUES ($1, $2, $3)
       ON CONFLICT (reservation_id) DO NOTHING`,
      [r.reservationId, r.saleId, r.at],
    );
  }

  /** Of `reservationIds`, those of the sale recorded released, from the primary (a replica may lag). */
  async listReleased(saleId: string, reservationIds: readonly string[]): Promise<string[]> {
    const id = checkSaleId(saleId);
    const ids = validate('reservation ids', ReservationId.array(), reservationIds);
    if (ids.length === 0) return [];
    const { rows } = await this.#query<{ reservation_id: string }>(
      this.#db.primary,
      'hold release read',
      `SELECT reservation_id FROM ${this.#t.releases} WHERE sale_id = $1 AND reservation_id = ANY($2::text[])`,
      [id, ids],
    );
    return rows.map((row) => row.reservation_id);
  }

  /**
   * What the reconciler trusts, in one statement (one snapshot): units confirmed and pending, the
   * sold seats and the seats of the pending reservations. Read from the PRIMARY even when a
   * replica is configured: the reconciler reads the store first and this second, so the truth may
   * only be ahead of the store, and a lagging replica would put it behind (a repair from it would
   * free sold seats).
   * @throws UnknownSaleError when the sale was never saved.
   */
  async totals(saleId: string): Promise<SaleTotals> {
    const id = checkSaleId(saleId);
    const { rows } = await this.#query<{
      initial_stock: number;
      confirmed_units: number;
      pending_units: number;
      confirmed_seat_ids: string[];
      pending_seat_ids: string[];
    }>(
      this.#db.primary,
      'totals read',
      `SELECT s.initial_stock, t.confirmed_units, t.pending_units,
         ARRAY(SELECT seat_id FROM ${this.#t.soldSeats} WHERE sale_id = s.sale_id ORDER BY seat_id) AS confirmed_seat_ids,
         ARRAY(SELECT seat FROM ${this.#t.reservations} r, unnest(r.seat_ids) AS seat
               WHERE r.sale_id = s.sale_id AND r.status IN ('REQUESTED', 'PAYMENT_PENDING')
               ORDER BY seat) AS pending_seat_ids
       FROM ${this.#t.sales} s, LATERAL (${this.#unitsOf('s.sale_id')}) AS t
       WHERE s.sale_id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row) throw new UnknownSaleError(id);
    return {
      saleId: id,
      initialStock: row.initial_stock,
      confirmedUnits: row.confirmed_units,
      confirmedSeatIds: row.confirmed_seat_ids,
      pendingUnits: row.pending_units,
      pendingSeatIds: row.pending_seat_ids,
    };
  }

  /**
   * Records one reconciliation run (and whether it repaired the store).
   * @throws ValidationError on a malformed record.
   */
  async recordReconciliation(record: ReconciliationRecord): Promise<void> {
    const r = validate('reconciliation record', ReconciliationRecord, record);
    await this.#query(
      this.#db.primary,
      'reconciliation record',
      `INSERT INTO ${this.#t.runs} (sale_id, ran_at, store_available, store_held, store_confirmed,
         truth_confirmed, truth_pending, consistent, repaired)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        r.saleId,
        r.ranAt,
        r.storeAvailable,
        r.storeHeld,
        r.storeConfirmed,
        r.truthConfirmed,
        r.truthPending,
        r.consistent,
        r.repaired,
      ],
    );
  }

  /** The sale's latest reconciliation run, or null before the first (from the replica when configured). */
  async lastReconciliation(saleId: string): Promise<ReconciliationRecord | null> {
    const [last] = await this.reconciliations(saleId, 1);
    return last ?? null;
  }

  /** The sale's latest reconciliation runs, newest first (from the replica when configured). */
  async reconciliations(saleId: string, limit = 100): Promise<ReconciliationRecord[]> {
    const id = checkSaleId(saleId);
    const { rows } = await this.#query<{
      ran_at: string;
      store_available: number;
      store_held: number;
      store_confirmed: number;
      truth_confirmed: number;
      truth_pending: number;
      consistent: boolean;
      repaired: boolean;
    }>(
      this.#db.replica,
      'reconciliation read',
      `SELECT * FROM ${this.#t.runs} WHERE sale_id = $1 ORDER BY ran_at DESC, run_id DESC LIMIT $2`,
      [id, Math.max(1, Math.min(10_000, Math.trunc(limit)))],
    );
    return rows.map((row) => ({
      saleId: id,
      ranAt: Number(row.ran_at),
      storeAvailable: row.store_available,
      storeHeld: row.store_held,
      storeConfirmed: row.store_confirmed,
      truthConfirmed: row.truth_confirmed,
      truthPending: row.truth_pending,
      consistent: row.consistent,
      repaired: row.repaired,
    }));
  }

  async #query<R extends pg.QueryResultRow>(
    pool: pg.Pool,
    what: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await pool.query<R>(text, values);
    } catch (error) {
      throw translatePgError(what, error);
    }
  }
}

/** Attempts of a batch insert that lost a race (deadlock, cross-sale id collision). */
const MAX_INSERT_ATTEMPTS = 5;

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Keeps the first row of each reservation id and of each (sale, idempotency key). */
function firstOfEach(rows: ReservationRow[]): ReservationRow[] {
  const ids = new Set<string>();
  const keys = new Set<string>();
  return rows.filter((row) => {
    const key = `${row.saleId}\u0000${row.idempotencyKey}`;
    if (ids.has(row.reservationId) || keys.has(key)) return false;
    ids.add(row.reservationId);
    keys.add(key);
    return true;
  });
}

function fieldOf(error: unknown, field: 'code' | 'constraint'): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
}
