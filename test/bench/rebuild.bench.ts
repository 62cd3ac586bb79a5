import {
  parseSaleDefinition,
  type ReservationRow,
  type SaleDefinitionInput,
  systemClock,
} from '@seatrush/core';
import { RebuildService } from '@seatrush/core/services';
import { pgPorts } from '@seatrush/pg-adapter';
import { RedisInventoryStore } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import pg from 'pg';
import { it } from 'vitest';

// Issue 20's goal: a wiped Redis rebuilt within 30 s for a sale of 20,000 seats. A seated sale of
// 20,000 seats with 3,000 paid reservations (6,000 seats), 1,500 holds awaiting payment and 500
// paying (4,000 seats in flight) in PostgreSQL; each round rebuilds it into an empty Redis
// namespace and prints the time. A measurement, not an assertion.
//   set -a; . .services/env; set +a
//   pnpm exec vitest run --config test/bench/vitest.config.ts test/bench/rebuild.bench.ts
const ROWS = 100;
const PER_ROW = 200;
const CONFIRMED = 3_000;
const REQUESTED = 1_500;
const PAYING = 500;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function sale(id: string): SaleDefinitionInput {
  return {
    id,
    name: 'Rebuild benchmark',
    inventory: {
      kind: 'assigned',
      sections: [
        {
          id: 'main',
          name: 'Main',
          rows: Array.from({ length: ROWS }, (_, r) => ({
            id: `R${r}`,
            seats: Array.from({ length: PER_ROW }, (_, s) => ({
              id: `R${r}S${s}`,
              label: `${r}-${s}`,
              tier: 'std',
            })),
          })),
        },
      ],
    },
    tiers: [{ id: 'std', name: 'Standard', priceCents: 5_000 }],
    opensAt: 0,
    holdMs: 600_000,
    admission: { usersPerInterval: 100, intervalMs: 1_000, maxActive: 1_000, sessionMs: 600_000 },
    limits: { ticketsPerUser: 4 },
  };
}

async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

it('rebuilds a 20,000-seat sale from PostgreSQL into Redis', async () => {
  const { REDIS_URL, DATABASE_URL } = process.env;
  if (!REDIS_URL || !DATABASE_URL) throw new Error('set REDIS_URL and DATABASE_URL (. .services/env)');
  const ns = `bench_rebuild_${process.pid}`;
  const redis = new Redis(REDIS_URL);
  const db = new pg.Pool({ connectionString: DATABASE_URL, max: 8 });
  const wipe = async () => {
    const keys = await keysUnder(redis, `${ns}:`);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  };
  try {
    const { repository, verify } = pgPorts(db, { schema: ns, migrate: 'apply' });
    await verify();
    const saleId = 'big';
    await repository.saveSale(parseSaleDefinition(sale(saleId)));
    const now = Date.now();
    const rows: ReservationRow[] = Array.from({ length: CONFIRMED + REQUESTED + PAYING }, (_, i) => ({
      reservationId: `res-${i}`,
      saleId,
      userId: `user-${i}`,
      idempotencyKey: `key-${i}`,
      quantity: 2,
      seatIds: [
        `R${Math.floor((2 * i) / PER_ROW)}S${(2 * i) % PER_ROW}`,
        `R${Math.floor((2 * i) / PER_ROW)}S${((2 * i) % PER_ROW) + 1}`,
      ],
      amountCents: 10_000,
      status: 'REQUESTED',
      paymentId: null,
      failureReason: null,
      createdAt: now,
      updatedAt: now,
    }));
    for (let i = 0; i < rows.length; i += 1_000) await repository.insertMany(rows.slice(i, i + 1_000));
    const moves = rows.slice(0, CONFIRMED + PAYING).map((row, i) => async () => {
      await repository.transition({
        reservationId: row.reservationId,
        from: ['REQUESTED'],
        to: 'PAYMENT_PENDING',
        now,
      });
      if (i < CONFIRMED) {
        await repository.transition({
          reservationId: row.reservationId,
          from: ['PAYMENT_PENDING'],
          to: 'CONFIRMED',
          paymentId: `pay-${i}`,
          now,
        });
      }
    });
    for (let i = 0; i < moves.length; i += 64)
      await Promise.all(moves.slice(i, i + 64).map((move) => move()));
    console.log(
      `sale of ${ROWS * PER_ROW} seats: ${CONFIRMED} paid reservations (${2 * CONFIRMED} seats), ` +
        `${REQUESTED} REQUESTED and ${PAYING} PAYMENT_PENDING holds (${2 * (REQUESTED + PAYING)} seats)`,
    );

    const inventory = new RedisInventoryStore(redis, { keyPrefix: `${ns}:` });
    const rebuild = new RebuildService({ repository, inventory, clock: systemClock });
    // beside it, the rebuild as it was before it read the buyers' releases (cd1c030): the
    // repository without listReleased
    const withoutReleases = new RebuildService({
      repository: new Proxy(repository, {
        get: (target, property) => {
          if (property === 'listReleased') return undefined;
          const value = Reflect.get(target, property, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }),
      inventory,
      clock: systemClock,
    });
    for (let round = 1; round <= ROUNDS; round++) {
      await wipe();
      const readStart = performance.now();
      await Promise.all([
        repository.getSale(saleId),
        repository.loadSnapshot(saleId),
        repository.listInFlight!(saleId),
      ]);
      const readMs = performance.now() - readStart;
      const timed = async (service: RebuildService) => {
        await wipe();
        const start = performance.now();
        const report = await service.rebuildIfCold(saleId);
        return { report, ms: performance.now() - start };
      };
      // alternating order, so neither always runs on a warmer cache
      const [first, second] = round % 2 === 1 ? [rebuild, withoutReleases] : [withoutReleases, rebuild];
      const a = await timed(first);
      const b = await timed(second);
      const [now, before] = first === rebuild ? [a, b] : [b, a];
      console.log(
        `round ${round}: rebuilt in ${now.ms.toFixed(0)} ms (without reading the releases ` +
          `${before.ms.toFixed(0)} ms; PostgreSQL reads alone ${readMs.toFixed(0)} ms; ` +
          `${now.report.outcome}, ${now.report.holdsRestored} holds, counts ${JSON.stringify(now.report.counts)}); goal 30,000 ms`,
      );
    }
  } finally {
    await wipe().catch(() => undefined);
    await redis.quit();
    await db.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(ns)} CASCADE`).catch(() => undefined);
    await db.end();
  }
});
