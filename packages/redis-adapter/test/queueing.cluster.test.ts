import { describeQueueingRoom, describeQueueingStore } from '@seatrush/conformance';
import { RedisWaitingRoomStore } from '@seatrush/redis-adapter';
import { clusterAddressesFromEnv } from '@seatrush/test-support';
import { Cluster } from 'ioredis';
import { isolatedPrefix } from './helpers';

function fresh() {
  const redis = new Cluster(clusterAddressesFromEnv().redisClusterNodes, { scaleReads: 'master' });
  return {
    store: new RedisWaitingRoomStore(redis, { keyPrefix: isolatedPrefix() }),
    dispose: async () => void (await redis.quit()),
  };
}

/** The queueing scripts on a 3-master Redis Cluster: every key they touch carries the sale's hash tag. */
describeQueueingStore('RedisWaitingRoomStore on Redis Cluster', async () => {
  const { store, dispose } = fresh();
  return { waitingRoom: store, dispose };
});
/** The service over the cluster: several instances sharing one store, as API servers share Redis. */
describeQueueingRoom('RedisWaitingRoomStore on Redis Cluster', async () => fresh());
