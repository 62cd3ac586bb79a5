import { uniqueName } from '@seatrush/test-support';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { RedisRequestGuard } from '../../src';
import { describeRequestGuard } from './describe-request-guard';

// each instance is another connection (another API server) over the same Redis
describeRequestGuard('RedisRequestGuard on Redis', async () => {
  const keyPrefix = `${uniqueName('guard')}:`;
  const opened: Redis[] = [];
  const connect = () => {
    const redis = new Redis(inject('services').redisUrl);
    opened.push(redis);
    return new RedisRequestGuard(redis, { keyPrefix });
  };
  return {
    guard: connect(),
    connect,
    dispose: async () => void (await Promise.all(opened.map((redis) => redis.quit()))),
  };
});
