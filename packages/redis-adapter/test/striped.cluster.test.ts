import { describeInventorySteps, describeStripedInventoryStore } from '@seatrush/conformance';
import type { ReserveOutcome, ReserveRequest } from '@seatrush/core';
import {
  connectRedis,
  RedisStripedInventoryStore,
  RedisWaitingRoomStore,
  redisPorts,
  slotOfTag,
} from '@seatrush/redis-adapter';
import { clusterAddressesFromEnv } from '@seatrush/test-support';
import fc from 'fast-check';
import { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { luaSources } from '../src/scripts';
import { generalSale, isolatedPrefix } from './helpers';
import { buyerRequest } from './inventory-data';

const cluster = () => new Cluster(clusterAddressesFromEnv().redisClusterNodes, { scaleReads: 'master' });

describeStripedInventoryStore(
  'RedisStripedInventoryStore, 3 stripes on a 3-master Redis Cluster',
  async () => {
    const redis = cluster();
    const keyPrefix = isolatedPrefix();
    return {
      inventory: new RedisStripedInventoryStore(redis, { keyPrefix, stripes: 3 }),
      waitingRoom: new RedisWaitingRoomStore(redis, { keyPrefix }),
      dispose: async () => void (await redis.quit()),
    };
  },
);

describeInventorySteps('RedisStripedInventorySteps, 3 stripes on a 3-master Redis Cluster', async () => {
  const redis = cluster();
  const keyPrefix = isolatedPrefix();
  const inventory = new RedisStripedInventoryStore(redis, { keyPrefix, stripes: 3 });
  return {
    inventory,
    waitingRoom: new RedisWaitingRoomStore(redis, { keyPrefix }),
    steps: inventory.steps(),
    dispose: async () => void (await redis.quit()),
  };
});

/** One buyer's step of the concurrent model run. */
type Step =
  | { kind: 'reserve'; user: number; quantity: number; retries: number }
  | { kind: 'confirm' | 'release' | 'compensate'; pick: number }
  | { kind: 'expire'; at: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('reserve' as const),
      user: fc.nat(59),
      quantity: fc.integer({ min: 1, max: 3 }),
      retries: fc.integer({ min: 0, max: 2 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constantFrom('confirm' as const, 'release' as const, 'compensate' as const),
      pick: fc.nat(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('expire' as const), at: fc.integer({ min: 0, max: 3 }) }),
  },
);

describe('striped stock on a 3-master Redis Cluster', () => {
  it('puts the 3 stripes of a sale on the 3 masters, and one stripe is the unstriped store', async () => {
    const redis = cluster();
    try {
      const keyPrefix = isolatedPrefix();
      const striped = new RedisStripedInventoryStore(redis, { keyPrefix, stripes: 3 });
      await striped.load(generalSale('spread', 300));
      const stripes = await striped.stripeCounts('spread');
      expect(stripes.map((s) => s.available)).toEqual([100, 100, 100]);
      const masters = new Set(stripes.map((s) => redis.slots[slotOfTag(s.tag)]?.[0]));
      expect(masters.size).toBe(3);
      // the bundle's default: one stripe, the sale's own keys, as RedisInventoryStore has them
      const single = redisPorts(redis, { keyPrefix: isolatedPrefix() }).inventory;
      expect(single).not.toBeInstanceOf(RedisStripedInventoryStore);
      expect(redisPorts(redis, { keyPrefix, stripes: 3 }).inventory).toBeInstanceOf(
        RedisStripedInventoryStore,
      );
    } finally {
      await redis.quit();
    }
  });

  it('runs its scripts through an auto-pipelined Cluster client (connectRedis), striped and not', async () => {
    // ioredis groups an auto-pipeline by the slot of a command's first argument: a script's
    // first argument must be its first key (ioredis issue #2109)
    const redis = connectRedis({ mode: 'cluster', nodes: clusterAddressesFromEnv().redisClusterNodes });
    try {
      const keyPrefix = isolatedPrefix();
      const store = new RedisStripedInventoryStore(redis, { keyPrefix, stripes: 3 });
      const sales = ['pipelined-a', 'pipelined-b', 'pipelined-c'];
      await Promise.all(sales.map((saleId) => store.load(generalSale(saleId, 300, 1))));
      await store.single.load(generalSale('pipelined-single', 300, 1));
      const outcomes = await Promise.all(
        [...sales, 'pipelined-single'].flatMap((saleId) =>
          Array.from({ length: 300 }, (_, i) =>
            store.reserve(buyerRequest(saleId, i, { holdMs: 60_000, now: 1_000 })),
          ),
        ),
      );
      expect(outcomes.filter((o) => o.ok)).toHaveLength(1_200);
      for (const saleId of [...sales, 'pipelined-single']) {
        expect(await store.counts(saleId)).toMatchObject({ available: 0, held: 300 });
      }
    } finally {
      await redis.quit();
    }
  });

  it('model run with 6 clients and 48 concurrent buyers: no oversell, exact per-user limits, retries answered alike, stripes sum to stock - held - sold', async () => {
    const clients = Array.from({ length: 6 }, cluster);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 40, max: 160 }),
          fc.integer({ min: 1, max: 5 }),
          fc.array(fc.array(step, { minLength: 5, maxLength: 25 }), { minLength: 48, maxLength: 48 }),
          async (stock, limit, buyers) => {
            const keyPrefix = isolatedPrefix();
            const stores = clients.map((c) => new RedisStripedInventoryStore(c, { keyPrefix, stripes: 3 }));
            const saleId = 'model';
            await stores[0]!.load(generalSale(saleId, stock, limit));
            const start = 1_000_000;
            const made: Array<{ reservationId: string; userId: string }> = [];
            const answers = new Map<string, Set<string>>();
            await Promise.all(
              buyers.map(async (steps, b) => {
                const store = stores[b % stores.length]!;
                for (const [n, s] of steps.entries()) {
                  const now = start + n * 100;
                  if (s.kind === 'reserve') {
                    const request: ReserveRequest = {
                      saleId,
                      userId: `u${s.user}`,
                      reservationId: `r${b}x${n}`,
                      idempotencyKey: `k${b}x${n}`,
                      selection: { kind: 'quantity', quantity: s.quantity },
                      holdMs: 1_500,
                      requireAdmission: false,
                      now,
                    };
                    // the first call and its retries at once, each retry with a fresh reservation id
                    // (a client that never heard back), as core's retries are
                    const outcomes: ReserveOutcome[] = await Promise.all(
                      Array.from({ length: 1 + s.retries }, (_, t) =>
                        stores[(b + t) % stores.length]!.reserve({
                          ...request,
                          reservationId: t === 0 ? request.reservationId : `${request.reservationId}t${t}`,
                        }),
                      ),
                    );
                    const ids = new Set(outcomes.flatMap((o) => (o.ok ? [o.hold.reservationId] : [])));
                    answers.set(request.idempotencyKey, ids);
                    const fresh = outcomes.find((o) => o.ok && !o.replayed);
                    if (fresh?.ok)
                      made.push({ reservationId: fresh.hold.reservationId, userId: request.userId });
                    for (const o of outcomes)
                      if (!o.ok) expect(['SOLD_OUT', 'LIMIT_EXCEEDED']).toContain(o.code);
                  } else if (s.kind === 'expire') {
                    await store.expireDue({ saleId, now: now + s.at * 1_000, limit: 20 });
                  } else {
                    const mine = made.filter((m) => Number(m.reservationId.slice(1).split('x')[0]) === b);
                    const hold = mine[s.pick % Math.max(1, mine.length)];
                    if (!hold) continue;
                    const ref = { saleId, reservationId: hold.reservationId, userId: hold.userId, now };
                    if (s.kind === 'compensate') await store.compensate(ref);
                    else await store[s.kind](ref);
                  }
                }
              }),
            );
            // idempotency: every answer to one key named the same hold
            for (const [key, ids] of answers) expect(ids.size, `answers to ${key}`).toBeLessThanOrEqual(1);
            // the truth of every hold made, from the store
            const holds = await Promise.all(made.map((m) => stores[1]!.getHold(saleId, m.reservationId)));
            let held = 0;
            let sold = 0;
            const perUser = new Map<string, number>();
            for (const hold of holds) {
              expect(hold).not.toBeNull();
              if (!hold) continue;
              if (hold.status === 'HELD') held += hold.quantity;
              if (hold.status === 'CONFIRMED') sold += hold.quantity;
              if (hold.status === 'HELD' || hold.status === 'CONFIRMED') {
                perUser.set(hold.userId, (perUser.get(hold.userId) ?? 0) + hold.quantity);
              }
            }
            expect(held + sold, 'no oversell').toBeLessThanOrEqual(stock);
            for (const [user, units] of perUser) expect(units, `units of ${user}`).toBeLessThanOrEqual(limit);
            expect(await stores[2]!.counts(saleId)).toEqual({
              saleId,
              initialStock: stock,
              available: stock - held - sold,
              held,
              confirmed: sold,
            });
            const stripes = await stores[3]!.stripeCounts(saleId);
            expect(stripes.reduce((n, s) => n + s.available, 0)).toBe(stock - held - sold);
            expect(stripes.reduce((n, s) => n + s.held, 0)).toBe(held);
            expect(stripes.reduce((n, s) => n + s.confirmed, 0)).toBe(sold);
            expect(stripes.every((s) => s.available >= 0 && s.inFlight === 0)).toBe(true);
          },
        ),
        { numRuns: 8 },
      );
    } finally {
      await Promise.all(clients.map((c) => c.quit()));
    }
  }, 180_000);

  it('a transfer cut short after its take is finished by counts (once), and a repair under load keeps holds made meanwhile', async () => {
    const redis = cluster();
    try {
      const keyPrefix = isolatedPrefix();
      const store = new RedisStripedInventoryStore(redis, { keyPrefix, stripes: 3 });
      await store.load(generalSale('cut', 90, 100));
      const [, giver] = await store.stripeCounts('cut');
      // a borrower that dies after stripe-take: 20 units off stripe 1, in flight to stripe 2
      const take = luaSources().get('stripe-take')!;
      expect(await redis.eval(take, 1, `${keyPrefix}sr:{${giver!.tag}}:meta`, 'crashed', 2, 20, 1)).toBe(20);
      expect((await store.stripeCounts('cut')).map((s) => [s.available, s.inFlight])).toEqual([
        [30, 0],
        [10, 20],
        [30, 0],
      ]);
      expect(await store.counts('cut')).toMatchObject({ available: 90, held: 0 });
      // settled by that count: credited to stripe 2 once, the record gone
      expect((await store.stripeCounts('cut')).map((s) => [s.available, s.inFlight])).toEqual([
        [30, 0],
        [10, 0],
        [50, 0],
      ]);
      expect(await store.counts('cut')).toMatchObject({ available: 90 });

      // a repair while 60 reserves run: confirmed becomes the truth, every hold made is kept
      const reserves = Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          store.reserve(buyerRequest('cut', i, { holdMs: 60_000, now: 1_000 })),
        ),
      );
      const repaired = await store.repair({
        saleId: 'cut',
        confirmedUnits: 10,
        confirmedSeatIds: [],
        pendingUnits: 0,
        pendingSeatIds: [],
      });
      const outcomes = await reserves;
      const held = outcomes.filter((o) => o.ok).length;
      expect(repaired.after.confirmed).toBe(10);
      expect(await store.counts('cut')).toEqual({
        saleId: 'cut',
        initialStock: 90,
        available: 80 - held,
        held,
        confirmed: 10,
      });
      expect(held).toBe(60);
    } finally {
      await redis.quit();
    }
  });
});
