import { uniqueName } from '@seatrush/test-support';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createPgConnection, MigrationError, migrate, migrations } from '../src';
import { databaseUrl, dropSchema } from './fixtures';

describe('migrate', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function setUp(max = 4) {
    const schema = uniqueName('sr_mig');
    const connection = createPgConnection({ connectionString: databaseUrl(), schema, pool: { max } });
    cleanups.push(
      () => connection.close(),
      () => dropSchema(schema),
    );
    return { schema, connection };
  }

  async function tablesOf(pool: pg.Pool, schema: string): Promise<string[]> {
    const { rows } = await pool.query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
      [schema],
    );
    return rows.map((r) => r.relname);
  }

  it('creates the schema and every table, and records each version once', async () => {
    const { schema, connection } = setUp();
    const report = await migrate(connection.primary, { schema });
    expect(report).toEqual({ schema, applied: migrations.map((m) => m.version), alreadyApplied: [] });
    expect(await tablesOf(connection.primary, schema)).toEqual([
      'checkout_payments',
      'hold_releases',
      'notification_outbox',
      'payments',
      'read_events',
      'read_reservations',
      'read_sale_minutes',
      'read_seat_reservations',
      'read_seats',
      'reconciliation_runs',
      'reservation_ids',
      'reservations',
      'sales',
      'schema_migrations',
      'seats',
      'sold_seats',
      'stock_changes',
      'webhook_receipts',
    ]);
  });

  it('does nothing the second time', async () => {
    const { schema, connection } = setUp();
    await migrate(connection.primary, { schema });
    const again = await migrate(connection.primary, { schema });
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toEqual(migrations.map((m) => m.version));
    const { rows } = await connection.primary.query(`SELECT version FROM ${schema}.schema_migrations`);
    expect(rows).toHaveLength(migrations.length);
  });

  it('applies each migration exactly once when several processes migrate at the same moment', async () => {
    const { schema } = setUp();
    // separate pools stand for separate application instances starting together
    const instances = Array.from({ length: 6 }, () =>
      createPgConnection({ connectionString: databaseUrl(), schema, pool: { max: 1 } }),
    );
    cleanups.push(() => Promise.all(instances.map((i) => i.close())).then(() => undefined));
    const reports = await Promise.all(instances.map((i) => migrate(i.primary, { schema })));
    const appliedBy = reports.filter((r) => r.applied.length > 0);
    expect(appliedBy).toHaveLength(1);
    expect(appliedBy[0]?.applied).toEqual(migrations.map((m) => m.version));
    for (const report of reports.filter((r) => r.applied.length === 0)) {
      expect(report.alreadyApplied).toEqual(migrations.map((m) => m.version));
    }
  });

  it('applies only the new migrations of a later release', async () => {
    const { schema, connection } = setUp();
    await migrate(connection.primary, { schema, migrations: migrations.slice(0, 1) });
    const later = await migrate(connection.primary, { schema });
    expect(later.alreadyApplied).toEqual([1]);
    expect(later.applied).toEqual(migrations.slice(1).map((m) => m.version));
  });

  it('links the seats of the reservations projected before the read side had seat links (migration 5)', async () => {
    const { schema, connection } = setUp();
    await migrate(connection.primary, { schema, migrations: migrations.filter((m) => m.version <= 4) });
    await connection.primary.query(
      `INSERT INTO ${schema}.read_reservations (sale_id, reservation_id, quantity, seat_ids, state, state_rank, held_at)
       VALUES ('s1', 'r1', 2, '{A1,A2}', 'HELD', 1, 1000), ('s1', 'r2', 1, '{A2}', 'EXPIRED', 2, 900),
              ('s2', 'r3', 1, '{}', 'CONFIRMED', 4, 800)`,
    );
    expect(
      (await migrate(connection.primary, { schema, migrations: migrations.filter((m) => m.version <= 5) }))
        .applied,
    ).toEqual([5]);
    const { rows } = await connection.primary.query(
      `SELECT sale_id, seat_id, reservation_id FROM ${schema}.read_seat_reservations
       ORDER BY sale_id, seat_id, reservation_id`,
    );
    expect(rows).toEqual([
      { sale_id: 's1', seat_id: 'A1', reservation_id: 'r1' },
      { sale_id: 's1', seat_id: 'A2', reservation_id: 'r1' },
      { sale_id: 's1', seat_id: 'A2', reservation_id: 'r2' },
    ]);
  });

  it('refuses a migration edited after it was applied, and changes nothing', async () => {
    const { schema, connection } = setUp();
    await migrate(connection.primary, { schema });
    const edited = migrations.map((m) => (m.version === 1 ? { ...m, sql: `${m.sql}\n-- edited` } : m));
    const extra = { version: 99, name: 'extra', sql: 'CREATE TABLE {{schema}}.extra (id int)' };
    await expect(
      migrate(connection.primary, { schema, migrations: [...edited, extra] }),
    ).rejects.toBeInstanceOf(MigrationError);
    expect(await tablesOf(connection.primary, schema)).not.toContain('extra');
  });

  it('rolls back every migration of a run when one fails', async () => {
    const { schema, connection } = setUp();
    const broken = [
      ...migrations,
      { version: 3, name: 'broken', sql: 'CREATE TABLE {{schema}}.x (id nope)' },
    ];
    const error = await migrate(connection.primary, { schema, migrations: broken }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).message).toContain('migration 3 (broken)');
    const { rows } = await connection.primary.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [
      schema,
    ]);
    expect(rows).toHaveLength(0);
  });
});
