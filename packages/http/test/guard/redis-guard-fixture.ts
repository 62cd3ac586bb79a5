import { uniqueName } from '@seatrush/test-support';
import type { Cluster, Redis } from 'ioredis';
import { RedisRequestGuard } from '../../src';
import type { GuardFixture } from './describe-request-guard';

/**
 * A RedisRequestGuard fixture over whatever `open` connects to (one node or a Cluster): each
 * instance is another connection under one fresh key prefix, as another API server would be.
 */
export function redisGuardFixture(open: () => Redis | Cluster): GuardFixture {
  const keyPrefix = `${uniqueName('guard')}:`;
  const opened: Array<Redis | Cluster> = [];
  const connect = () => {
    const redis = open();
    opened.push(redis);
    return new RedisRequestGuard(redis, { keyPrefix });
  };
  return {
    guard: connect(),
    connect,
    dispose: async () => void (await Promise.all(opened.map((redis) => redis.quit()))),
  };
}
