import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inTransaction, withClient } from '../src';
import { countRows, databaseUrl, type FreshSchema, freshSchema, generalSale } from './fixtures';

describe('inTransaction', () => {
  let db: FreshSchema;
  beforeEach(async () => {
    db = await freshSchema({ max: 1 });
  });
  afterEach(async () => {
    await db.dispose();
  });

  const insertSale = (client: pg.PoolClient, id: string) =>
    client.query(
      `INSERT INTO ${db.schema}.sales (sale_id, name, kind, initial_stock, tickets_per_user, definition, partition_name)
       VALUES ($1, $1, 'general', 1, 1, '{}', $1)`,
      [id],
    );

  it('commits what the work did when it resolves', async () => {
    await inTransaction(db.connection.primary, (client) => insertSale(client, 'a'));
    expect(await countRows(db.connection, 'sales')).toBe(1);
  });

  it('rolls back everything when the work throws, and keeps the healthy connection', async () => {
    const failure = new Error('the host changed its mind');
    await expect(
      inTransaction(db.connection.primary, async (client) => {
        await insertSale(client, 'a');
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await countRows(db.connection, 'sales')).toBe(0);
    expect(db.connection.primary.totalCount).toBe(1);
    expect(db.connection.primary.idleCount).toBe(1);
  });

  it('drops a connection whose backend was terminated, and the pool carries on', async () => {
    const killer = new pg.Client({ connectionString: databaseUrl() });
    await killer.connect();
    try {
      const error = await withClient(db.connection.primary, async (client) => {
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await killer.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        await client.query('SELECT 1');
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(db.connection.primary.totalCount).toBe(0);
      await db.repository.saveSale(generalSale('after'));
      expect(await db.repository.getSale('after')).not.toBeNull();
    } finally {
      await killer.end();
    }
  });
});
