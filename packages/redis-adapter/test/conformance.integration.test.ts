import {
  describeBlocklist,
  describeDistributedLock,
  describeIdempotencyStore,
  describeInventorySteps,
  describeInventoryStore,
  describeRateLimiter,
  describeWaitingRoomStore,
} from '@seatrush/conformance';
import {
  RedisBlocklist,
  RedisIdempotencyStore,
  RedisInventoryStore,
  RedisRateLimiter,
  RedisWaitingRoomStore,
  Redlock,
} from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, inject } from 'vitest';
import { isolatedPrefix } from './helpers';
import { type RedisProcess, startRedis } from './redis-process';

const url = () => inject('services').redisUrl;

/** A connection and a key prefix of its own per test; `dispose` closes the connection. */
function fresh() {
  const redis = new Redis(url());
  return { redis, keyPrefix: isolatedPrefix(), dispose: async () => void (await redis.quit()) };
}

/** The inventory store and the waiting room share the prefix: reserve reads the admitted set. */
async function inventoryParts() {
  const { redis, keyPrefix, dispose } = fresh();
  const inventory = new RedisInventoryStore(redis, { keyPrefix });
  return { inventory, waitingRoom: new RedisWaitingRoomStore(redis, { keyPrefix }), dispose };
}

describeInventoryStore('RedisInventoryStore', inventoryParts);
describeInventorySteps('RedisInventorySteps', async () => {
  const parts = await inventoryParts();
  return { ...parts, steps: parts.inventory.steps() };
});
describeWaitingRoomStore('RedisWaitingRoomStore', async () => {
  const { redis, keyPrefix, dispose } = fresh();
  return { waitingRoom: new RedisWaitingRoomStore(redis, { keyPrefix }), dispose };
});
describeIdempotencyStore('RedisIdempotencyStore', async () => {
  const { redis, keyPrefix, dispose } = fresh();
  return { store: new RedisIdempotencyStore(redis, { keyPrefix }), dispose };
});
describeRateLimiter('RedisRateLimiter', async () => {
  const { redis, keyPrefix, dispose } = fresh();
  return { limiter: new RedisRateLimiter(redis, { keyPrefix }), dispose };
});
describeBlocklist('RedisBlocklist', async () => {
  const { redis, keyPrefix, dispose } = fresh();
  return { blocklist: new RedisBlocklist(redis, { keyPrefix }), dispose };
});

// Redlock over three independent Redis servers this file starts itself.
let lockNodes: RedisProcess[] = [];
let lockClients: Redis[] = [];
beforeAll(async () => {
  lockNodes = await Promise.all(Array.from({ length: 3 }, () => startRedis()));
  lockClients = lockNodes.map((node) => new Redis(node.url));
});
afterAll(async () => {
  await Promise.all(lockClients.map((client) => client.quit()));
  await Promise.all(lockNodes.map((node) => node.destroy()));
});
describeDistributedLock('Redlock (3 nodes)', async () => ({
  lock: new Redlock(lockClients, { keyPrefix: isolatedPrefix(), retryCount: 2, retryDelayMs: 10 }),
}));
