/**
 * Benchmark of the hot path: the atomic one-script reserve against the lock strategy
 * (Redlock over 3 independent Redis nodes, then the fenced steps), both driven through core's
 * `Reservations` by N concurrent callers on one sale (full contention), plus the
 * `redis-benchmark` EVALSHA rate of the same reserve script as the ceiling.
 *
 *   pnpm --filter @seatrush/redis-adapter bench            # REDIS_URL or redis://127.0.0.1:6379
 *   BENCH_CLIENTS=64 BENCH_ATOMIC=20000 BENCH_LOCK=300 BENCH_CEILING=20000 pnpm --filter @seatrush/redis-adapter bench
 *
 * Prints figures; asserts nothing. The Lua sources are read from ../src/lua, as the built package does.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type ReserveResult, systemClock } from '@seatrush/core';
import { MemoryAlertSink } from '@seatrush/core/memory';
import { Reservations } from '@seatrush/core/services';
import { Redis } from 'ioredis';
import { RedisInventoryStore, RedisWaitingRoomStore, Redlock } from '../src/index';
import { KeySpace } from '../src/keys';
import { luaSources } from '../src/scripts';
import { generalSale } from '../test/inventory-data';
import { startRedis } from '../test/redis-process';
import { cleanup, nullPublisher, oneEachDefinition, randomReserveArgs, runBenchmark } from './support';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const clientsCount = Number(process.env.BENCH_CLIENTS ?? 64);
const atomicRequests = Number(process.env.BENCH_ATOMIC ?? 20_000);
const lockRequests = Number(process.env.BENCH_LOCK ?? 300);
const ceilingRequests = Number(process.env.BENCH_CEILING ?? 20_000);
const connectionsCount = 8;

interface Figures {
  name: string;
  requests: number;
  held: number;
  other: Record<string, number>;
  seconds: number;
  p50: number;
  p99: number;
}

/** Runs `requests` reserves through `clientsCount` concurrent callers; one latency per request. */
async function drive(name: string, services: Reservations[], requests: number): Promise<Figures> {
  const latencies: number[] = [];
  const other: Record<string, number> = {};
  let held = 0;
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clientsCount }, async (_, caller) => {
      const service = services[caller % services.length]!;
      while (next < requests) {
        const i = next++;
        const t0 = process.hrtime.bigint();
        const result: ReserveResult = await service.reserve({
          userId: `u${i}`,
          idempotencyKey: `k${i}`,
          selection: { kind: 'quantity', quantity: 1 },
        });
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (result.ok) held += 1;
        else other[result.code] = (other[result.code] ?? 0) + 1;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { name, requests, held, other, seconds, p50: at(0.5), p99: at(0.99) };
}

function print(f: Figures): void {
  const rate = (f.requests / f.seconds).toFixed(0).padStart(7);
  const others = Object.entries(f.other)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  console.log(
    `${f.name.padEnd(34)} ${rate} reserves/s   p50 ${f.p50.toFixed(2).padStart(7)} ms   p99 ${f.p99
      .toFixed(2)
      .padStart(7)} ms   (${f.requests} requests, ${f.held} held${others ? `, ${others}` : ''})`,
  );
}

/** `redis-benchmark` calling the reserve script by EVALSHA: what one Redis can do, no client at all. */
function redisBenchmarkCeiling(sha: string, keyPrefix: string): string {
  const url = new URL(redisUrl);
  const meta = new KeySpace(keyPrefix).sale('ceiling').meta;
  // the arguments the adapter sends (see src/hold-calls.ts), a random user and ids per call
  const args = randomReserveArgs({ holdMs: 60_000, now: 1_000, retentionMs: 60_000 });
  const out = execFileSync(
    'redis-benchmark',
    [
      '-h',
      url.hostname,
      '-p',
      url.port || '6379',
      '-c',
      String(clientsCount),
      '-n',
      String(ceilingRequests),
      '-r',
      '1000000000',
      '-q',
      'EVALSHA',
      sha,
      '1',
      meta,
      ...args,
    ],
    { encoding: 'utf8' },
  );
  // -q rewrites one progress line with \r; the last piece is the summary: "EVALSHA …: N requests per second, p50=…"
  const summary = out.trim().split(/\r|\n/).filter(Boolean).pop() ?? out;
  return summary.slice(summary.lastIndexOf(': ') + 2);
}

async function main(): Promise<void> {
  const keyPrefix = `bench_${randomBytes(3).toString('hex')}:`;
  const connections = Array.from({ length: connectionsCount }, () => new Redis(redisUrl));
  const admin = connections[0]!;
  const lockNodes = await Promise.all(Array.from({ length: 3 }, () => startRedis()));
  const lockClients = lockNodes.map((n) => new Redis(n.url));
  try {
    console.log(
      `SeatRush hot path on ${redisUrl}: ${clientsCount} concurrent callers over ${connectionsCount} connections, one sale (full contention)`,
    );
    for (const strategy of ['atomic', 'lock'] as const) {
      const saleId = `bench-${strategy}`;
      const store = new RedisInventoryStore(admin, { keyPrefix });
      await store.load(generalSale(saleId, 1_000_000, 1));
      const services = connections.map((redis) => {
        const inventory = new RedisInventoryStore(redis, { keyPrefix });
        return new Reservations({
          sale: oneEachDefinition(saleId, 1_000_000),
          inventory,
          publisher: nullPublisher,
          clock: systemClock,
          alerts: new MemoryAlertSink(),
          requireAdmission: false,
          strategy,
          ...(strategy === 'lock'
            ? {
                lock: new Redlock(lockClients, { keyPrefix, retryCount: 0 }),
                steps: inventory.steps(),
                waitingRoom: new RedisWaitingRoomStore(redis, { keyPrefix }),
                lockAttempts: 1_000_000,
              }
            : {}),
        });
      });
      const label =
        strategy === 'atomic' ? 'atomic: one Lua script (EVALSHA)' : 'lock: Redlock(3 nodes) + 5 steps';
      const figures = await drive(label, services, strategy === 'atomic' ? atomicRequests : lockRequests);
      print(figures);
      const counts = await store.counts(saleId);
      if (counts.held !== figures.held || counts.available + counts.held !== 1_000_000) {
        console.log(`  INCONSISTENT: ${JSON.stringify(counts)}`);
      }
    }
    const sha = (await admin.script('LOAD', luaSources().get('reserve')!)) as string;
    await new RedisInventoryStore(admin, { keyPrefix }).load(generalSale('ceiling', 10_000_000, 1));
    console.log(
      `ceiling: redis-benchmark -c ${clientsCount} -n ${ceilingRequests} EVALSHA reserve.lua: ${redisBenchmarkCeiling(sha, keyPrefix)}`,
    );
  } finally {
    await cleanup(admin, keyPrefix);
    await Promise.all([...connections, ...lockClients].map((c) => c.quit()));
    await Promise.all(lockNodes.map((n) => n.destroy()));
  }
}

runBenchmark(main);
