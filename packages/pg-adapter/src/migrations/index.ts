import { createHash } from 'node:crypto';
import { ConfigurationError } from '@seatrush/core';
import type pg from 'pg';
import { inTransaction } from '../connection';
import { MigrationError, translatePgError } from '../errors';
import { checkSchemaName, qualified, quotedSchema } from '../sql-names';
import { sql as salesAndReservations } from './0001-sales-and-reservations';
import { sql as auditAndReconciliation } from './0002-audit-and-reconciliation';
import { sql as checkout } from './0003-checkout';
import { sql as readSide } from './0004-read-side';
import { sql as readSideSeatLinks } from './0005-read-side-seat-links';
import { sql as holdReleases } from './0006-hold-releases';

/** One versioned schema change. `sql` names the schema as `{{schema}}`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Every migration, in the order they apply. Append only: an applied migration never changes. */
export const migrations: readonly Migration[] = [
  { version: 1, name: 'sales-and-reservations', sql: salesAndReservations },
  { version: 2, name: 'audit-and-reconciliation', sql: auditAndReconciliation },
  { version: 3, name: 'checkout', sql: checkout },
  { version: 4, name: 'read-side', sql: readSide },
  { version: 5, name: 'read-side-seat-links', sql: readSideSeatLinks },
  { version: 6, name: 'hold-releases', sql: holdReleases },
];

/** What `migrate` did. */
export interface MigrationReport {
  schema: string;
  /** Versions applied by this call, in order. */
  applied: number[];
  /** Versions that were already applied before it. */
  alreadyApplied: number[];
}

const checksum = (migration: Migration) => createHash('sha256').update(migration.sql).digest('hex');

/**
 * Brings `schema` up to date: creates it if needed, then applies the pending migrations in order,
 * all inside ONE transaction that first takes a transaction-scoped advisory lock on the schema's
 * name. Two processes migrating at once therefore run one after the other (the second finds
 * nothing to do), and a failure leaves the schema exactly as it was. Each applied version is
 * recorded with a checksum in `schema_migrations`; an applied migration whose text changed is
 * refused rather than silently skipped.
 * @throws MigrationError when a migration fails or an applied one was edited.
 */
export async function migrate(
  pool: pg.Pool,
  options: {
    schema?: string;
    migrations?: readonly Migration[];
    /** Cap on the whole run, waiting for another instance included (default 300,000 ms). */
    timeoutMs?: number;
  } = {},
): Promise<MigrationReport> {
  const schema = checkSchemaName(options.schema ?? 'seatrush');
  const timeoutMs = options.timeoutMs ?? 300_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigurationError(`timeoutMs must be a positive integer (got ${timeoutMs})`);
  }
  const wanted = [...(options.migrations ?? migrations)].sort((a, b) => a.version - b.version);
  const history = qualified(schema, 'schema_migrations');
  try {
    return await inTransaction(pool, async (client) => {
      // hashtext is stable across servers and versions of the same major release; the prefix keeps
      // our lock apart from any the host takes with the same schema name.
      // A migration may rewrite large tables, and a second instance waits here for the first one:
      // neither may be cut short by the pool's hot-path statement and lock timeouts.
      await client.query(`SET LOCAL statement_timeout = ${timeoutMs}`);
      await client.query(`SET LOCAL lock_timeout = ${timeoutMs}`);
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`seatrush.migrate:${schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quotedSchema(schema)}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${history} (
           version integer PRIMARY KEY,
           name text NOT NULL,
           checksum text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const { rows } = await client.query<{ version: number; checksum: string }>(
        `SELECT version, checksum FROM ${history} ORDER BY version`,
      );
      const done = new Map(rows.map((row) => [row.version, row.checksum]));
      const report: MigrationReport = { schema, applied: [], alreadyApplied: [] };
      for (const migration of wanted) {
        const sum = checksum(migration);
        const recorded = done.get(migration.version);
        if (recorded !== undefined) {
          if (recorded !== sum) {
            throw new MigrationError(
              `migration ${migration.version} (${migration.name}) changed after it was applied to schema ${schema}`,
            );
          }
          report.alreadyApplied.push(migration.version);
          continue;
        }
        try {
          await client.query(migration.sql.replaceAll('{{schema}}', quotedSchema(schema)));
        } catch (error) {
          throw new MigrationError(
            `migration ${migration.version} (${migration.name}) failed on schema ${schema}: ${
              error instanceof Error ? error.message : String(error)
            }`,
            { cause: error },
          );
        }
        await client.query(`INSERT INTO ${history} (version, name, checksum) VALUES ($1, $2, $3)`, [
          migration.version,
          migration.name,
          sum,
        ]);
        report.applied.push(migration.version);
      }
      return report;
    });
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    throw translatePgError(`migration of schema ${schema}`, error);
  }
}

/** Which migrations a schema has, and which it still lacks. */
export interface MigrationStatus {
  schema: string;
  applied: Array<{ version: number; name: string; appliedAt: Date }>;
  pending: Array<{ version: number; name: string }>;
}

/**
 * Reads a schema's migration history without changing anything (a schema never migrated has
 * every migration pending).
 */
export async function migrationStatus(
  pool: pg.Pool,
  options: { schema?: string; migrations?: readonly Migration[] } = {},
): Promise<MigrationStatus> {
  const schema = checkSchemaName(options.schema ?? 'seatrush');
  const wanted = [...(options.migrations ?? migrations)].sort((a, b) => a.version - b.version);
  try {
    const exists = await pool.query('SELECT to_regclass($1) AS t', [
      `${quotedSchema(schema)}.schema_migrations`,
    ]);
    const rows = exists.rows[0]?.t
      ? (
          await pool.query<{ version: number; name: string; applied_at: Date }>(
            `SELECT version, name, applied_at FROM ${qualified(schema, 'schema_migrations')} ORDER BY version`,
          )
        ).rows
      : [];
    const done = new Set(rows.map((r) => r.version));
    return {
      schema,
      applied: rows.map((r) => ({ version: r.version, name: r.name, appliedAt: r.applied_at })),
      pending: wanted.filter((m) => !done.has(m.version)).map(({ version, name }) => ({ version, name })),
    };
  } catch (error) {
    throw translatePgError(`migration status of schema ${schema}`, error);
  }
}
