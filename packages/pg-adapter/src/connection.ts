import pg from 'pg';
import { type PgAdapterOptions, poolConfig, resolvePgAdapterOptions } from './config';
import { checkSchemaName } from './sql-names';

/**
 * Where the adapter's queries go: the primary for every write and every read that must not be
 * stale, the replica (the primary itself when none is configured) for lag-tolerant reads, and the
 * schema holding the tables.
 */
export interface PgConnection {
  readonly primary: pg.Pool;
  readonly replica: pg.Pool;
  readonly schema: string;
}

/** A `PgConnection` that owns its pools: `close()` ends them. */
export interface OwnedPgConnection extends PgConnection {
  close(): Promise<void>;
}

/**
 * Opens the primary pool (and the replica pool when `readReplicaUrl` is set) from validated
 * options. An idle connection that the server ends (restart, `pg_terminate_backend`) is dropped by
 * the pool instead of crashing the process; the next query opens a fresh one.
 * @throws ConfigurationError when the options are invalid.
 */
export function createPgConnection(options: PgAdapterOptions): OwnedPgConnection {
  const resolved = resolvePgAdapterOptions(options);
  const primary = new pg.Pool(poolConfig(resolved, resolved.connectionString));
  const replica = resolved.readReplicaUrl
    ? new pg.Pool(poolConfig(resolved, resolved.readReplicaUrl))
    : primary;
  for (const pool of new Set([primary, replica])) pool.on('error', resolved.onIdleConnectionError);
  return {
    primary,
    replica,
    schema: resolved.schema,
    async close() {
      await Promise.all([...new Set([primary, replica])].map((pool) => pool.end()));
    },
  };
}

/**
 * Wraps pools the host already has (sharing them with its own queries). The host keeps ownership:
 * it ends them.
 * @throws ConfigurationError when the schema name is invalid.
 */
export function usePools(input: { primary: pg.Pool; replica?: pg.Pool; schema?: string }): PgConnection {
  return {
    primary: input.primary,
    replica: input.replica ?? input.primary,
    schema: checkSchemaName(input.schema ?? 'seatrush'),
  };
}

/**
 * Runs `work` inside one transaction on one client of `pool`: COMMIT when it resolves, ROLLBACK
 * when it throws. A client whose connection broke is destroyed, not returned to the pool.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  return withClient(pool, async (client) => {
    await client.query('BEGIN');
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // a failed ROLLBACK means the connection is gone: the server has rolled back already
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  });
}

/**
 * Lends one client of `pool` to `use`. While it is lent, a connection error the server sends
 * outside a query (the backend was terminated) is kept instead of crashing the process as an
 * unhandled 'error' event; the failing query rejects as well. A client that saw such an error, or
 * that no longer answers after `use` failed, is destroyed instead of being returned.
 */
export async function withClient<T>(pool: pg.Pool, use: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  try {
    return await use(client);
  } catch (error) {
    // A statement error (it has a SQLSTATE) leaves the connection usable. Anything else may be a
    // dead socket or a thrown bug: one probe tells them apart, and only failures ever pay for it.
    const code = sqlStateOf(error);
    if (!broken && code !== undefined && ENDED_SESSION.test(code)) broken = error as Error;
    if (!broken && code === undefined) {
      await client.query('SELECT 1').catch((probeError: Error) => {
        broken = probeError;
      });
    }
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/**
 * SQLSTATEs that end the session: class 08 (connection exception) and 57P01-57P05 (terminated by
 * an administrator, crash or shutdown, idle-session timeouts). The socket closes right after, so
 * the client must not go back to the pool.
 */
const ENDED_SESSION = /^(08...|57P0[1-5])$/;

/** The server's error code (SQLSTATE), or undefined when the failure did not come from the server. */
function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
