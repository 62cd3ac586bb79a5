import { clusterAddressesFromEnv } from '@seatrush/test-support';
import { Cluster } from 'ioredis';
import { describeRequestGuard } from './describe-request-guard';
import { redisGuardFixture } from './redis-guard-fixture';

// On a 3-master Redis Cluster: the script's keys share the hash tag {guard}, so one slot holds them
describeRequestGuard('RedisRequestGuard on Redis Cluster', async () =>
  redisGuardFixture(() => new Cluster(clusterAddressesFromEnv().redisClusterNodes, { scaleReads: 'master' })),
);
