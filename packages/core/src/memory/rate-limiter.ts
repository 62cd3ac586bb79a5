import { ValidationError } from '../common/errors';
import { type RateLimitDecision, type RateLimiter, RateLimitRequest } from '../ports/rate-limiter';
import type { RateLimitPolicy } from '../sale/definition';
import { fastValidate } from './fast-validate';

/** Floating-point slack so that e.g. 0.998 tokens + 0.002 is not read as 1.0000000000000009 ms. */
const EPSILON = 1e-9;

interface Bucket {
  tokens: number;
  refilledAt: number;
}

/**
 * Token buckets and sliding windows in memory, keyed by the caller's key (and the policy kind, so
 * one key may have both). Time is only the `now` the caller passes; `retryAfterMs` is exact: a
 * request at `now + retryAfterMs` with the same cost is allowed if nothing else consumed meanwhile.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  /** The instants of the requests allowed within the window, oldest first (one per unit of cost). */
  readonly #windows = new Map<string, number[]>();

  async consume(input: RateLimitRequest): Promise<RateLimitDecision> {
    const { key, policy, now, cost } = fastValidate('rate limit input', RateLimitRequest, input);
    if (policy.kind === 'token-bucket') {
      if (cost > policy.capacity) throw tooCostly(cost, policy.capacity);
      return this.#tokenBucket(`${key}\u0000bucket`, policy, now, cost);
    }
    if (cost > policy.limit) throw tooCostly(cost, policy.limit);
    return this.#slidingWindow(`${key}\u0000window`, policy, now, cost);
  }

  #tokenBucket(
    id: string,
    policy: Extract<RateLimitPolicy, { kind: 'token-bucket' }>,
    now: number,
    cost: number,
  ): RateLimitDecision {
    const bucket = this.#buckets.get(id) ?? { tokens: policy.capacity, refilledAt: now };
    const elapsed = Math.max(0, now - bucket.refilledAt);
    const tokens = Math.min(policy.capacity, bucket.tokens + (elapsed * policy.refillPerSecond) / 1000);
    const refilledAt = Math.max(now, bucket.refilledAt);
    if (tokens + EPSILON >= cost) {
      const left = Math.max(0, tokens - cost);
      this.#buckets.set(id, { tokens: left, refilledAt });
      return { allowed: true, remaining: Math.floor(left + EPSILON), retryAfterMs: 0 };
    }
    this.#buckets.set(id, { tokens, refilledAt });
    const retryAfterMs = Math.ceil(((cost - tokens) * 1000) / policy.refillPerSecond - EPSILON);
    return {
      allowed: false,
      remaining: Math.floor(tokens + EPSILON),
      retryAfterMs: Math.max(1, retryAfterMs),
    };
  }

  #slidingWindow(
    id: string,
    policy: Extract<RateLimitPolicy, { kind: 'sliding-window' }>,
    now: number,
    cost: number,
  ): RateLimitDecision {
    // A request at t counts while now − windowMs < t ≤ now.
    const log = (this.#windows.get(id) ?? []).filter((at) => at > now - policy.windowMs);
    if (log.length + cost <= policy.limit) {
      for (let i = 0; i < cost; i += 1) log.push(now);
      log.sort((a, b) => a - b);
      this.#windows.set(id, log);
      return { allowed: true, remaining: policy.limit - log.length, retryAfterMs: 0 };
    }
    this.#windows.set(id, log);
    // Enough of the oldest requests must leave the window for `cost` more to fit.
    const mustLeave = log[log.length + cost - policy.limit - 1] ?? now;
    return {
      allowed: false,
      remaining: policy.limit - log.length,
      retryAfterMs: Math.max(1, mustLeave + policy.windowMs - now),
    };
  }
}

function tooCostly(cost: number, most: number): ValidationError {
  return new ValidationError('rate limit input', [
    { path: 'cost', message: `${cost} is more than the policy ever allows (${most})` },
  ]);
}
