import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  combineBundles,
  createSeatRushRuntime,
  FakePaymentGateway,
  type RuntimeSale,
  type SaleDefinitionInput,
} from '@seatrush/core';
import { MemoryAlertSink } from '@seatrush/core/memory';
import { createKafka, kafkaPorts } from '@seatrush/kafka-adapter';
import { pgPorts } from '@seatrush/pg-adapter';
import { connectRedis, redisPorts } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../support';

// Issue 20, item 2: the Redis primary of a Sentinel group (`pnpm services up redis-sentinel`: a
// primary and a replica with AOF everysec, three Sentinels) is SIGKILLed in the middle of a spike
// of reserves made through the SDK's runtime (connectRedis in sentinel mode). The test checks the
// promotion happens, the SDK reconnects to the promoted replica by itself and keeps selling, and
// the invariants hold against PostgreSQL. It prints the promotion time, the time to the first
// hold on the new primary, and how many acknowledged holds the new primary did not have (what
// asynchronous replication lost) and how many of those reached PostgreSQL anyway.
// FAILOVER_BUYERS (default 300) sizes the spike; `pnpm faults` runs it larger.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REDIS_SH = `${ROOT}scripts/services/redis.sh`;
const BUYERS = Number(process.env.FAILOVER_BUYERS ?? 300);
const UNITS = Math.floor(BUYERS * 0.8);
const CONCURRENCY = 32;
const SALE = 'failover';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `the failover test needs ${name}: run \`pnpm services up cluster\` (or \`up redis-sentinel\`) and export .services/env`,
    );
  }
  return value;
}

const sentinels = required('REDIS_SENTINELS')
  .split(',')
  .map((address) => {
    const [host, port] = address.split(':');
    return { host: host!, port: Number(port) };
  });
