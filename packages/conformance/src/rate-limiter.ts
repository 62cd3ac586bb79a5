import type { RateLimiter, RateLimitPolicy } from '@seatrush/core';
import fc from 'fast-check';
import { expect } from 'vitest';
import { freshId, startOfTest } from './fixtures';
import { type Check, expectValidationError, type Factory, registerChecks } from './harness';

/** The port `describeRateLimiter` tests. */
export interface RateLimiterSubject {
  limiter: RateLimiter;
}

type Subject = RateLimiterSubject;

const bucket = (capacity: number, refillPerSecond: number): RateLimitPolicy => ({
  kind: 'token-bucket',
  capacity,
  refillPerSecond,
});
const window = (limit: number, windowMs: number): RateLimitPolicy => ({
  kind: 'sliding-window',
  limit,
  windowMs,
});

/** A consume of `key` under `policy` at `now + ms`, of `cost` (the limiter's default of 1 unless given). */
const consumingAt =
  (limiter: RateLimiter, key: string, policy: RateLimitPolicy, now: number) => (ms: number, cost?: number) =>
    limiter.consume({ key, policy, now: now + ms, ...(cost === undefined ? {} : { cost }) });

/** Every check of `describeRateLimiter`, exported so a suite's own tests can run them one by one. */
export const rateLimiterChecks: readonly Check<Subject>[] = [
  {
    category: 'behaviour',
    name: 'token bucket: allows a burst of capacity, then refuses with the exact retryAfterMs',
    async run({ limiter }, { now }) {
      const at = consumingAt(limiter, freshId('user'), bucket(5, 2), now);
      for (let i = 4; i >= 0; i -= 1) {
        expect(await at(0)).toEqual({ allowed: true, remaining: i, retryAfterMs: 0 });
      }
      expect(await at(0)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 500 });
      expect(await at(250)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 250 });
      expect((await at(499)).allowed).toBe(false);
      expect(await at(500)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    },
  },
  {
    category: 'behaviour',
    name: 'token bucket: refills at its rate up to capacity, and charges a cost',
    async run({ limiter }, { now }) {
      const at = consumingAt(limiter, freshId('ip'), bucket(10, 4), now);
      expect(await at(0, 10)).toMatchObject({ allowed: true, remaining: 0 });
      expect(await at(1_000, 3)).toMatchObject({ allowed: true, remaining: 1 });
      expect(await at(1_000, 3)).toEqual({ allowed: false, remaining: 1, retryAfterMs: 500 });
      // A long pause fills the bucket to its capacity, no further.
      expect(await at(60_000)).toMatchObject({ allowed: true, remaining: 9 });
    },
  },
  {
    category: 'behaviour',
    name: 'sliding window: at most `limit` in any window, retryAfterMs when the oldest leaves it',
    async run({ limiter }, { now }) {
      const at = consumingAt(limiter, freshId('user'), window(3, 1_000), now);
      expect(await at(0)).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 });
      expect(await at(200)).toMatchObject({ allowed: true, remaining: 1 });
      expect(await at(600)).toMatchObject({ allowed: true, remaining: 0 });
      expect(await at(700)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 300 });
      // Not a fixed window: at now + 1000 only the first request has left.
      expect(await at(1_000)).toMatchObject({ allowed: true, remaining: 0 });
      expect(await at(1_100)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 100 });
      expect((await at(1_200)).allowed).toBe(true);
    },
  },
  {
    category: 'behaviour',
    name: 'keeps keys apart',
    async run({ limiter }, { now }) {
      const policy = bucket(1, 1);
      const a = freshId('a');
      const b = freshId('b');
      expect((await limiter.consume({ key: a, policy, now })).allowed).toBe(true);
      expect((await limiter.consume({ key: a, policy, now })).allowed).toBe(false);
      expect((await limiter.consume({ key: b, policy, now })).allowed).toBe(true);
    },
  },
  {
    category: 'bad input',
    name: 'rejects an invalid policy, key, cost or time with a ValidationError and consumes nothing',
    async run({ limiter }, { now }) {
      const key = freshId('user');
      const policy = bucket(2, 1);
      await expectValidationError(() => limiter.consume({ key, policy: bucket(0, 1), now }));
      await expectValidationError(() => limiter.consume({ key, policy: window(1, -5), now }));
      await expectValidationError(() =>
        limiter.consume({ key, policy: { kind: 'leaky' } as unknown as RateLimitPolicy, now }),
      );
      await expectValidationError(() => limiter.consume({ key: '', policy, now }));
      await expectValidationError(() => limiter.consume({ key, policy, now, cost: 0 }));
      await expectValidationError(() => limiter.consume({ key, policy, now: -1 }));
      expect(await limiter.consume({ key, policy, now })).toMatchObject({ allowed: true, remaining: 1 });
    },
  },
  {
    category: 'concurrency',
    name: 'allows exactly the capacity to 300 concurrent requests (token bucket and sliding window)',
    timeoutMs: 60_000,
    async run({ limiter }, { now }) {
      for (const policy of [bucket(50, 1), window(50, 60_000)]) {
        const key = freshId('hot');
        const decisions = await Promise.all(
          Array.from({ length: 300 }, () => limiter.consume({ key, policy, now })),
        );
        expect(decisions.filter((d) => d.allowed)).toHaveLength(50);
        expect(decisions.filter((d) => !d.allowed && d.retryAfterMs > 0)).toHaveLength(250);
      }
    },
  },
  {
    category: 'model',
    name: 'agrees with a reference token bucket and sliding window on random request sequences',
    timeoutMs: 120_000,
    async run({ limiter }) {
      const step = fc.record({
        advance: fc.constantFrom(0, 50, 100, 250, 1_000),
        cost: fc.integer({ min: 1, max: 3 }),
      });
      await fc.assert(
        fc.asyncProperty(
          fc.boolean(),
          fc.array(step, { minLength: 5, maxLength: 30, size: 'max' }),
          async (useBucket, steps) => {
            const key = freshId('model');
            // 10 tokens a second: whole multiples of 0.5 tokens at these steps, exact in floating point.
            const policy = useBucket ? bucket(4, 10) : window(4, 500);
            let now = startOfTest();
            let tokens = 4;
            let refilledAt = now;
            const log: number[] = [];
            for (const { advance, cost } of steps) {
              now += advance;
              const decision = await limiter.consume({ key, policy, now, cost });
              if (useBucket) {
                tokens = Math.min(4, tokens + ((now - refilledAt) * 10) / 1_000);
                refilledAt = now;
                const allowed = tokens >= cost;
                if (allowed) tokens -= cost;
                const retryAfterMs = allowed ? 0 : Math.ceil(((cost - tokens) * 1_000) / 10);
                expect(decision).toEqual({ allowed, remaining: Math.floor(tokens), retryAfterMs });
              } else {
                while (log.length > 0 && (log[0] as number) <= now - 500) log.shift();
                const allowed = log.length + cost <= 4;
                if (allowed) for (let i = 0; i < cost; i += 1) log.push(now);
                const retryAfterMs = allowed ? 0 : (log[log.length + cost - 4 - 1] as number) + 500 - now;
                expect(decision).toEqual({ allowed, remaining: 4 - log.length, retryAfterMs });
              }
            }
          },
        ),
        { numRuns: 30 },
      );
    },
  },
];

/** Registers the RateLimiter conformance suite: both algorithms, exact retryAfterMs, races, a model. */
export function describeRateLimiter(name: string, factory: Factory<RateLimiterSubject>): void {
  registerChecks(`RateLimiter conformance: ${name}`, factory, rateLimiterChecks);
}
