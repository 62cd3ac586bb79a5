import { ConfigurationError } from '@seatrush/core';
import type pg from 'pg';
import { SCHEMA_NAME } from './sql-names';

/**
 * How the adapter connects to PostgreSQL. Every value has a default that works on a laptop; the
 * pool settings follow docs/design.md §Database write path in `pg` terms: `max` is the number of
 * workers that touch the database at once plus a little headroom, and `connectionTimeoutMs` bounds
 * the wait for a free connection so waiting callers fail fast instead of piling up.
 */
export interface PgAdapterOptions {
  /** `postgres://user:password@host:port/db` of the primary: every write goes here. */
  connectionString: string;
  /**
   * Optional read replica for reads that tolerate replication lag (totals for statistics and
   * reconciliation, reconciliation history). Warm-up snapshots and single-row reads stay on the
   * primary: a stale snapshot could sell a seat twice.
   */
  readReplicaUrl?: string;
  /** Schema holding SeatRush's tables (default `seatrush`); tests use one per test. */
  schema?: string;
  pool?: {
    /** Connections per pool (default 10). */
    max?: number;
    /** How long a caller waits for a free connection before failing (default 5,000 ms). */
    connectionTimeoutMs?: number;
    /** Idle connections are closed after this long (default 30,000 ms). */
    idleTimeoutMs?: number;
  };
  /** Server-side cap on one statement (default 5,000 ms): transactions stay short. */
  statementTimeoutMs?: number;
  /** Server-side cap on waiting for a row or table lock (default 3,000 ms). */
  lockTimeoutMs?: number;
  /** A session left idle inside a transaction is ended after this long (default 10,000 ms). */
  idleInTransactionTimeoutMs?: number;
  /** Passed through to `pg` unchanged (`true`, or `{ ca, cert, key, rejectUnauthorized }`). */
  ssl?: pg.PoolConfig['ssl'];
  /** Shown in `pg_stat_activity` (default `seatrush`). */
  applicationName?: string;
  /**
   * Told about an idle pooled connection the server ended (restart, failover,
   * `pg_terminate_backend`); the pool drops it and opens a fresh one. Default: ignore.
   */
  onIdleConnectionError?: (error: Error) => void;
}

/** The options with every default filled in. */
export interface ResolvedPgAdapterOptions {
  connectionString: string;
  readReplicaUrl: string | undefined;
  schema: string;
  pool: { max: number; connectionTimeoutMs: number; idleTimeoutMs: number };
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  ssl: pg.PoolConfig['ssl'];
  applicationName: string;
  onIdleConnectionError: (error: Error) => void;
}

/**
 * Validates the options once, at construction, listing every problem.
 * @throws ConfigurationError when any value is wrong.
 */
export function resolvePgAdapterOptions(options: PgAdapterOptions): ResolvedPgAdapterOptions {
  const problems: string[] = [];
  const positiveInt = (name: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value <= 0) problems.push(`${name} must be a positive integer`);
    return value;
  };
  const url = (name: string, value: unknown, required: boolean): string | undefined => {
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'string' || !/^postgres(ql)?:\/\//.test(value)) {
      problems.push(`${name} must be a postgres:// URL`);
    }
    return value as string;
  };
  const schema = options.schema ?? 'seatrush';
  if (!SCHEMA_NAME.test(schema)) problems.push(`schema must match ${SCHEMA_NAME}`);
  const resolved: ResolvedPgAdapterOptions = {
    connectionString: url('connectionString', options.connectionString, true) ?? '',
    readReplicaUrl: url('readReplicaUrl', options.readReplicaUrl, false),
    schema,
    pool: {
      max: positiveInt('pool.max', options.pool?.max, 10),
      connectionTimeoutMs: positiveInt('pool.connectionTimeoutMs', options.pool?.connectionTimeoutMs, 5_000),
      idleTimeoutMs: positiveInt('pool.idleTimeoutMs', options.pool?.idleTimeoutMs, 30_000),
    },
    statementTimeoutMs: positiveInt('statementTimeoutMs', options.statementTimeoutMs, 5_000),
    lockTimeoutMs: positiveInt('lockTimeoutMs', options.lockTimeoutMs, 3_000),
    idleInTransactionTimeoutMs: positiveInt(
      'idleInTransactionTimeoutMs',
      options.idleInTransactionTimeoutMs,
      10_000,
    ),
    ssl: options.ssl,
    applicationName: options.applicationName ?? 'seatrush',
    onIdleConnectionError: options.onIdleConnectionError ?? (() => {}),
  };
  if (typeof resolved.onIdleConnectionError !== 'function')
    problems.push('onIdleConnectionError must be a function');
  if (problems.length > 0) {
    throw new ConfigurationError(`invalid PostgreSQL adapter options: ${problems.join('; ')}`);
  }
  return resolved;
}

/** The `pg.Pool` settings for one server, from resolved options. */
export function poolConfig(options: ResolvedPgAdapterOptions, connectionString: string): pg.PoolConfig {
  return {
    connectionString,
    max: options.pool.max,
    connectionTimeoutMillis: options.pool.connectionTimeoutMs,
    idleTimeoutMillis: options.pool.idleTimeoutMs,
    // sent as startup parameters, so the server enforces them on every session of the pool
    statement_timeout: options.statementTimeoutMs,
    lock_timeout: options.lockTimeoutMs,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs,
    application_name: options.applicationName,
    ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
  };
}
