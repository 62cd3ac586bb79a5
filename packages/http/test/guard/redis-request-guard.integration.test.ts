import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { describeRequestGuard } from './describe-request-guard';
import { redisGuardFixture } from './redis-guard-fixture';

// each instance is another connection (another API server) over the same Redis
describeRequestGuard('RedisRequestGuard on Redis', async () =>
  redisGuardFixture(() => new Redis(inject('services').redisUrl)),
);
