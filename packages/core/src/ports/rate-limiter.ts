import { z } from 'zod';
import { EpochMs } from '../common/ids';
import { RateLimitPolicy } from '../sale/definition';

/** `consume`'s input: `cost` units (1 unless given) from `key`'s budget under `policy`, at `now`. */
export const RateLimitRequest = z.object({
  key: z.string().min(1).max(256),
  policy: RateLimitPolicy,
  now: EpochMs,
  cost: z.number().int().positive().default(1),
});
export type RateLimitRequest = z.input<typeof RateLimitRequest>;

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
  consume(input: RateLimitRequest): Promise<RateLimitDecision>;
}
