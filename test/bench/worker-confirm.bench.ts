import { FakePaymentGateway, parseSaleDefinition, systemClock } from '@seatrush/core';
import { MemoryAlertSink } from '@seatrush/core/memory';
import { reservationRequested } from '@seatrush/core/ports';
import { ReservationProcessor, WarmUp } from '@seatrush/core/services';
import { pgPorts } from '@seatrush/pg-adapter';
import { RedisInventoryStore } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import pg from 'pg';
import { it } from 'vitest';

// Issue 20: the auto-pay worker looks at the store's hold once more after it records CONFIRMED
// (12e57e2, now `keepConfirmedInStore`: one `getHold` per confirmation, so a hold a rebuild
// brought back while the row was PAYMENT_PENDING is confirmed again). What it costs the worker's
// throughput on the real servers, side by side: each pair of rounds settles BENCH_HOLDS fresh
// holds with the check and as many without it (that `getHold` answered CONFIRMED by a wrapper of
// the store, no round trip: the worker as it was before 12e57e2), in alternating order, with the
// round trips per confirmation counted, in batches of 100 with the processor's default
// concurrency (as the Kafka consumer hands them). Events are published to nowhere, so the figures
// are the store's and PostgreSQL's. A measurement, not an assertion.
//   set -a; . .services/env; set +a
//   pnpm exec vitest run --config test/bench/vitest.config.ts test/bench/worker-confirm.bench.ts
const HOLDS = Number(process.env.BENCH_HOLDS ?? 2_000);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 3);
const BATCH = 100;

/**
 * `port` with every call counted in `calls` (the round trips a settlement makes); `instead`
 * answers a call itself, without a round trip, when it returns something.
 */
function counted<T extends object>(
  port: T,
  calls: { n: number },
  instead: (property: PropertyKey, args: unknown[], call: () => unknown) => unknown = () => undefined,
): T {
  return new Proxy(port, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const call = () => {
          calls.n++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
        return instead(property, args, call) ?? call();
      };
    },
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

it('settles holds with and without the store check after CONFIRMED', async () => {
  const { REDIS_URL, DATABASE_URL } = process.env;
  if (!REDIS_URL || !DATABASE_URL) throw new Error('set REDIS_URL and DATABASE_URL (. .services/env)');
  const ns = `bench_confirm_${process.pid}`;
  const redis = new Redis(REDIS_URL);
  const db = new pg.Pool({ connectionString: DATABASE_URL, max: 16 });
  const saleId = 'confirm';
  const inventory = new RedisInventoryStore(redis, { keyPrefix: `${ns}:` });
  try {
    const { repository, verify } = pgPorts(db, { schema: ns, migrate: 'apply' });
    await verify();
    await repository.saveSale(
      parseSaleDefinition({
        id: saleId,
        name: 'Worker benchmark',
        inventory: { kind: 'general', capacity: (2 * PAIRS + 1) * HOLDS, tier: 'std' },
        tiers: [{ id: 'std', name: 'Standard', priceCents: 5_000 }],
        opensAt: 0,
        holdMs: 600_000,
        admission: { usersPerInterval: 100, intervalMs: 1_000, maxActive: 1_000, sessionMs: 600_000 },
        limits: { ticketsPerUser: 1 },
      }),
    );
    await new WarmUp({ repository, inventory, clock: systemClock }).warm(saleId);
    const storeCalls = { n: 0 };
    const truthCalls = { n: 0 };
    const processor = (check: boolean) => {
      // without the check: the store's getHold right after a reservation's move to CONFIRMED
      // (keepConfirmedInStore's) is answered CONFIRMED here, with no round trip
      const justConfirmed = new Set<string>();
      const worker = new ReservationProcessor({
        inventory: counted(inventory, storeCalls, (property, args) =>
          !check && property === 'getHold' && justConfirmed.delete(args[1] as string)
            ? Promise.resolve({ status: 'CONFIRMED' })
            : undefined,
        ),
        repository: counted(repository, truthCalls, (property, args, call) => {
          const change = args[0] as { to?: string; reservationId?: string };
          if (check || property !== 'transition' || change.to !== 'CONFIRMED') return undefined;
          return (call() as Promise<boolean>).then((moved) => {
            if (moved) justConfirmed.add(change.reservationId!);
            return moved;
          });
        }),
        payments: new FakePaymentGateway(),
        publisher: { publish: async () => undefined, close: async () => undefined },
        alerts: new MemoryAlertSink(),
        clock: systemClock,
      });
      return worker;
    };
    let next = 0;
    const round = async (check: boolean) => {
      const events = [];
      for (let i = 0; i < HOLDS; i += 200) {
        const made = await Promise.all(
          Array.from({ length: Math.min(200, HOLDS - i) }, async () => {
            const n = next++;
            const outcome = await inventory.reserve({
              saleId,
              userId: `u${n}`,
              reservationId: `r${n}`,
              idempotencyKey: `k${n}`,
              selection: { kind: 'quantity', quantity: 1 },
              holdMs: 600_000,
              requireAdmission: false,
              now: Date.now(),
            });
            if (!outcome.ok) throw new Error(outcome.code);
            return reservationRequested(outcome.hold, 5_000, Date.now());
          }),
        );
        events.push(...made);
      }
      const worker = processor(check);
      storeCalls.n = 0;
      truthCalls.n = 0;
      const start = performance.now();
      for (let i = 0; i < events.length; i += BATCH) {
        const report = await worker.handleBatch(events.slice(i, i + BATCH));
        if (report.failed.length > 0) throw new Error(`${report.failed.length} failed`);
      }
      const rate = HOLDS / ((performance.now() - start) / 1_000);
      calls.set(check, { store: storeCalls.n / HOLDS, truth: truthCalls.n / HOLDS });
      return rate;
    };
    const calls = new Map<boolean, { store: number; truth: number }>();
    const withCheck: number[] = [];
    const without: number[] = [];
    await round(true); // warm the connections and the JIT
    for (let pair = 1; pair <= PAIRS; pair++) {
      const order = pair % 2 === 1 ? [true, false] : [false, true];
      for (const check of order) (check ? withCheck : without).push(await round(check));
      console.log(
        `pair ${pair}: with the check ${withCheck.at(-1)!.toFixed(0)}/s, without ${without.at(-1)!.toFixed(0)}/s`,
      );
    }
    const counts = await inventory.counts(saleId);
    console.log(
      `${HOLDS} holds a round, ${PAIRS} pairs: confirmations/s with the check ${median(withCheck).toFixed(0)}, ` +
        `without ${median(without).toFixed(0)}; ratio (with / without, median of pairs) ` +
        `${median(withCheck.map((w, i) => w / without[i]!)).toFixed(3)}; store ${JSON.stringify(counts)}`,
    );
    const per = (check: boolean) => {
      const c = calls.get(check)!;
      return `${c.store.toFixed(2)} store + ${c.truth.toFixed(2)} PostgreSQL calls`;
    };
    console.log(`per confirmation: with the check ${per(true)}, without ${per(false)}`);
  } finally {
    let cursor = '0';
    do {
      const [following, keys] = await redis.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 1000);
      cursor = following;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    await redis.quit();
    await db.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(ns)} CASCADE`).catch(() => undefined);
    await db.end();
  }
});
