import type { RateLimitPolicy } from '../sale/definition';

export interface RateLimitDecision {
  allowed: boolean;
  /** Requests (tokens) left after this one. */
  remaining: number;
  /** When refused: how long until a request would be allowed. 0 when allowed. */
  retryAfterMs: number;
}

/**
 * Token bucket (bursts up to capacity, refilled at a steady rate) and sliding window (at most N in
 * any window), keyed by whatever the caller limits: a user, an IP, or everything (global).
 */
export interface RateLimiter {
  consume(input: {
    key: string;
    policy: RateLimitPolicy;
    now: number;
    cost?: number;
  }): Promise<RateLimitDecision>;
}
