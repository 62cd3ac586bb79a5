import { clusterAddressesFromEnv, uniqueName } from '@seatrush/test-support';
import { Cluster } from 'ioredis';
import { RedisRequestGuard } from '../../src';
import { describeRequestGuard } from './describe-request-guard';

// On a 3-master Redis Cluster: the script's keys share the hash tag {guard}, so one slot holds them
describeRequestGuard('RedisRequestGuard on Redis Cluster', async () => {
  const keyPrefix = `${uniqueName('guard')}:`;
  const opened: Cluster[] = [];
  const connect = () => {
    const redis = new Cluster(clusterAddressesFromEnv().redisClusterNodes, { scaleReads: 'master' });
    opened.push(redis);
    return new RedisRequestGuard(redis, { keyPrefix });
  };
  return {
    guard: connect(),
    connect,
    dispose: async () => void (await Promise.all(opened.map((redis) => redis.quit()))),
  };
});
