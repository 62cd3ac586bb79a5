import { randomUUID } from 'node:crypto';
import type { RecentActivityStore } from '@seatrush/core';
import { CountEventInput, CountMemberInput, IsMarkedInput, MarkInput, validate } from '@seatrush/core/ports';
import { CLOCK_SKEW_MS, RedisStore } from './options';

/**
 * The bot guard's recent activity in Redis, shared by every instance: per kind and key a sorted
 * set of members by when they were last seen (`record-recent.lua`: window, at most `keep`
 * members, a TTL of the window), and marks as strings holding their end. Memory is bounded by
 * the keys touched within one window, each with at most `keep` members. Time comes from `now`;
 * the TTLs only collect garbage.
 */
export class RedisRecentActivityStore extends RedisStore implements RecentActivityStore {
  async countEvent(input: CountEventInput): Promise<number> {
    const i = validate('activity', CountEventInput, input);
    // an event is a member of its own, so two in the same millisecond both count
    return this.#record(i.kind, i.key, `${i.now}-${randomUUID()}`, i.now, i.windowMs, i.keep);
  }

  async countMember(input: CountMemberInput): Promise<number> {
    const i = validate('activity', CountMemberInput, input);
    return this.#record(i.kind, i.key, i.member, i.now, i.windowMs, i.keep);
  }

  async mark(input: MarkInput): Promise<void> {
    const { kind, key, until, now } = validate('mark', MarkInput, input);
    const redisKey = this.context.keys.activity(kind, key);
    if (until <= now) {
      await this.context.redis.del(redisKey);
      return;
    }
    await this.context.redis.set(redisKey, String(until), 'PX', until - now + CLOCK_SKEW_MS);
  }

  async isMarked(input: IsMarkedInput): Promise<boolean> {
    const { kind, key, now } = validate('mark check', IsMarkedInput, input);
    const until = await this.context.redis.get(this.context.keys.activity(kind, key));
    return until !== null && Number(until) > now;
  }

  async #record(kind: string, key: string, member: string, now: number, windowMs: number, keep: number) {
    const reply = await this.context.scripts.run(
      'record-recent',
      [this.context.keys.activity(kind, key)],
      [member, now, windowMs, keep, windowMs + CLOCK_SKEW_MS],
    );
    return Number(reply);
  }
}
