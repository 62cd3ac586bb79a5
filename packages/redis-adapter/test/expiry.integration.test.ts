import type { HoldRecord } from '@seatrush/core';
import { HoldExpiryListener, RedisInventoryStore } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generalSale, isolatedPrefix } from './helpers';
import { buyerRequest } from './inventory-data';
import { type RedisProcess, startRedis } from './redis-process';

let server: RedisProcess;
beforeAll(async () => {
  // a server of its own: keyspace notifications are a server-wide setting
  server = await startRedis();
});
afterAll(async () => {
  await server.destroy();
});

async function until(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const reserve = (store: RedisInventoryStore, i: number, holdMs: number) =>
  store.reserve(buyerRequest('timed', i, { holdMs, now: Date.now() }));

describe('hold expiry: keyspace notifications make it prompt, the sweeper makes it certain', () => {
  it('expires a hold when Redis expires its timer, without any sweeper', async () => {
    const redis = new Redis(server.url);
    const store = new RedisInventoryStore(redis, { keyPrefix: isolatedPrefix(), expiryTimers: true });
    const expired: HoldRecord[] = [];
    const listener = new HoldExpiryListener(redis, store, {
      configure: true,
      onExpired: (h) => void expired.push(...h),
    });
    try {
      await listener.start();
      await store.load(generalSale('timed', 5));
      await reserve(store, 1, 200);
      await until(async () => expired.length === 1);
      expect(expired[0]).toMatchObject({ reservationId: 'r1', status: 'EXPIRED' });
      expect(await store.counts('timed')).toMatchObject({ available: 5, held: 0 });
    } finally {
      await listener.stop();
      await redis.quit();
    }
  });

  it('returns each hold once when the listener and several sweepers race', async () => {
    const redis = new Redis(server.url);
    const keyPrefix = isolatedPrefix();
    const store = new RedisInventoryStore(redis, { keyPrefix, expiryTimers: true });
    const returned: HoldRecord[] = [];
    const listener = new HoldExpiryListener(redis, store, {
      configure: true,
      onExpired: (h) => void returned.push(...h),
    });
    const sweeperClients = Array.from({ length: 3 }, () => new Redis(server.url));
    try {
      await listener.start();
      await store.load(generalSale('timed', 300, 1));
      await Promise.all(Array.from({ length: 200 }, (_, i) => reserve(store, i, 100 + (i % 50) * 4)));
      const sweepers = sweeperClients.map((c) => new RedisInventoryStore(c, { keyPrefix }));
      let sweeping = true;
      const loops = sweepers.map(async (sweeper) => {
        while (sweeping) {
          returned.push(...(await sweeper.expireDue({ saleId: 'timed', now: Date.now(), limit: 7 })));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      });
      await until(async () => (await store.counts('timed')).held === 0);
      sweeping = false;
      await Promise.all(loops);
      const ids = returned.map((h) => h.reservationId);
      expect(new Set(ids).size).toBe(200);
      expect(ids).toHaveLength(200);
      expect(await store.counts('timed')).toEqual({
        saleId: 'timed',
        initialStock: 300,
        available: 300,
        held: 0,
        confirmed: 0,
      });
    } finally {
      await listener.stop();
      await Promise.all(sweeperClients.map((c) => c.quit()));
      await redis.quit();
    }
  });
});
