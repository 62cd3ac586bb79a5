import type { RetryPolicy } from '@seatrush/core';
import { z } from '@seatrush/core/ports';

/** The validated shape of core's `RetryPolicy`. */
export const RetryPolicySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(100),
    initialDelayMs: z.number().int().min(0).max(3_600_000),
    maxDelayMs: z.number().int().min(0).max(3_600_000),
  })
  .refine((p) => p.initialDelayMs <= p.maxDelayMs, {
    message: 'initialDelayMs cannot exceed maxDelayMs',
    path: ['initialDelayMs'],
  });

/** Five tries over about three seconds: rides out a failover, gives up on a real bug. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 200, maxDelayMs: 5_000 };

/**
 * The wait before try `attempt + 1` after `attempt` failed: exponential (initial × 2^(attempt−1),
 * capped at the maximum) with "equal jitter" — half fixed, half random — so consumers that failed
 * together do not retry together, yet every wait stays at least half the nominal one.
 * @param random a number in [0, 1); injectable so tests can pin it.
 */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const nominal = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(nominal / 2 + (nominal / 2) * random());
}
