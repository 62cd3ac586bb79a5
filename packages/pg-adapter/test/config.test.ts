import { ConfigurationError } from '@seatrush/core';
import { describe, expect, it } from 'vitest';
import { resolvePgAdapterOptions } from '../src';
import { poolConfig } from '../src/config';

describe('resolvePgAdapterOptions', () => {
  it('fills in defaults that work', () => {
    expect(resolvePgAdapterOptions({ connectionString: 'postgres://db/app' })).toEqual({
      connectionString: 'postgres://db/app',
      readReplicaUrl: undefined,
      schema: 'seatrush',
      pool: { max: 10, connectionTimeoutMs: 5_000, idleTimeoutMs: 30_000 },
      statementTimeoutMs: 5_000,
      lockTimeoutMs: 3_000,
      idleInTransactionTimeoutMs: 10_000,
      ssl: undefined,
      applicationName: 'seatrush',
      onIdleConnectionError: expect.any(Function),
    });
  });

  it('lists every wrong value at once', () => {
    const error = (() => {
      try {
        resolvePgAdapterOptions({
          connectionString: 'mysql://db',
          readReplicaUrl: 'nope',
          schema: 'Drop Table',
          pool: { max: 0, connectionTimeoutMs: 1.5 },
          statementTimeoutMs: -1,
        });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    for (const field of [
      'connectionString',
      'readReplicaUrl',
      'schema',
      'pool.max',
      'pool.connectionTimeoutMs',
      'statementTimeoutMs',
    ]) {
      expect((error as Error).message).toContain(field);
    }
  });

  it('hands pool size, timeouts and SSL options to pg unchanged', () => {
    const ssl = { rejectUnauthorized: true, ca: 'CERT' };
    const options = resolvePgAdapterOptions({
      connectionString: 'postgres://db/app',
      pool: { max: 32, connectionTimeoutMs: 250 },
      statementTimeoutMs: 2_000,
      ssl,
    });
    expect(poolConfig(options, 'postgres://replica/app')).toMatchObject({
      connectionString: 'postgres://replica/app',
      max: 32,
      connectionTimeoutMillis: 250,
      statement_timeout: 2_000,
      lock_timeout: 3_000,
      idle_in_transaction_session_timeout: 10_000,
      ssl,
    });
  });
});
