import { describeDistributedLock } from '@seatrush/conformance';
import { Redlock } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { describeHotPathStores, singleServer } from './deployments';
import { isolatedPrefix } from './helpers';
import { type RedisProcess, startRedis } from './redis-process';

describeHotPathStores(singleServer);

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
