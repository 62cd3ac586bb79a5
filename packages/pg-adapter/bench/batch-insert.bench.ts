/**
 * Reservation write paths on this machine's PostgreSQL, in rows per second:
 *   single   — one `insertMany([row])` per row (one round trip and one commit each)
 *   unnest   — `insertMany` batches: ONE `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`
 *   values   — the same idempotent statement fed by a multi-row `VALUES` list (12 parameters a row)
 *   copy     — psql `\copy` (the COPY protocol: the ceiling), raw, and made idempotent through a
 *              staging table + `INSERT … ON CONFLICT DO NOTHING`; both include starting psql
 *
 * `DATABASE_URL=postgres://… pnpm --filter @seatrush/pg-adapter bench` (under 30 s on an idle
 * machine). Prints figures; asserts nothing about them.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { ReservationRow } from '@seatrush/core';
import pg from 'pg';
import { it } from 'vitest';
import { createPgConnection, migrate, PgReservationRepository, partitionNameOf } from '../src';
import { RESERVATION_COLUMNS } from '../src/repository/rows';
import { reservation } from '../test/fixtures';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sr_bench_${randomBytes(4).toString('hex')}`;
const ROWS = 10_000;
const SINGLE_ROWS = 500;

/** `count` REQUESTED rows of one unit, two to a buyer. */
const rowsOf = (saleId: string, count: number) =>
  Array.from({ length: count }, (_, n) => reservation(saleId, n, { userId: `u${n % 5_000}` }));

interface Figure {
  path: string;
  batch: number | string;
  rows: number;
  ms: number;
}

async function time(run: () => Promise<void> | void): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

it('measures reservation write paths', async () => {
  const connection = createPgConnection({ connectionString: url, schema, pool: { max: 2 } });
  const repository = new PgReservationRepository(connection);
  const figures: Figure[] = [];
  const sale = (id: string) =>
    repository.saveSale({
      id,
      name: id,
      inventory: { kind: 'general', capacity: 1_000_000, tier: 't' },
      tiers: [{ id: 't', name: 'T', priceCents: 5_000 }],
      opensAt: 0,
      admission: { usersPerInterval: 1, maxActive: 1 },
    });
  /** A fresh sale of `count` rows, written by `write`, timed, as one figure. */
  const measure = async (
    figure: { path: string; batch: number; saleId: string; count: number },
    write: (rows: ReservationRow[]) => Promise<void>,
  ) => {
    await sale(figure.saleId);
    const rows = rowsOf(figure.saleId, figure.count);
    figures.push({
      path: figure.path,
      batch: figure.batch,
      rows: rows.length,
      ms: await time(() => write(rows)),
    });
  };
  try {
    await migrate(connection.primary, { schema });

    await measure(
      { path: 'insertMany([row]), one by one', batch: 1, saleId: 'single', count: SINGLE_ROWS },
      async (rows) => {
        for (const r of rows) await repository.insertMany([r]);
      },
    );

    for (const size of [100, 1_000]) {
      await measure(
        { path: 'insertMany (unnest)', batch: size, saleId: `unnest${size}`, count: ROWS },
        async (rows) => {
          for (let i = 0; i < rows.length; i += size) await repository.insertMany(rows.slice(i, i + size));
        },
      );
    }

    await measure({ path: 'multi-row VALUES', batch: 1_000, saleId: 'values', count: ROWS }, async (rows) => {
      for (let i = 0; i < rows.length; i += 1_000) {
        await insertWithValues(connection.primary, rows.slice(i, i + 1_000));
      }
    });

    if (hasPsql()) {
      for (const idempotent of [false, true]) {
        await measure(
          {
            path: idempotent ? 'COPY → staging → ON CONFLICT' : 'COPY (psql, not idempotent)',
            batch: ROWS,
            saleId: idempotent ? 'copyidem' : 'copyraw',
            count: ROWS,
          },
          async (rows) => copyRows(rows, idempotent),
        );
      }
    } else {
      console.log('psql not found: the COPY paths were skipped');
    }
  } finally {
    await connection.primary.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    await connection.close();
  }
  console.log(table(figures));
});

function table(figures: Figure[]): string {
  const line = (cells: string[]) =>
    [cells[0]!.padEnd(32), ...cells.slice(1).map((c, i) => c.padStart([6, 7, 7, 10][i]!))].join(' ');
  return [
    line(['path', 'batch', 'rows', 'ms', 'rows/s']),
    ...figures.map((f) =>
      line([
        f.path,
        String(f.batch),
        String(f.rows),
        f.ms.toFixed(0),
        Math.round((f.rows / f.ms) * 1_000).toLocaleString('en-US'),
      ]),
    ),
  ].join('\n');
}

/** The adapter's idempotent insert, fed by `VALUES ($1, …, $12), …` instead of `unnest`. */
async function insertWithValues(pool: pg.Pool, rows: ReservationRow[]): Promise<void> {
  const values: unknown[] = [];
  const tuples = rows.map((r) => {
    const base = values.length;
    values.push(
      r.saleId,
      r.reservationId,
      r.userId,
      r.idempotencyKey,
      r.quantity,
      r.seatIds,
      r.amountCents,
      r.status,
      r.paymentId,
      r.failureReason,
      r.createdAt,
      r.updatedAt,
    );
    return `(${Array.from({ length: 12 }, (_, i) => `$${base + i + 1}`).join(', ')})`;
  });
  const s = pg.escapeIdentifier(schema);
  await pool.query(
    `INSERT INTO ${s}.reservations (${RESERVATION_COLUMNS})
     SELECT sale_id, reservation_id, user_id, idempotency_key, quantity::int, seat_ids::text[], amount_cents::bigint,
            status, payment_id, failure_reason, created_at::bigint, updated_at::bigint
     FROM (VALUES ${tuples.join(', ')}) AS input (${RESERVATION_COLUMNS})
     WHERE NOT EXISTS (SELECT 1 FROM ${s}.reservation_ids k WHERE k.reservation_id = input.reservation_id)
     ON CONFLICT DO NOTHING`,
    values,
  );
}

function hasPsql(): boolean {
  try {
    execFileSync('psql', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Streams rows as CSV through psql's `\copy … FROM STDIN`, in one transaction. */
function copyRows(rows: ReservationRow[], idempotent: boolean): void {
  const csv = rows
    .map((r) =>
      [
        r.saleId,
        r.reservationId,
        r.userId,
        r.idempotencyKey,
        r.quantity,
        '{}',
        r.amountCents,
        r.status,
        '',
        '',
        r.createdAt,
        r.updatedAt,
      ].join(','),
    )
    .join('\n');
  const s = pg.escapeIdentifier(schema);
  const partition = `${s}.${pg.escapeIdentifier(partitionNameOf(rows[0]!.saleId))}`;
  const commands = idempotent
    ? [
        `CREATE TEMP TABLE staging (LIKE ${s}.reservations) ON COMMIT DROP`,
        `\\copy staging (${RESERVATION_COLUMNS}) FROM STDIN WITH (FORMAT csv)`,
        `INSERT INTO ${s}.reservations SELECT * FROM staging
         WHERE NOT EXISTS (SELECT 1 FROM ${s}.reservation_ids k WHERE k.reservation_id = staging.reservation_id)
         ON CONFLICT DO NOTHING`,
      ]
    : [`\\copy ${partition} (${RESERVATION_COLUMNS}) FROM STDIN WITH (FORMAT csv)`];
  execFileSync(
    'psql',
    [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-1', ...commands.flatMap((c) => ['-c', c])],
    {
      input: csv,
      stdio: ['pipe', 'ignore', 'inherit'],
    },
  );
}
