import { describeQueueingStore } from '@seatrush/conformance';
import { RedisWaitingRoomStore } from '@seatrush/redis-adapter';
import { clusterAddressesFromEnv } from '@seatrush/test-support';
import { Cluster } from 'ioredis';
import { isolatedPrefix } from './helpers';

/** The queueing scripts on a 3-master Redis Cluster: every key they touch carries the sale's hash tag. */
describeQueueingStore('RedisWaitingRoomStore on Redis Cluster', async () => {
  const redis = new Cluster(clusterAddressesFromEnv().redisClusterNodes, { scaleReads: 'master' });
  return {
    waitingRoom: new RedisWaitingRoomStore(redis, { keyPrefix: isolatedPrefix() }),
    dispose: async () => void (await redis.quit()),
  };
});
