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
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { isolatedPrefix } from './helpers';

const url = () => inject('services').redisUrl;

/** A connection and a key prefix of its own per test; `dispose` closes every connection opened. */
function fresh() {
  const keyPrefix = isolatedPrefix();
  const opened: Redis[] = [];
  const connect = () => {
    const redis = new Redis(url());
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

describeSaleControlStore('RedisSaleControlStore', async () => {
  const { redis, keyPrefix, dispose } = fresh();
  return { store: new RedisSaleControlStore(redis, { keyPrefix }), dispose };
});
// every contender on its own connection, as separate instances are
describeLeaseStore('RedisLeaseStore', async () => {
  const { redis, keyPrefix, connect, dispose } = fresh();
  return {
    leases: new RedisLeaseStore(redis, { keyPrefix }),
    contender: () => new RedisLeaseStore(connect(), { keyPrefix }),
    dispose,
  };
});
describeSingleUseStore('RedisSingleUseStore', async () => {
  const { redis, keyPrefix, dispose } = fresh();
  return { store: new RedisSingleUseStore(redis, { keyPrefix }), dispose };
});
describeRecentActivityStore('RedisRecentActivityStore', async () => {
  const { redis, keyPrefix, dispose } = fresh();
  return { activity: new RedisRecentActivityStore(redis, { keyPrefix }), dispose };
});
