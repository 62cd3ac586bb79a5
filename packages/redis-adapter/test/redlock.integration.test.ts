import { ManualClock } from '@seatrush/core/testing';
import { RedisInventoryStore, Redlock } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generalSale, isolatedPrefix } from './helpers';
import { type RedisProcess, startRedis } from './redis-process';

/** Clients for Redlock nodes fail fast while their node is down (no offline queue). */
function nodeClient(url: string): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => 100,
  });
  // a stopped node is expected here: Redlock counts it as a refusal; ioredis keeps reconnecting
  client.on('error', () => {});
  return client;
}

let nodes: RedisProcess[] = [];
let clients: Redis[] = [];

beforeAll(async () => {
  nodes = await Promise.all(Array.from({ length: 5 }, () => startRedis()));
  clients = nodes.map((n) => nodeClient(n.url));
  await Promise.all(clients.map((c) => c.connect()));
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(nodes.map((n) => n.destroy()));
});

/** Waits until a node's client has reconnected after its server restarted. */
async function reconnected(client: Redis): Promise<void> {
  while (client.status !== 'ready') await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Many contenders take the lock in turn; none may be inside while another is. */
async function contend(lock: Redlock, resource: string, contenders: number, rounds: number) {
  let inside = 0;
  let overlaps = 0;
  const tokens: number[] = [];
  await Promise.all(
    Array.from({ length: contenders }, async () => {
      for (let r = 0; r < rounds; r++) {
        let lease = await lock.acquire(resource, 2_000);
        while (!lease) lease = await lock.acquire(resource, 2_000);
        inside += 1;
        if (inside > 1) overlaps += 1;
        tokens.push(lease.fencingToken);
        await new Promise((resolve) => setTimeout(resolve, 1));
        inside -= 1;
        await lock.release(lease);
      }
    }),
  );
  return { overlaps, tokens };
}

describe('Redlock over independent Redis nodes', () => {
  it('on 3 nodes: 30 contenders never overlap and fencing tokens grow with every grant', async () => {
    const lock = new Redlock(clients.slice(0, 3), {
      keyPrefix: isolatedPrefix(),
      retryCount: 3,
      retryDelayMs: 5,
    });
    const { overlaps, tokens } = await contend(lock, 'sale:a', 30, 3);
    expect(overlaps).toBe(0);
    expect(tokens).toHaveLength(90);
    // granted one after another, so the order of grants is the order of the pushes
    expect(tokens.every((t, i) => i === 0 || t > tokens[i - 1]!)).toBe(true);
  });

  it('on 5 nodes with one stopped: still granted by the majority, still exclusive, tokens still grow', async () => {
    const lock = new Redlock(clients, { keyPrefix: isolatedPrefix(), retryCount: 3, retryDelayMs: 5 });
    const before = await lock.acquire('sale:b', 1_000);
    expect(before).not.toBeNull();
    await lock.release(before!);
    await nodes[4]!.kill();
    try {
      const { overlaps, tokens } = await contend(lock, 'sale:b', 20, 2);
      expect(overlaps).toBe(0);
      expect([before!.fencingToken, ...tokens].every((t, i, all) => i === 0 || t > all[i - 1]!)).toBe(true);
    } finally {
      await nodes[4]!.restart();
      await reconnected(clients[4]!);
    }
  });

  it('on 3 nodes with two stopped: no quorum, so no lease', async () => {
    const lock = new Redlock(clients.slice(0, 3), {
      keyPrefix: isolatedPrefix(),
      retryCount: 2,
      retryDelayMs: 5,
    });
    await nodes[1]!.kill();
    await nodes[2]!.kill();
    try {
      expect(await lock.acquire('sale:c', 1_000)).toBeNull();
    } finally {
      await nodes[1]!.restart();
      await nodes[2]!.restart();
      await Promise.all([reconnected(clients[1]!), reconnected(clients[2]!)]);
    }
  });

  it('refuses a second holder while the lease lives, and releases only for its owner', async () => {
    const lock = new Redlock(clients.slice(0, 3), { keyPrefix: isolatedPrefix(), retryCount: 0 });
    const lease = await lock.acquire('sale:d', 10_000);
    expect(lease).not.toBeNull();
    expect(await lock.acquire('sale:d', 10_000)).toBeNull();
    await lock.release({ ...lease!, owner: 'someone-else' });
    expect(await lock.acquire('sale:d', 10_000)).toBeNull();
    await lock.release(lease!);
    expect(await lock.acquire('sale:d', 10_000)).not.toBeNull();
  });

  it('reports validity as ttl minus drift from the injected clock', async () => {
    const clock = new ManualClock(1_000_000);
    const lock = new Redlock(clients.slice(0, 3), { keyPrefix: isolatedPrefix(), clock, driftFactor: 0.01 });
    const lease = await lock.acquire('sale:e', 10_000);
    expect(lease!.validUntil).toBe(1_000_000 + 10_000 - 102);
  });

  it('a holder paused past its lease is fenced off: its late write is refused', async () => {
    const keyPrefix = isolatedPrefix();
    const lock = new Redlock(clients.slice(0, 3), { keyPrefix, retryCount: 0 });
    const redis = new Redis(inject('services').redisUrl);
    try {
      const store = new RedisInventoryStore(redis, { keyPrefix });
      const steps = store.steps();
      await store.load(generalSale('fenced', 10));
      const paused = await lock.acquire('sale:fenced', 50);
      await new Promise((resolve) => setTimeout(resolve, 80)); // the lease lapses while "paused"
      const next = await lock.acquire('sale:fenced', 5_000);
      expect(next!.fencingToken).toBeGreaterThan(paused!.fencingToken);
      expect(await steps.takeStock('fenced', 1, next!.fencingToken)).toBe('TAKEN');
      expect(await steps.takeStock('fenced', 1, paused!.fencingToken)).toBe('STALE_TOKEN');
      const late = {
        reservationId: 'late',
        saleId: 'fenced',
        userId: 'u1',
        idempotencyKey: 'k-late',
        quantity: 1,
        seatIds: [],
        status: 'HELD' as const,
        heldAt: 1,
        expiresAt: 60_001,
      };
      expect(await steps.writeHold(late, 'u1|q|1', paused!.fencingToken)).toBe('STALE_TOKEN');
      expect(await store.getHold('fenced', 'late')).toBeNull();
      expect(await store.counts('fenced')).toMatchObject({ available: 9, held: 0 });
    } finally {
      await redis.quit();
    }
  });
});
