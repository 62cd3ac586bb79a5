import { assignedInventory, seatRow } from '@seatrush/conformance';
import {
  type EventPublisher,
  type InventorySnapshot,
  type ReserveResult,
  type SaleDefinitionInput,
  systemClock,
} from '@seatrush/core';
import { MemoryAlertSink, MemoryEventBus } from '@seatrush/core/memory';
import { Reservations } from '@seatrush/core/services';
import { RedisInventoryStore, RedisWaitingRoomStore, Redlock } from '@seatrush/redis-adapter';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { generalSale, lockNodesOfFile, onConnections, seatedSale } from './helpers';

const lockNodes = lockNodesOfFile(3);

function generalDefinition(id: string, capacity: number): SaleDefinitionInput {
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

function seatedDefinition(id: string, seats: number): SaleDefinitionInput {
  return {
    ...generalDefinition(id, seats),
    inventory: assignedInventory(seatRow('r', seats, { seatPrefix: 's', label: String })),
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
    lock: new Redlock(lockNodes.clients(), { keyPrefix, retryCount: 0 }),
    steps: inventory.steps(),
    waitingRoom: new RedisWaitingRoomStore(redis, { keyPrefix }),
    requireAdmission: false,
    lockAttempts: 100_000,
    // these tests prove no oversell under a queue of thousands, not the answer's time bound: every
    // caller waits for its turn (a bounded answer would be BUSY for the late ones)
    answerWithinMs: 300_000,
  });
}

/**
 * Runs `body` on 8 connections under a fresh prefix: `snapshot` loaded (warm) through `admin`, and a
 * lock-strategy service for `sale` per connection, all publishing to one bus. Closes them after.
 */
async function underLock(
  sale: SaleDefinitionInput,
  snapshot: InventorySnapshot,
  body: (sale: { services: Reservations[]; admin: RedisInventoryStore }) => Promise<void>,
): Promise<void> {
  await onConnections(8, async (clients, keyPrefix) => {
    const admin = new RedisInventoryStore(clients[0]!, { keyPrefix });
    await admin.load(snapshot);
    const bus = new MemoryEventBus();
    await body({ services: clients.map((c) => lockStrategy(c, keyPrefix, sale, bus)), admin });
  });
}

/** Exactly 100 reserves held, every other refused SOLD_OUT, and the sale's 100 units all held. */
async function expectHeldExactly100(results: ReserveResult[], admin: RedisInventoryStore, saleId: string) {
  expect(results.filter((r) => r.ok)).toHaveLength(100);
  expect(results.filter((r) => !r.ok).every((r) => r.code === 'SOLD_OUT')).toBe(true);
  expect(await admin.counts(saleId)).toEqual({
    saleId,
    initialStock: 100,
    available: 0,
    held: 100,
    confirmed: 0,
  });
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
    const sale = generalDefinition('lockrush', 100);
    await underLock(sale, generalSale('lockrush', 100, 1), async ({ services, admin }) => {
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
      expect(lowest).toBeGreaterThanOrEqual(0);
      await expectHeldExactly100(results, admin, 'lockrush');
    });
  });

  it('300 reserves from 16 concurrent callers for 100 units hold exactly 100 and never oversell', async () => {
    const sale = generalDefinition('lockspike', 100);
    await underLock(sale, generalSale('lockspike', 100, 1), async ({ services, admin }) => {
      const results: ReserveResult[] = await pooled(300, 16, (i) =>
        services[i % services.length]!.reserve({
          userId: `u${i}`,
          idempotencyKey: `k${i}`,
          selection: { kind: 'quantity', quantity: 1 },
        }),
      );
      await expectHeldExactly100(results, admin, 'lockspike');
    });
  });

  it('100 seats raced for by 16 concurrent callers under the lock: every seat held once', async () => {
    const sale = seatedDefinition('lockseats', 100);
    await underLock(sale, seatedSale('lockseats', 100, 2), async ({ services, admin }) => {
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
    });
  });
});
