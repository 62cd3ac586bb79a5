import { describeGroupReservation, describeWaitingListStore } from '@seatrush/conformance';
import { RedisInventoryStore, RedisWaitingRoomStore } from '@seatrush/redis-adapter';
import { clusterAddressesFromEnv } from '@seatrush/test-support';
import { Cluster } from 'ioredis';
import { isolatedPrefix } from './helpers';

// Group allocation and the waiting list on a 3-master Redis Cluster: their scripts build hold and
// entry keys from the sale's key base, so every key they touch shares the sale's slot.

async function clusterParts() {
  const redis = new Cluster(clusterAddressesFromEnv().redisClusterNodes, { scaleReads: 'master' });
  const keyPrefix = isolatedPrefix();
  const inventory = new RedisInventoryStore(redis, { keyPrefix });
  return {
    inventory,
    waitingRoom: new RedisWaitingRoomStore(redis, { keyPrefix }),
    waitingList: inventory.waitingList(),
    dispose: async () => void (await redis.quit()),
  };
}

describeGroupReservation('RedisInventoryStore on Redis Cluster', clusterParts);
describeWaitingListStore('RedisInventoryStore.waitingList() on Redis Cluster', clusterParts);
