import {
  type EventPublisher,
  type ReserveResult,
  type SaleDefinitionInput,
  systemClock,
} from '@seatrush/core';
import { MemoryAlertSink, MemoryEventBus } from '@seatrush/core/memory';
import { Reservations } from '@seatrush/core/services';
import { RedisInventoryStore, RedisWaitingRoomStore, Redlock } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connections, isolatedPrefix } from './helpers';
import { type RedisProcess, startRedis } from './redis-process';

let lockNodes: RedisProcess[] = [];
let lockClients: Redis[] = [];
beforeAll(async () => {
  lockNodes = await Promise.all(Array.from({ length: 3 }, () => startRedis()));
  lockClients = lockNodes.map((n) => new Redis(n.url));
});
afterAll(async () => {
  await Promise.all(lockClients.map((c) => c.quit()));
  await Promise.all(lockNodes.map((n) => n.destroy()));
});

function generalSale(id: string, capacity: number): SaleDefinitionInput {
  return {
    id,
    name: id,
    inventory: { kind: 'general', capacity, tier: 'std' },
    tiers: [{ id: 'std', name: 'Standard', priceCents: 5_000 }],
    opensAt: 0,
    admission: { usersPerInterval: 10, maxActive: 10 },
    limits: { ticketsPerUser: 1 },
  };
}

function seatedSale(id: string, seats: number): SaleDefinitionInput {
  return {
    ...generalSale(id, seats),
    inventory: {
      kind: 'assigned',
      sections: [
        {
          id: 'main',
          name: 'Main',
          rows: [
            {
              id: 'r',
              seats: Array.from({ length: seats }, (_, i) => ({
                id: `s${i + 1}`,
                label: `${i + 1}`,
                tier: 'std',
              })),
            },
          ],
        },
      ],
    },
    limits: { ticketsPerUser: 2 },
  };
}

/** The lock strategy over Redis: Redlock on 3 independent nodes, then the fenced steps. */
function lockStrategy(redis: Redis, keyPrefix: string, sale: SaleDefinitionInput, publisher: EventPublisher) {
  const inventory = new RedisInventoryStore(redis, { keyPrefix });
  return new Reservations({
    sale,
    inventory,
    publisher,
    clock: systemClock,
    alerts: new MemoryAlertSink(),
    strategy: 'lock',
    lock: new Redlock(lockClients, { keyPrefix, retryCount: 0 }),
    steps: inventory.steps(),
    waitingRoom: new RedisWaitingRoomStore(redis, { keyPrefix }),
    requireAdmission: false,
    lockAttempts: 100_000,
    // these tests prove no oversell under a queue of thousands, not the answer's time bound: every
    // caller waits for its turn (a bounded answer would be BUSY for the late ones)
    answerWithinMs: 300_000,
  });
}

const url = () => inject('services').redisUrl;

/** A store with a general-admission sale of `units` loaded (warm), one ticket per user. */
async function loadedStore(redis: Redis, keyPrefix: string, saleId: string, units: number) {
  const store = new RedisInventoryStore(redis, { keyPrefix });
  await store.load({
    saleId,
    initialStock: units,
    available: units,
    seatIds: [],
    confirmedSeatIds: [],
    ticketsPerUser: 1,
    confirmedPerUser: {},
  });
  return store;
}

/**
 * Runs `count` calls through `callers` concurrent callers. Under a lock every request waits its
 * turn (a few ms each: lock on 3 nodes, 5 steps, unlock), so thousands of callers spinning on one
 * lock take minutes; the atomic strategy's test runs 5,000 at once, this one a pool of callers.
 */
async function pooled<T>(count: number, callers: number, call: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await call(i);
      }
    }),
  );
  return results;
}

