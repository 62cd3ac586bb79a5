/**
 * One token bucket a request spends from: `capacity` tokens, refilled at `refillPerSecond`.
 * `scope` names it in a refusal (`ip`, `user`, `global`, `operator-auth`, …).
 */
export interface GuardLimit {
  scope: string;
  /** The bucket's key in the store, e.g. `ip:203.0.113.7` or `user:u-42`. */
  key: string;
  capacity: number;
  refillPerSecond: number;
}

/** What one request asks the guard: are these subjects blocked, and may it spend from these buckets? */
export interface GuardCheck {
  /** Blocklist subjects, e.g. `ip:203.0.113.7`, `user:u-42`. */
  subjects: readonly string[];
  limits: readonly GuardLimit[];
  now: number;
}

/** The guard's answer. A refusal spends nothing: every bucket is charged, or none is. */
export type GuardVerdict =
  | { ok: true }
  | { ok: false; code: 'BLOCKED'; subject: string; reason: string; until: number }
  | { ok: false; code: 'RATE_LIMITED'; scope: string; retryAfterMs: number };

/** A block of one subject (`ip:…`, `user:…`) for `ttlMs` from `now`, and why. */
export interface GuardBlock {
  subject: string;
  reason: string;
  ttlMs: number;
  now: number;
}

/**
 * The HTTP layer's defences in one store call per request: the blocklist and every rate limit
 * (per user, per IP group, global, per route) are checked and charged together, so a request
 * costs one round trip to a shared store (one Lua script on Redis), never one per limit.
 */
export interface RequestGuard {
  check(input: GuardCheck): Promise<GuardVerdict>;
  /** Blocks `subject` for `ttlMs` (a later block replaces an earlier one). */
  block(input: GuardBlock): Promise<void>;
  unblock(subject: string): Promise<void>;
}

/** A bucket's state: tokens left at `at`, and when it is full again (then it can be forgotten). */
interface Bucket {
  tokens: number;
  at: number;
  fullAt: number;
}

/**
 * The guard in one process: the embedded default, and the executable specification the Redis
 * guard is tested against. Buckets that are full again are forgotten, so memory stays bounded by
 * the clients active within a refill period.
 */
export class MemoryRequestGuard implements RequestGuard {
  readonly #buckets = new Map<string, Bucket>();
  readonly #blocks = new Map<string, { reason: string; until: number }>();
  #checks = 0;

  async check(input: GuardCheck): Promise<GuardVerdict> {
    return this.checkNow(input);
  }

  /** The same as {@link check}, synchronously (the in-memory guard needs no round trip). */
  checkNow({ subjects, limits, now }: GuardCheck): GuardVerdict {
    if (++this.#checks % 10_000 === 0) this.#sweep(now);
    for (const subject of subjects) {
      const block = this.#blocks.get(subject);
      if (block && block.until > now) return { ok: false, code: 'BLOCKED', subject, ...block };
    }
    const levels: number[] = [];
    for (const limit of limits) {
      const tokens = level(this.#buckets.get(limit.key), limit, now);
      if (tokens < 1) {
        return {
          ok: false,
          code: 'RATE_LIMITED',
          scope: limit.scope,
          retryAfterMs: Math.ceil(((1 - tokens) / limit.refillPerSecond) * 1_000),
        };
      }
      levels.push(tokens);
    }
    limits.forEach((limit, i) => {
      const tokens = (levels[i] as number) - 1;
      const fullAt = now + Math.ceil(((limit.capacity - tokens) / limit.refillPerSecond) * 1_000);
      this.#buckets.set(limit.key, { tokens, at: now, fullAt });
    });
    return { ok: true };
  }

  async block({ subject, reason, ttlMs, now }: GuardBlock): Promise<void> {
    this.#blocks.set(subject, { reason, until: now + ttlMs });
  }

  async unblock(subject: string): Promise<void> {
    this.#blocks.delete(subject);
  }

  #sweep(now: number): void {
    for (const [key, bucket] of this.#buckets) if (bucket.fullAt <= now) this.#buckets.delete(key);
    for (const [subject, block] of this.#blocks) if (block.until <= now) this.#blocks.delete(subject);
  }
}

function level(bucket: Bucket | undefined, limit: GuardLimit, now: number): number {
  if (!bucket) return limit.capacity;
  const refilled = bucket.tokens + (Math.max(0, now - bucket.at) / 1_000) * limit.refillPerSecond;
  return Math.min(limit.capacity, refilled);
}
