import { describeInventorySteps, describeStripedInventoryStore } from '@seatrush/conformance';
import { RedisStripedInventoryStore, RedisWaitingRoomStore } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { isolatedPrefix } from './helpers';

/** A striped store (3 stripes) and the waiting room over one key prefix per test. */
async function stripedParts() {
  const redis = new Redis(inject('services').redisUrl);
  const keyPrefix = isolatedPrefix();
  return {
    inventory: new RedisStripedInventoryStore(redis, { keyPrefix, stripes: 3 }),
    waitingRoom: new RedisWaitingRoomStore(redis, { keyPrefix }),
    dispose: async () => void (await redis.quit()),
  };
}

describeStripedInventoryStore('RedisStripedInventoryStore, 3 stripes on one Redis', stripedParts);
// the lock strategy's steps: holds on stripe 0, which borrows from the others
describeInventorySteps('RedisStripedInventorySteps, 3 stripes on one Redis', async () => {
  const parts = await stripedParts();
  return { ...parts, steps: parts.inventory.steps() };
});
