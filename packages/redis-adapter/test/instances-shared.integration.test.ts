import { createSecretKey, randomBytes } from 'node:crypto';
import { BotGuard, InfrastructureError, solveProofOfWork } from '@seatrush/core';
import { MemoryBlocklist, MemoryRateLimiter } from '@seatrush/core/memory';
import {
  LeasedLoop,
  ProofOfWorkChallenges,
  SaleControlCache,
  SharedSaleLifecycle,
} from '@seatrush/core/services';
import {
  RedisLeaseStore,
  RedisRecentActivityStore,
  RedisSaleControlStore,
  RedisSingleUseStore,
} from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { isolatedPrefix } from './helpers';
import { type RedisProcess, startRedis } from './redis-process';

const NOW = 1_700_000_000_000;
const BROWSER =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Safari/605.1.15';

const opened: Redis[] = [];
/** One connection per instance, as separate processes have. */
const connect = (url = inject('services').redisUrl) => {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => {}); // a lost server is what one test is about; commands report it
  opened.push(redis);
  return redis;
};
afterEach(async () => {
  await Promise.all(opened.splice(0).map((redis) => redis.quit().catch(() => redis.disconnect())));
});

describe('proof-of-work challenges across instances on Redis', () => {
  it('answers at instance B a challenge instance A issued, exactly once among 3 instances racing', async () => {
    const keyPrefix = isolatedPrefix();
    const secret = createSecretKey(randomBytes(32));
    const instances = Array.from(
      { length: 3 },
      () =>
        new ProofOfWorkChallenges({
          difficulty: 6,
          secret,
          singleUse: new RedisSingleUseStore(connect(), { keyPrefix }),
        }),
    );
    const challenge = await instances[0]!.issue({ subject: 'user_x', now: NOW });
    const answer = solveProofOfWork(challenge.prompt);
    const verdicts = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        instances[1 + (i % 2)]!.verify({
          subject: 'user_x',
          challengeId: challenge.id,
          answer,
          now: NOW + 1,
        }),
      ),
    );
    expect(verdicts.filter(Boolean)).toHaveLength(1);
    expect(
      await instances[0]!.verify({ subject: 'user_x', challengeId: challenge.id, answer, now: NOW + 2 }),
    ).toBe(false);
  });
});

describe('the bot guard across instances on Redis', () => {
  it('counts a user bursting over two instances as one, and lets a challenge solved at one pass at the other', async () => {
    const keyPrefix = isolatedPrefix();
    const secret = createSecretKey(randomBytes(32));
    const blocklist = new MemoryBlocklist();
    const guards = Array.from(
      { length: 2 },
      () =>
        new BotGuard(
          {
            blocklist,
            rateLimiter: new MemoryRateLimiter(),
            challenges: new ProofOfWorkChallenges({
              difficulty: 4,
              secret,
              singleUse: new RedisSingleUseStore(connect(), { keyPrefix }),
            }),
            activity: new RedisRecentActivityStore(connect(), { keyPrefix }),
          },
          {
            burst: { perUser: { maxRequests: 4, windowMs: 1_000 } },
            rateLimits: { perUser: null, perIp: null },
          },
        ),
    );
    const request = (i: number, userId = 'mallory') => ({
      userId,
      ip: `10.0.0.${i}`,
      userAgent: BROWSER,
      headersFingerprint: `fp${i}`,
      now: NOW + i,
    });
    // four requests, two at each instance: each instance alone saw two, below the limit
    for (let i = 0; i < 4; i += 1) expect((await guards[i % 2]!.inspect(request(i))).verdict).toBe('allow');
    expect(await guards[0]!.inspect(request(4))).toMatchObject({ verdict: 'block', reason: 'TOO_FAST' });
    expect(guards[0]!.tracked()).toBeUndefined();

    const challenged = await guards[0]!.inspect({ ...request(10, 'alice'), userAgent: 'curl/8.0' });
    if (challenged.verdict !== 'challenge')
      throw new Error(`expected a challenge, got ${challenged.verdict}`);
    const answer = solveProofOfWork(challenged.challenge.prompt);
    expect(
      await guards[1]!.answerChallenge({
        userId: 'alice',
        challengeId: challenged.challenge.id,
        answer,
        now: NOW + 11,
      }),
    ).toBe(true);
    expect(await guards[0]!.inspect({ ...request(12, 'alice'), userAgent: 'curl/8.0' })).toEqual({
      verdict: 'allow',
    });
  });
});

describe('a lost shared store', () => {
  let server: RedisProcess | undefined;
  afterEach(async () => {
    await server?.destroy();
    server = undefined;
  });

  it('surfaces every store failure as InfrastructureError: no local copy answers, no loop keeps running', async () => {
    server = await startRedis();
    const redis = connect(server.url);
    const keyPrefix = isolatedPrefix();
    const saleControl = new RedisSaleControlStore(redis, { keyPrefix });
    const leases = new RedisLeaseStore(redis, { keyPrefix });
    await saleControl.initialize({
      saleId: 's1',
      state: 'OPEN',
      admission: { usersPerInterval: 10, intervalMs: 200, maxActive: 100 },
      now: NOW,
    });
    const cache = new SaleControlCache({ store: saleControl });
    expect((await cache.get('s1')).state).toBe('OPEN');
    const runs: number[] = [];
    const errors: unknown[] = [];
    const loop = new LeasedLoop({
      leases,
      name: 'sale:{s1}:admission',
      leaseMs: 300,
      intervalMs: 20,
      task: async () => void runs.push(Date.now()),
      onError: (error) => errors.push(error),
    });
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(loop.isOwner).toBe(true);

    await server.kill();
    const killedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(loop.isOwner).toBe(false);
    // the last run came before the grant ran out (the lease is 300 ms)
    expect(runs.at(-1)! - killedAt).toBeLessThan(300);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((error) => error instanceof InfrastructureError)).toBe(true);

    const lifecycle = new SharedSaleLifecycle({ store: saleControl, cache });
    await expect(cache.get('s1')).rejects.toThrow(InfrastructureError);
    await expect(lifecycle.apply('s1', { type: 'PAUSE' })).rejects.toThrow(InfrastructureError);
    await expect(saleControl.revision('s1')).rejects.toThrow(InfrastructureError);
    await expect(
      new RedisSingleUseStore(redis, { keyPrefix }).use({
        scope: 'pow',
        id: 'c1',
        expiresAt: NOW + 1,
        now: NOW,
      }),
    ).rejects.toThrow(InfrastructureError);
    await expect(
      new RedisRecentActivityStore(redis, { keyPrefix }).countEvent({
        kind: 'user-requests',
        key: 'u1',
        now: NOW,
        windowMs: 1_000,
        keep: 2,
      }),
    ).rejects.toThrow(InfrastructureError);
    await loop.stop();
  });
});
