import type { Blocklist } from '@seatrush/core';
import { RedisStore } from './options';
import { boundedText, EpochMs, PositiveInt, validateFields } from './validation';

/**
 * Subjects refused for a while: `SET sr:blocked:{subject} {reason, until} PX`. `until` (from
 * `now`) decides; the PX is garbage collection, set past it by the retention.
 */
export class RedisBlocklist extends RedisStore implements Blocklist {
  /** Blocks `subject` until `now + ttlMs`, replacing an earlier block. */
  async block(input: { subject: string; reason: string; ttlMs: number; now: number }): Promise<void> {
    const i = validateFields(
      'block',
      {
        subject: boundedText('subject', 256),
        reason: boundedText('reason', 256),
        ttlMs: PositiveInt,
        now: EpochMs,
      },
      input,
    );
    const value = JSON.stringify({ reason: i.reason, until: i.now + i.ttlMs });
    await this.context.redis.set(
      this.context.keys.blocked(i.subject),
      value,
      'PX',
      i.ttlMs + this.context.retentionMs,
    );
  }

  /** The block in force on `subject` at `now`, or null. */
  async check(input: { subject: string; now: number }): Promise<{ reason: string; until: number } | null> {
    const i = validateFields(
      'blocklist check',
      { subject: boundedText('subject', 256), now: EpochMs },
      input,
    );
    const raw = await this.context.redis.get(this.context.keys.blocked(i.subject));
    if (!raw) return null;
    const entry = JSON.parse(raw) as { reason: string; until: number };
    return entry.until > i.now ? entry : null;
  }

  /** Lifts a block at once. */
  async unblock(subject: string): Promise<void> {
    const i = validateFields('unblock', { subject: boundedText('subject', 256) }, { subject });
    await this.context.redis.del(this.context.keys.blocked(i.subject));
  }
}