const masterName = required('REDIS_SENTINEL_NAME');
const databaseUrl = required('DATABASE_URL');
const kafkaBrokers = required('KAFKA_BROKERS').split(',');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The primary the Sentinels name now (asking each in turn). */
async function primaryPort(): Promise<number | null> {
  for (const address of sentinels) {
    const sentinel = new Redis({
      ...address,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    sentinel.on('error', () => {});
    try {
      await sentinel.connect();
      const answer = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', masterName)) as
        | string[]
        | null;
      if (answer) return Number(answer[1]);
    } catch {
      // this Sentinel does not answer: ask the next
    } finally {
      sentinel.disconnect();
    }
  }
  return null;
}

/** Brings the group whole again: the killed node restarts and becomes the new primary's replica. */
function restoreGroup(): void {
  execFileSync('bash', [REDIS_SH, 'up', 'sentinel'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 90_000,
  });
}

function generalSale(): SaleDefinitionInput {
  return {
    id: SALE,
    name: 'Failover mid-spike',
    inventory: { kind: 'general', capacity: UNITS, tier: 'std' },
    tiers: [{ id: 'std', name: 'Standard', priceCents: 2_500 }],
    opensAt: 0,
    // holds outlast the test: nothing expires while it counts them
    holdMs: 300_000,
    admission: { usersPerInterval: 10_000, intervalMs: 1_000, maxActive: 10_000, sessionMs: 600_000 },
    limits: { ticketsPerUser: 1 },
  };
}

interface Answer {
  userId: string;
  /** HELD, REPLAYED, a refusal's code, or THROWN. */
  code: string;
  reservationId: string | null;
  /** When the reserve was sent and when it was answered. */
  sentAt: number;
  at: number;
}

describe('Redis Sentinel failover in the middle of a spike (SDK runtime, real servers)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  it('promotes the replica, the SDK reconnects and keeps selling, and the books balance', async () => {
    // the group must be whole before the fault (a run before may have left the old primary down)
    restoreGroup();
    const before = await primaryPort();
    expect(before, 'the Sentinels name a primary').not.toBeNull();

    const ns = uniqueName('failover');
    const redis = connectRedis({ mode: 'sentinel', sentinels, name: masterName });
    redis.on('error', () => {}); // the primary dies on purpose; ioredis reconnects through the Sentinels
    const db = new pg.Pool({ connectionString: databaseUrl, max: 10 });
    const pgBundle = pgPorts(db, { schema: ns, migrate: 'apply' });
    const alerts = new MemoryAlertSink();
    const runtime = createSeatRushRuntime({
      ports: combineBundles(
        redisPorts(redis, { keyPrefix: `${ns}:` }),
        pgBundle,
        kafkaPorts({ brokers: kafkaBrokers, clientId: ns }, { topicPrefix: ns }),
      ),
      alerts,
      admissionSecret: 'sentinel-failover-test-secret-0123456789',
      payments: new FakePaymentGateway(),
      loops: { admission: false },
      reconcileIntervalMs: 3_600_000,
    });
    cleanups.push(async () => {
      await runtime.close().catch(() => undefined);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      redis.disconnect();
      await db.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(ns)} CASCADE`);
      await db.end();
      const admin = createKafka({ brokers: kafkaBrokers, clientId: ns }).admin();
      await admin.connect();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(ns));
      if (topics.length > 0) await admin.deleteTopics({ topics });
      await admin.disconnect();
    });
    cleanups.push(async () => restoreGroup());
    await runtime.start();
    const sale: RuntimeSale = await runtime.define(generalSale());

    // everyone admitted before the rush
    const users = Array.from({ length: BUYERS }, (_, i) => `u${i}`);
    const tokens = new Map<string, string>();
    for (const userId of users) await sale.queue.join({ userId });
    await sale.queue.tick();
    for (const userId of users) {
      const token = (await sale.queue.status({ userId }))?.admissionToken;
      if (!token) throw new Error(`${userId} was not admitted`);
      tokens.set(userId, token);
    }

    const answers: Answer[] = [];
    const reserve = async (userId: string, key = `k-${userId}`): Promise<Answer> => {
      const sentAt = performance.now();
      let answer: Answer;
      try {
        const result = await sale.reservations.reserve({
          userId,
          idempotencyKey: key,
          selection: { kind: 'quantity', quantity: 1 },
          admissionToken: tokens.get(userId)!,
        });
        answer = result.ok
          ? {
              userId,
              code: result.replayed ? 'REPLAYED' : 'HELD',
              reservationId: result.reservationId,
              sentAt,
              at: performance.now(),
            }
          : {
              userId,
              code: result.code,
              reservationId: 'reservationId' in result ? (result.reservationId ?? null) : null,
              sentAt,
              at: performance.now(),
            };
      } catch (error) {
        answer = {
          userId,
          code: `THROWN ${(error as Error).name}`,
          reservationId: null,
          sentAt,
          at: performance.now(),
        };
      }
      answers.push(answer);
      return answer;
    };

    // the spike: CONCURRENCY buyers at a time; the primary is SIGKILLed once a quarter answered.
    // A buyer told the store is unavailable or the outcome is unknown retries with the same key
    // (as the HTTP layer's Retry-After asks), every 200 ms for up to 30 s.
    const RETRIED = new Set(['OUTCOME_UNKNOWN', 'STORE_UNAVAILABLE', 'BUSY', 'SALE_NOT_WARM']);
    let next = 0;
    const rush = Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < users.length) {
          const userId = users[next++]!;
          const started = performance.now();
          let answer = await reserve(userId);
          while (
            (RETRIED.has(answer.code) || answer.code.startsWith('THROWN')) &&
            performance.now() - started < 30_000
          ) {
            await sleep(200);
            answer = await reserve(userId);
          }
        }
      }),
    );
    while (answers.length < BUYERS / 4) await sleep(5);
    const killed = execFileSync('bash', [REDIS_SH, 'kill-primary'], { stdio: ['ignore', 'pipe', 'pipe'] })
      .toString()
      .match(/KILLED_PORT=(\d+)/);
    const killedAt = performance.now();
    const answeredBeforeKill = answers.length;
    expect(Number(killed?.[1])).toBe(before);

    // the promotion: a Sentinel names the replica
    let promoted: number | null = before;
    while ((promoted === before || promoted === null) && performance.now() - killedAt < 60_000) {
      await sleep(50);
      promoted = await primaryPort();
    }
    const promotionMs = performance.now() - killedAt;
    expect(promoted, 'the Sentinels promoted the replica').not.toBe(before);
    expect(promoted).not.toBeNull();
    await rush;

    // the SDK reconnected by itself: holds were made after the promotion, and a late buyer's
    // reserve works on the new primary
    const tally: Record<string, number> = {};
    for (const answer of answers) tally[answer.code] = (tally[answer.code] ?? 0) + 1;
    const firstHeldAfter = answers.find((a) => a.sentAt > killedAt && a.code === 'HELD');
    expect(firstHeldAfter, `a hold made after the kill (answers: ${JSON.stringify(tally)})`).toBeDefined();
    await sale.queue.join({ userId: 'late' });
    await sale.queue.tick();
    const lateToken = (await sale.queue.status({ userId: 'late' }))?.admissionToken;
    expect(lateToken, 'a buyer joining after the failover is admitted').toBeDefined();
    tokens.set('late', lateToken!);
    const late = await reserve('late');
    expect(['HELD', 'SOLD_OUT']).toContain(late.code);
    const role = (await redis.call('ROLE')) as [string];
    expect(role[0], 'the SDK talks to a primary').toBe('master');
    const server = (redis as Redis).stream as { remotePort?: number } | undefined;
    expect(server?.remotePort).toBe(promoted);

    // what the new primary lost: acknowledged holds it has no record of (replication is
    // asynchronous; anything the old primary acknowledged and had not yet sent is gone)
    const acknowledged = new Map<string, string>();
    for (const answer of answers) {
      if ((answer.code === 'HELD' || answer.code === 'REPLAYED') && answer.reservationId) {
        acknowledged.set(answer.reservationId, answer.userId);
      }
    }
    const inventory = runtime.ports.inventory;
    const missingInRedis: string[] = [];
    for (const id of acknowledged.keys()) if (!(await inventory.getHold(SALE, id))) missingInRedis.push(id);

    // the pipeline settles (the worker charges every hold: CONFIRMED), then the reconciler runs
    await runtime.drain(60_000);
    const { rows } = await db.query<{
      reservation_id: string;
      user_id: string;
      status: string;
      quantity: number;
    }>(
      `SELECT reservation_id, user_id, status, quantity FROM ${pg.escapeIdentifier(ns)}.reservations WHERE sale_id = $1`,
      [SALE],
    );
    const inPg = new Map(rows.map((r) => [r.reservation_id, r]));
    const lostEverywhere = [...acknowledged.keys()].filter((id) => !inPg.has(id));
    const repaired = await sale.reconciler.reconcile(SALE);

    // nothing oversold, no buyer twice, and Redis agrees with PostgreSQL after the repair
    const confirmed = rows.filter((r) => r.status === 'CONFIRMED');
    const confirmedUnits = confirmed.reduce((sum, r) => sum + Number(r.quantity), 0);
    expect(confirmedUnits).toBeLessThanOrEqual(UNITS);
    expect(new Set(confirmed.map((r) => r.user_id)).size).toBe(confirmed.length);
    const counts = await inventory.counts(SALE);
    expect(counts.available).toBeGreaterThanOrEqual(0);
    expect(counts.available + counts.held + counts.confirmed).toBe(UNITS);
    expect(counts.confirmed).toBe(confirmedUnits);
    expect(await sale.reconciler.reconcile(SALE, { repair: false })).toMatchObject({ consistent: true });
    // every acknowledged hold PostgreSQL has reached a final state
    const unsettled = [...acknowledged.keys()].filter((id) => {
      const row = inPg.get(id);
      return row && !['CONFIRMED', 'FAILED', 'COMPENSATED'].includes(row.status);
    });
    expect(unsettled, 'acknowledged reservations still in flight in PostgreSQL').toEqual([]);

    console.info('[failover] Sentinel primary SIGKILLed mid-spike', {
      buyers: BUYERS,
      units: UNITS,
      answeredBeforeKill,
      killedPort: before,
      promotedPort: promoted,
      promotionMs: Math.round(promotionMs),
      firstHoldAfterKillMs: Math.round(firstHeldAfter!.at - killedAt),
      answers: tally,
      acknowledged: acknowledged.size,
      acknowledgedMissingOnNewPrimary: missingInRedis.length,
      acknowledgedNeverInPostgres: lostEverywhere.length,
      reconcilerRepaired: repaired.repaired,
      reconcilerProblems: repaired.problems,
      confirmedUnits,
    });
  }, 180_000);
});
