import { UnknownSaleError } from '@seatrush/core';
import pg from 'pg';
import { type PgConnection, withClient } from './connection';
import { translatePgError } from './errors';
import { checkSaleId } from './repository/validation';
import { qualified } from './sql-names';

/**
 * The indexes reports need on a sale's reservations, built only after the sale closes: while it
 * runs, every extra index is one more write per reservation (minimal indexes during the sale, the
 * rest afterwards: docs/design.md §Database write path).
 */
export const REPORTING_INDEXES: ReadonlyArray<{ suffix: string; columns: string }> = [
  { suffix: 'by_user', columns: 'user_id, created_at' },
  { suffix: 'by_status', columns: 'status, updated_at' },
  { suffix: 'by_created', columns: 'created_at' },
];

/**
 * Operations on a sale's storage around its life: closing it and building its reporting indexes
 * on its own partition, without blocking writes (`CREATE INDEX CONCURRENTLY`).
 */
export class PgSaleMaintenance {
  readonly #db: PgConnection;

  /** Maintenance of the sales in the connection's schema. */
  constructor(connection: PgConnection) {
    this.#db = connection;
  }

  /**
   * Marks the sale closed at `now` (from the caller's clock) and builds its reporting indexes.
   * @throws UnknownSaleError when the sale was never saved.
   */
  async closeSale(saleId: string, now: number): Promise<{ indexes: string[] }> {
    const id = checkSaleId(saleId);
    const { rowCount } = await this.#run(
      `UPDATE ${qualified(this.#db.schema, 'sales')} SET closed_at = coalesce(closed_at, $2) WHERE sale_id = $1`,
      [id, now],
    );
    if (rowCount !== 1) throw new UnknownSaleError(id);
    return { indexes: await this.buildReportingIndexes(id) };
  }

  /**
   * Builds the reporting indexes on the sale's partition, concurrently (writes continue) and
   * idempotently; an index a crashed earlier build left invalid is dropped and built again.
   * Answers the names of the sale's reporting indexes.
   * @throws UnknownSaleError when the sale was never saved.
   */
  async buildReportingIndexes(saleId: string): Promise<string[]> {
    const id = checkSaleId(saleId);
    const partition = await this.#partitionOf(id);
    const names: string[] = [];
    try {
      await withClient(this.#db.primary, async (client) => {
        // a big partition takes longer to index than the hot path's statement timeout allows
        await client.query('SET statement_timeout = 0');
        try {
          for (const index of REPORTING_INDEXES) {
            const name = `${partition}_${index.suffix}`;
            const { rows } = await client.query<{ valid: boolean }>(
              `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
              [this.#db.schema, name],
            );
            if (rows[0]?.valid === false) {
              await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${qualified(this.#db.schema, name)}`);
            }
            await client.query(
              `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${pg.escapeIdentifier(name)}
               ON ${qualified(this.#db.schema, partition)} (${index.columns})`,
            );
            names.push(name);
          }
        } finally {
          await client.query('RESET statement_timeout');
        }
      });
    } catch (error) {
      throw translatePgError('reporting indexes', error);
    }
    return names;
  }

  /** The names of the indexes on the sale's partition (hot-path and reporting). */
  async indexesOf(saleId: string): Promise<string[]> {
    const partition = await this.#partitionOf(checkSaleId(saleId));
    const { rows } = await this.#run(
      `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY indexname`,
      [this.#db.schema, partition],
    );
    return rows.map((r) => r.indexname as string);
  }

  async #partitionOf(saleId: string): Promise<string> {
    const { rows } = await this.#run(
      `SELECT partition_name FROM ${qualified(this.#db.schema, 'sales')} WHERE sale_id = $1`,
      [saleId],
    );
    const partition = rows[0]?.partition_name as string | undefined;
    if (!partition) throw new UnknownSaleError(saleId);
    return partition;
  }

  async #run(text: string, values: unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.#db.primary.query(text, values);
    } catch (error) {
      throw translatePgError('sale maintenance', error);
    }
  }
}