describe('the lock strategy (Redlock + fenced steps) under contention', () => {
  it('5,000 concurrent reserves from several connections for 100 units hold exactly 100, stock never below 0', async () => {
    const keyPrefix = isolatedPrefix();
    const { clients, closeAll } = connections(url(), 8);
    try {
      const sale = generalSale('lockrush', 100);
      const admin = await loadedStore(clients[0]!, keyPrefix, 'lockrush', 100);
      const bus = new MemoryEventBus();
      const services = clients.map((c) => lockStrategy(c, keyPrefix, sale, bus));
      let lowest = 100;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          lowest = Math.min(lowest, (await admin.counts('lockrush')).available);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      const results = await Promise.all(
        Array.from({ length: 5_000 }, (_, i) =>
          services[i % services.length]!.reserve({
            userId: `u${i}`,
            idempotencyKey: `k${i}`,
            selection: { kind: 'quantity', quantity: 1 },
          }),
        ),
      );
      sampling = false;
      await sampler;
      expect(results.filter((r) => r.ok)).toHaveLength(100);
      expect(results.filter((r) => !r.ok).every((r) => r.code === 'SOLD_OUT')).toBe(true);
      expect(lowest).toBeGreaterThanOrEqual(0);
      expect(await admin.counts('lockrush')).toEqual({
        saleId: 'lockrush',
        initialStock: 100,
        available: 0,
        held: 100,
        confirmed: 0,
      });
    } finally {
      await closeAll();
    }
  });

  it('300 reserves from 16 concurrent callers for 100 units hold exactly 100 and never oversell', async () => {
    const keyPrefix = isolatedPrefix();
    const { clients, closeAll } = connections(url(), 8);
    try {
      const sale = generalSale('lockspike', 100);
      const admin = await loadedStore(clients[0]!, keyPrefix, 'lockspike', 100);
      const bus = new MemoryEventBus();
      const services = clients.map((c) => lockStrategy(c, keyPrefix, sale, bus));
      const results: ReserveResult[] = await pooled(300, 16, (i) =>
        services[i % services.length]!.reserve({
          userId: `u${i}`,
          idempotencyKey: `k${i}`,
          selection: { kind: 'quantity', quantity: 1 },
        }),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(100);
      expect(results.filter((r) => !r.ok).every((r) => r.code === 'SOLD_OUT')).toBe(true);
      expect(await admin.counts('lockspike')).toEqual({
        saleId: 'lockspike',
        initialStock: 100,
        available: 0,
        held: 100,
        confirmed: 0,
      });
    } finally {
      await closeAll();
    }
  });

  it('100 seats raced for by 16 concurrent callers under the lock: every seat held once', async () => {
    const keyPrefix = isolatedPrefix();
    const { clients, closeAll } = connections(url(), 8);
    try {
      const sale = seatedSale('lockseats', 100);
      const admin = new RedisInventoryStore(clients[0]!, { keyPrefix });
      const seatIds = Array.from({ length: 100 }, (_, i) => `s${i + 1}`);
      await admin.load({
        saleId: 'lockseats',
        initialStock: 100,
        available: 100,
        seatIds,
        confirmedSeatIds: [],
        ticketsPerUser: 2,
        confirmedPerUser: {},
      });
      const bus = new MemoryEventBus();
      const services = clients.map((c) => lockStrategy(c, keyPrefix, sale, bus));
      const results = await pooled(200, 16, (i) => {
        const a = (i * 7) % 100;
        const wanted =
          Math.floor(i / 100) % 2 === 0 ? [`s${a + 1}`, `s${((a + 1) % 100) + 1}`] : [`s${a + 1}`];
        return services[i % services.length]!.reserve({
          userId: `u${i}`,
          idempotencyKey: `k${i}`,
          selection: { kind: 'seats', seatIds: wanted },
        });
      });
      const held = results.flatMap((r) => (r.ok ? r.hold.seatIds : []));
      expect(new Set(held).size).toBe(held.length);
      expect(held.length).toBe(100);
      expect(Object.values(await admin.seatStates('lockseats')).every((s) => s === 'HELD')).toBe(true);
      expect(await admin.counts('lockseats')).toMatchObject({ available: 0, held: 100 });
    } finally {
      await closeAll();
    }
  });
});
