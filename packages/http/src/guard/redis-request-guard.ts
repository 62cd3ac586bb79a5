import { ConfigurationError, InfrastructureError } from '@seatrush/core';
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import { requestGuardScript } from './lua-file';
import type { GuardBlock, GuardCheck, GuardVerdict, RequestGuard } from './request-guard';

/** Options of {@link RedisRequestGuard}. */
export interface RedisRequestGuardOptions {
  /** Prefix of every key (default `sr:`); the keys share the hash tag `{guard}`. */
  keyPrefix?: string;
  /**
   * Most requests checked by one script call (default 256). The checks an instance has in flight
   * within one turn of the event loop go to Redis together, in one `EVALSHA`: one round trip per
   * request still, but one command for many, so a busy server spends a fraction of the CPU (its
   * own and Redis's) a command per request costs. 1 sends each check alone.
   */
  maxBatch?: number;
}

type GuardReply = [0] | [1, number, string, string] | [2, number, number];
type GuardClient = (Redis | Cluster) & {
  seatrushRequestGuard(numKeys: number, ...keysAndArgs: Array<string | number>): Promise<GuardReply[]>;
};

/** A check waiting for its batch to go. */
interface PendingCheck {
  input: GuardCheck;
  resolve(verdict: GuardVerdict): void;
  reject(error: unknown): void;
}

/**
 * The request guard on Redis: the blocklist and every limit of a request in ONE script call
 * (`EVALSHA` of `request-guard.lua`), atomic, so concurrent requests on many instances never
 * overspend a bucket. The checks made within one turn of the event loop share that call (see
 * {@link RedisRequestGuardOptions.maxBatch}); the script takes them one after another, each
 * checked and charged as if alone. Every key carries the hash tag `{guard}`: on Redis Cluster the
 * guard lives in one slot (one shard's worth of guard traffic), which keeps the script's keys
 * together. The client is the host's: the guard never closes it.
 */
export class RedisRequestGuard implements RequestGuard {
  readonly #redis: GuardClient;
  readonly #prefix: string;
  readonly #maxBatch: number;
  #pending: PendingCheck[] = [];

  constructor(redis: Redis | Cluster, options: RedisRequestGuardOptions = {}) {
    if (typeof redis?.defineCommand !== 'function') {
      throw new ConfigurationError('RedisRequestGuard needs an ioredis client (Redis or Cluster)');
    }
    this.#prefix = `${options.keyPrefix ?? 'sr:'}{guard}:`;
    this.#maxBatch = options.maxBatch ?? 256;
    if (!Number.isInteger(this.#maxBatch) || this.#maxBatch < 1) {
      throw new ConfigurationError('maxBatch: a whole number of checks, at least 1');
    }
    if (typeof (redis as unknown as Partial<GuardClient>).seatrushRequestGuard !== 'function') {
      redis.defineCommand('seatrushRequestGuard', { lua: requestGuardScript() });
    }
    this.#redis = redis as unknown as GuardClient;
  }

  check(input: GuardCheck): Promise<GuardVerdict> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ input, resolve, reject });
      // the first check of a turn schedules the batch; the checks of the same turn join it
      if (this.#pending.length === 1) setImmediate(() => this.#send());
    });
  }

  #send(): void {
    const pending = this.#pending;
    this.#pending = [];
    for (let from = 0; from < pending.length; from += this.#maxBatch) {
      void this.#run(pending.slice(from, from + this.#maxBatch));
    }
  }

  async #run(batch: PendingCheck[]): Promise<void> {
    const keys: string[] = [];
    const args: Array<string | number> = [batch.length];
    for (const { input } of batch) {
      for (const subject of input.subjects) keys.push(`${this.#prefix}block:${subject}`);
      for (const limit of input.limits) keys.push(`${this.#prefix}rl:${limit.key}`);
      args.push(input.now, input.subjects.length, input.limits.length);
      for (const limit of input.limits) args.push(limit.capacity, limit.refillPerSecond);
    }
    let replies: GuardReply[];
    try {
      replies = await this.#redis.seatrushRequestGuard(keys.length, ...keys, ...args);
    } catch (error) {
      const failure = unreachable(error);
      for (const check of batch) check.reject(failure);
      return;
    }
    for (const [i, check] of batch.entries()) check.resolve(verdictOf(check.input, replies[i] as GuardReply));
  }

  async block({ subject, reason, ttlMs, now }: GuardBlock): Promise<void> {
    const key = `${this.#prefix}block:${subject}`;
    try {
      await this.#redis
        .multi()
        .hset(key, 'reason', reason, 'until', String(now + ttlMs))
        .pexpire(key, ttlMs)
        .exec();
    } catch (error) {
      throw unreachable(error);
    }
  }

  async unblock(subject: string): Promise<void> {
    try {
      await this.#redis.del(`${this.#prefix}block:${subject}`);
    } catch (error) {
      throw unreachable(error);
    }
  }
}

function unreachable(cause: unknown): InfrastructureError {
  return new InfrastructureError('the request guard could not reach Redis', { cause });
}

function verdictOf({ subjects, limits }: GuardCheck, reply: GuardReply): GuardVerdict {
  if (reply[0] === 0) return { ok: true };
  if (reply[0] === 1) {
    const [, index, reason, until] = reply;
    return { ok: false, code: 'BLOCKED', subject: subjects[index - 1] ?? '', reason, until: Number(until) };
  }
  const [, index, retryAfterMs] = reply;
  return { ok: false, code: 'RATE_LIMITED', scope: limits[index - 1]?.scope ?? '', retryAfterMs };
}
