import { uniqueName } from '@seatrush/test-support';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { type CliIo, migrations, PgReservationRepository, runCli, usePools } from '../src';
import { databaseUrl, dropSchema, generalSale } from './fixtures';

describe('seatrush-pg', () => {
  const schemas: string[] = [];
  afterEach(async () => {
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });

  function io(env: Record<string, string | undefined> = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const cli: CliIo = { env, out: (l) => out.push(l), err: (l) => err.push(l), now: () => 42_000 };
    return { cli, out, err };
  }

  it('migrates a schema named by flag, then reports it up to date and lists the history', async () => {
    const schema = uniqueName('sr_cli');
    schemas.push(schema);
    const first = io();
    expect(await runCli(['migrate', '--url', databaseUrl(), '--schema', schema], first.cli)).toBe(0);
    expect(first.out).toEqual([`schema ${schema}: applied ${migrations.map((m) => m.version).join(', ')}`]);

    const again = io({ DATABASE_URL: databaseUrl(), SEATRUSH_PG_SCHEMA: schema });
    expect(await runCli(['migrate'], again.cli)).toBe(0);
    expect(again.out).toEqual([`schema ${schema}: up to date (${migrations.length} migrations)`]);

    const status = io({ DATABASE_URL: databaseUrl() });
    expect(await runCli(['status', '--schema', schema], status.cli)).toBe(0);
    expect(status.out.map((l) => l.split(' (')[0])).toEqual(
      migrations.map((m) => `applied  ${m.version} ${m.name}`),
    );
  });

  it('lists every migration as pending on a new schema, and changes nothing', async () => {
    const schema = uniqueName('sr_cli');
    const status = io({ DATABASE_URL: databaseUrl() });
    expect(await runCli(['status', '--schema', schema], status.cli)).toBe(0);
    expect(status.out).toEqual(migrations.map((m) => `pending  ${m.version} ${m.name}`));
  });

  it('closes a sale and builds its reporting indexes', async () => {
    const schema = uniqueName('sr_cli');
    schemas.push(schema);
    const env = { DATABASE_URL: databaseUrl(), SEATRUSH_PG_SCHEMA: schema };
    expect(await runCli(['migrate'], io(env).cli)).toBe(0);
    const pool = new pg.Pool({ connectionString: databaseUrl(), max: 1 });
    try {
      await new PgReservationRepository(usePools({ primary: pool, schema })).saveSale(generalSale('g1'));
    } finally {
      await pool.end();
    }
    const close = io(env);
    expect(await runCli(['close-sale', 'g1'], close.cli)).toBe(0);
    expect(close.out[0]).toMatch(
      /^sale g1 closed; reporting indexes: \S+_by_user, \S+_by_status, \S+_by_created$/,
    );
    const unknown = io(env);
    expect(await runCli(['close-sale', 'ghost'], unknown.cli)).toBe(1);
    expect(unknown.err).toEqual(['UNKNOWN_SALE: unknown sale: ghost']);
  });

  it('answers usage errors with exit code 2', async () => {
    const none = io();
    expect(await runCli(['migrate'], none.cli)).toBe(2);
    expect(none.err[0]).toContain('DATABASE_URL');
    const unknown = io({ DATABASE_URL: databaseUrl() });
    expect(await runCli(['explode'], unknown.cli)).toBe(2);
    const badSchema = io({ DATABASE_URL: databaseUrl() });
    expect(await runCli(['migrate', '--schema', 'Bad-Name'], badSchema.cli)).toBe(1);
    expect(badSchema.err[0]).toContain('INVALID_CONFIGURATION');
  });
});
