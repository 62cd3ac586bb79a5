import {
  describeLeaseStore,
  describeRecentActivityStore,
  describeSaleControlStore,
  describeSingleUseStore,
} from '@seatrush/conformance';
import {
  RedisLeaseStore,
  RedisRecentActivityStore,
  RedisSaleControlStore,
  RedisSingleUseStore,
} from '@seatrush/redis-adapter';
import { clusterAddressesFromEnv } from '@seatrush/test-support';
import { Cluster } from 'ioredis';
import { isolatedPrefix } from './helpers';

/** A cluster client (more on demand, one per contender) under one key prefix; `dispose` quits them all. */
function fresh() {
  const keyPrefix = isolatedPrefix();
  const opened: Cluster[] = [];
  const connect = () => {
    const redis = new Cluster(clusterAddressesFromEnv().redisClusterNodes, { scaleReads: 'master' });
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

// On a 3-master Redis Cluster: a script's keys share one hash tag (the sale's, the lease name's).
describeSaleControlStore('RedisSaleControlStore on Redis Cluster', async () => {
  const { redis, keyPrefix, dispose } = fresh();
  return { store: new RedisSaleControlStore(redis, { keyPrefix }), dispose };
});
describeLeaseStore('RedisLeaseStore on Redis Cluster', async () => {
  const { redis, keyPrefix, connect, dispose } = fresh();
  return {
    leases: new RedisLeaseStore(redis, { keyPrefix }),
    contender: () => new RedisLeaseStore(connect(), { keyPrefix }),
    dispose,
  };
});
describeSingleUseStore('RedisSingleUseStore on Redis Cluster', async () => {
  const { redis, keyPrefix, dispose } = fresh();
  return { store: new RedisSingleUseStore(redis, { keyPrefix }), dispose };
});
describeRecentActivityStore('RedisRecentActivityStore on Redis Cluster', async () => {
  const { redis, keyPrefix, dispose } = fresh();
  return { activity: new RedisRecentActivityStore(redis, { keyPrefix }), dispose };
});
