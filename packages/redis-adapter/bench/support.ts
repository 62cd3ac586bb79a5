import { randomBytes } from 'node:crypto';
import type { EventPublisher, SaleDefinitionInput } from '@seatrush/core';
import { Redis } from 'ioredis';
import { holdArgs } from '../src/hold-calls';
import { startRedis } from '../test/redis-process';

/** Deletes the benchmark's keys (SCAN + UNLINK), so runs leave nothing behind. */
export async function cleanup(redis: Redis, keyPrefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 5_000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/** Runs a benchmark's main; a failure is printed and sets a non-zero exit code. */
export function runBenchmark(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

/**
 * The ARGV the adapter sends for a general-admission reserve of 1 unit (see src/hold-calls.ts),
 * with `redis-benchmark`'s `__rand_int__` placeholders: a random user and ids on every call.
 */
export function randomReserveArgs(times: { holdMs: number; now: number; retentionMs: number }): string[] {
  return holdArgs({
    reservationId: 'r__rand_int__',
    userId: 'u__rand_int__',
    idempotencyKey: 'k__rand_int__',
    fingerprint: 'u__rand_int__|q|1',
    mode: 'q',
    requireAdmission: false,
    withTimer: false,
    units: 1,
    ...times,
    relayLagLimitMs: 0,
  });
}

/** A publisher that drops every event: the benchmarks measure the hot path, not the bus. */
export const nullPublisher: EventPublisher = { publish: async () => {}, close: async () => {} };

/** What every benchmark's sale has beside its inventory and limits: one tier, open, admission. */
export const saleTerms = {
  tiers: [{ id: 'std', name: 'Standard', priceCents: 5_000 }],
  opensAt: 0,
  admission: { usersPerInterval: 100, maxActive: 1_000 },
} satisfies Partial<SaleDefinitionInput>;

/** The definition of a general-admission sale of `capacity`, one ticket a buyer (`generalSale(id, capacity, 1)` its snapshot). */
export function oneEachDefinition(id: string, capacity: number): SaleDefinitionInput {
  return {
    id,
    name: id,
    inventory: { kind: 'general', capacity, tier: 'std' },
    ...saleTerms,
    limits: { ticketsPerUser: 1 },
  };
}

/** The server a benchmark runs on: `BENCH_REDIS_URL`, or a private `redis-server` it starts. */
export async function benchServer(): Promise<{ url: string; own: boolean; stop(): Promise<void> }> {
  const url = process.env.BENCH_REDIS_URL;
  if (url) return { url, own: false, stop: async () => {} };
  const server = await startRedis();
  return { url: server.url, own: true, stop: () => server.destroy() };
}

/**
 * Runs `body` with `count` connections to the benchmark's server under a fresh key prefix (the
 * first is the admin's), then deletes the prefix's keys, quits the connections and stops a
 * private server, whatever happens.
 */
export async function onBenchServer(
  count: number,
  body: (bench: {
    url: string;
    own: boolean;
    keyPrefix: string;
    connections: Redis[];
    admin: Redis;
  }) => Promise<void>,
): Promise<void> {
  const server = await benchServer();
  const keyPrefix = `bench_${randomBytes(3).toString('hex')}:`;
  const connections = Array.from({ length: count }, () => new Redis(server.url));
  const admin = connections[0]!;
  try {
    await body({ url: server.url, own: server.own, keyPrefix, connections, admin });
  } finally {
    await cleanup(admin, keyPrefix).catch(() => undefined);
    await Promise.all(connections.map((c) => c.quit()));
    await server.stop();
  }
}
