import {
  type Disposable,
  describeBlocklist,
  describeGroupReservation,
  describeIdempotencyStore,
  describeInventorySteps,
  describeInventoryStore,
  describeLeaseStore,
  describeQueueingRoom,
  describeQueueingStore,
  describeRateLimiter,
  describeRecentActivityStore,
  describeSaleControlStore,
  describeSingleUseStore,
  describeWaitingListStore,
  describeWaitingRoomStore,
} from '@seatrush/conformance';
import {
  RedisBlocklist,
  type RedisClient,
  RedisIdempotencyStore,
  RedisInventoryStore,
  RedisLeaseStore,
  RedisRateLimiter,
  RedisRecentActivityStore,
  RedisSaleControlStore,
  RedisSingleUseStore,
  RedisWaitingRoomStore,
} from '@seatrush/redis-adapter';
import { clusterAddressesFromEnv } from '@seatrush/test-support';
import { Cluster, Redis } from 'ioredis';
import { inject } from 'vitest';
import { isolatedPrefix } from './helpers';

/**
 * Where the conformance suites run: the single Redis server, or the 3-master Redis Cluster, where
 * every script's keys must share one hash tag (the sale's, the lease name's).
 */
export interface Deployment<C extends RedisClient = RedisClient> {
  /** Follows every suite's title: nothing on the single server. */
  suffix: string;
  connect(): C;
}

export const singleServer: Deployment<Redis> = {
  suffix: '',
  connect: () => new Redis(inject('services').redisUrl),
};

export const redisCluster: Deployment<Cluster> = {
  suffix: ' on Redis Cluster',
  connect: () => new Cluster(clusterAddressesFromEnv().redisClusterNodes, { scaleReads: 'master' }),
};

/**
 * A client of `deployment` and a key prefix of its own for one test; `connect` opens another client
 * (one per contender, as separate instances have), `dispose` quits every client opened.
 */
export function fresh<C extends RedisClient>(deployment: Deployment<C>) {
  const keyPrefix = isolatedPrefix();
  const opened: C[] = [];
  const connect = () => {
    const redis = deployment.connect();
    opened.push(redis);
    return redis;
  };
  return {
    redis: connect(),
    keyPrefix,
    connect,
    dispose: async () => void (await Promise.all(opened.map((redis) => redis.quit()))),
  };
}

/** The inventory store and the waiting room on one client and prefix: reserve reads the admitted set. */
export async function inventoryParts(deployment: Deployment) {
  const { redis, keyPrefix, dispose } = fresh(deployment);
  const inventory = new RedisInventoryStore(redis, { keyPrefix });
  return { inventory, waitingRoom: new RedisWaitingRoomStore(redis, { keyPrefix }), dispose };
}

/** A store adapter built as every single-purpose Redis store is: on a client, under a key prefix. */
type StoreClass<T> = new (redis: RedisClient, options: { keyPrefix: string }) => T;

/**
 * A factory of one `Store` on a fresh client and prefix of `deployment`, handed to its suite as
 * `key` (the name the suite's subject gives it).
 */
export function storeOn<K extends string, T>(deployment: Deployment, key: K, Store: StoreClass<T>) {
  return async () => {
    const { redis, keyPrefix, dispose } = fresh(deployment);
    return { [key]: new Store(redis, { keyPrefix }), dispose } as Record<K, T> & Required<Disposable>;
  };
}

/** The hot path's stores: inventory, its lock steps, the waiting room, idempotency, limits, blocklist. */
export function describeHotPathStores(deployment: Deployment): void {
  const { suffix } = deployment;
  describeInventoryStore(`RedisInventoryStore${suffix}`, () => inventoryParts(deployment));
  describeInventorySteps(`RedisInventorySteps${suffix}`, async () => {
    const parts = await inventoryParts(deployment);
    return { ...parts, steps: parts.inventory.steps() };
  });
  describeWaitingRoomStore(
    `RedisWaitingRoomStore${suffix}`,
    storeOn(deployment, 'waitingRoom', RedisWaitingRoomStore),
  );
  describeIdempotencyStore(
    `RedisIdempotencyStore${suffix}`,
    storeOn(deployment, 'store', RedisIdempotencyStore),
  );
  describeRateLimiter(`RedisRateLimiter${suffix}`, storeOn(deployment, 'limiter', RedisRateLimiter));
  describeBlocklist(`RedisBlocklist${suffix}`, storeOn(deployment, 'blocklist', RedisBlocklist));
}

/** The stores several instances share: sale control, leases, single-use tokens, recent activity. */
export function describeInstanceStores(deployment: Deployment): void {
  const { suffix } = deployment;
  describeSaleControlStore(
    `RedisSaleControlStore${suffix}`,
    storeOn(deployment, 'store', RedisSaleControlStore),
  );
  // every contender on its own client, as separate instances are
  describeLeaseStore(`RedisLeaseStore${suffix}`, async () => {
    const { redis, keyPrefix, connect, dispose } = fresh(deployment);
    return {
      leases: new RedisLeaseStore(redis, { keyPrefix }),
      contender: () => new RedisLeaseStore(connect(), { keyPrefix }),
      dispose,
    };
  });
  describeSingleUseStore(`RedisSingleUseStore${suffix}`, storeOn(deployment, 'store', RedisSingleUseStore));
  describeRecentActivityStore(
    `RedisRecentActivityStore${suffix}`,
    storeOn(deployment, 'activity', RedisRecentActivityStore),
  );
}

/**
 * The queueing store, and the service over it: several instances sharing one store, as API servers
 * share Redis.
 */
export function describeQueueing(deployment: Deployment): void {
  const { suffix } = deployment;
  describeQueueingStore(
    `RedisWaitingRoomStore${suffix}`,
    storeOn(deployment, 'waitingRoom', RedisWaitingRoomStore),
  );
  describeQueueingRoom(`RedisWaitingRoomStore${suffix}`, storeOn(deployment, 'store', RedisWaitingRoomStore));
}

/** Group allocation and the waiting list, over the inventory store and the waiting room. */
export function describeGroupAndWaitingList(deployment: Deployment): void {
  const parts = async () => {
    const { inventory, waitingRoom, dispose } = await inventoryParts(deployment);
    return { inventory, waitingRoom, waitingList: inventory.waitingList(), dispose };
  };
  describeGroupReservation(`RedisInventoryStore${deployment.suffix}`, parts);
  describeWaitingListStore(`RedisInventoryStore.waitingList()${deployment.suffix}`, parts);
}
