import { describeQueueingRoom, describeQueueingStore } from '@seatrush/conformance';
import { RedisWaitingRoomStore } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { isolatedPrefix } from './helpers';

function fresh() {
  const redis = new Redis(inject('services').redisUrl);
  return {
    store: new RedisWaitingRoomStore(redis, { keyPrefix: isolatedPrefix() }),
    dispose: async () => void (await redis.quit()),
  };
}

describeQueueingStore('RedisWaitingRoomStore', async () => {
  const { store, dispose } = fresh();
  return { waitingRoom: store, dispose };
});
describeQueueingRoom('RedisWaitingRoomStore', async () => fresh());
