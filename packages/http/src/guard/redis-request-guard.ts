import { ConfigurationError, InfrastructureError } from '@seatrush/core';
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import { requestGuardScript } from './lua-file';
import type { GuardCheck, GuardVerdict, RequestGuard } from './request-guard';

/** Options of {@link RedisRequestGuard}. */
export interface RedisRequestGuardOptions {
  /** Prefix of every key (default `sr:`); the keys share the hash tag `{guard}`. */
  keyPrefix?: string;
}

type GuardReply = [0] | [1, number, string, string] | [2, number, number];
type GuardClient = (Redis | Cluster) & {
  seatrushRequestGuard(numKeys: number, ...keysAndArgs: Array<string | number>): Promise<GuardReply>;
};

/**
 * The request guard on Redis: the blocklist and every limit of a request in ONE script call
 * (`EVALSHA` of `request-guard.lua`), atomic, so concurrent requests on many instances never
 * overspend a bucket. Every key carries the hash tag `{guard}`: on Redis Cluster the guard lives
 * in one slot (one shard's worth of guard traffic), which keeps the script's keys together.
 * The client is the host's: the guard never closes it.
 */
export class RedisRequestGuard implements RequestGuard {
  readonly #redis: GuardClient;
  readonly #prefix: string;

  constructor(redis: Redis | Cluster, options: RedisRequestGuardOptions = {}) {
    if (typeof redis?.defineCommand !== 'function') {
      throw new ConfigurationError('RedisRequestGuard needs an ioredis client (Redis or Cluster)');
    }
    this.#prefix = `${options.keyPrefix ?? 'sr:'}{guard}:`;
    if (typeof (redis as unknown as Partial<GuardClient>).seatrushRequestGuard !== 'function') {
      redis.defineCommand('seatrushRequestGuard', { lua: requestGuardScript() });
    }
    this.#redis = redis as unknown as GuardClient;
  }

  async check({ subjects, limits, now }: GuardCheck): Promise<GuardVerdict> {
    const keys = [
      ...subjects.map((s) => `${this.#prefix}block:${s}`),
      ...limits.map((l) => `${this.#prefix}rl:${l.key}`),
    ];
    const args: Array<string | number> = [now, subjects.length];
    for (const limit of limits) args.push(limit.capacity, limit.refillPerSecond);
    let reply: GuardReply;
    try {
      reply = await this.#redis.seatrushRequestGuard(keys.length, ...keys, ...args);
    } catch (error) {
      throw new InfrastructureError('the request guard could not reach Redis', { cause: error });
    }
    if (reply[0] === 0) return { ok: true };
    if (reply[0] === 1) {
      const [, index, reason, until] = reply;
      return { ok: false, code: 'BLOCKED', subject: subjects[index - 1] ?? '', reason, until: Number(until) };
    }
    const [, index, retryAfterMs] = reply;
    return { ok: false, code: 'RATE_LIMITED', scope: limits[index - 1]?.scope ?? '', retryAfterMs };
  }

  async block({
    subject,
    reason,
    ttlMs,
    now,
  }: {
    subject: string;
    reason: string;
    ttlMs: number;
    now: number;
  }) {
    const key = `${this.#prefix}block:${subject}`;
    try {
      await this.#redis
        .multi()
        .hset(key, 'reason', reason, 'until', String(now + ttlMs))
        .pexpire(key, ttlMs)
        .exec();
    } catch (error) {
      throw new InfrastructureError('the request guard could not reach Redis', { cause: error });
    }
  }

  async unblock(subject: string): Promise<void> {
    try {
      await this.#redis.del(`${this.#prefix}block:${subject}`);
    } catch (error) {
      throw new InfrastructureError('the request guard could not reach Redis', { cause: error });
    }
  }
}
