import {
  type RateLimitDecision,
  type RateLimiter,
  type RateLimitRequest,
  ValidationError,
} from '@seatrush/core';
import { RateLimitPolicy, validate } from '@seatrush/core/ports';
import { RedisStore } from './options';
import { asList } from './replies';
import { anything, boundedText, EpochMs, optional, PositiveInt, validateFields } from './validation';

/**
 * Token bucket and sliding window as Lua scripts (one round trip, atomic), keyed by whatever the
 * caller limits: `user:42`, `ip:203.0.113.9`, `global`. Time comes from `now`.
 */
export class RedisRateLimiter extends RedisStore implements RateLimiter {
  /** Takes `cost` (default 1) from `key`'s budget, or refuses and says when to retry. */
  async consume(input: RateLimitRequest): Promise<RateLimitDecision> {
    const i = validateFields(
      'rate limit request',
      {
        key: boundedText('rate limit key', 256),
        now: EpochMs,
        cost: optional(PositiveInt),
        policy: anything,
      },
      input,
    );
    const policy = validate('rate limit policy', RateLimitPolicy, i.policy);
    const cost = i.cost ?? 1;
    const most = policy.kind === 'token-bucket' ? policy.capacity : policy.limit;
    if (cost > most) {
      throw new ValidationError('rate limit request', [
        { path: 'cost', message: `${cost} is more than the policy ever allows (${most})` },
      ]);
    }
    const { scripts, keys, retentionMs } = this.context;
    const reply =
      policy.kind === 'token-bucket'
        ? await scripts.run(
            'token-bucket',
            [keys.rateLimit('tb', i.key)],
            [
              policy.capacity,
              policy.refillPerSecond,
              i.now,
              cost,
              Math.ceil((policy.capacity / policy.refillPerSecond) * 1000) + retentionMs,
            ],
          )
        : await scripts.run(
            'sliding-window',
            [keys.rateLimit('sw', i.key), `${keys.rateLimit('sw', i.key)}:seq`],
            [policy.limit, policy.windowMs, i.now, cost, policy.windowMs + retentionMs],
          );
    const [allowed, remaining, retryAfterMs] = asList(reply, policy.kind).map(Number);
    return { allowed: allowed === 1, remaining: remaining!, retryAfterMs: retryAfterMs! };
  }
}
