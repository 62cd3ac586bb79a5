import { z } from 'zod';
import { EpochMs } from '../common/ids';
import type { Blocklist } from '../ports/blocklist';
import { fastValidate } from './fast-validate';

const Subject = z.string().min(1).max(256);
const BlockInput = z.object({
  subject: Subject,
  reason: z.string().min(1).max(256),
  ttlMs: z.number().int().positive(),
  now: EpochMs,
});
const CheckInput = z.object({ subject: Subject, now: EpochMs });

/** Blocked subjects in memory; a block ends at `now + ttlMs` on the callers' clock. */
export class MemoryBlocklist implements Blocklist {
  readonly #blocks = new Map<string, { reason: string; until: number }>();

  async block(input: { subject: string; reason: string; ttlMs: number; now: number }): Promise<void> {
    const { subject, reason, ttlMs, now } = fastValidate('block input', BlockInput, input);
    this.#blocks.set(subject, { reason, until: now + ttlMs });
  }

  async check(input: { subject: string; now: number }): Promise<{ reason: string; until: number } | null> {
    const { subject, now } = fastValidate('block check', CheckInput, input);
    const block = this.#blocks.get(subject);
    if (!block) return null;
    if (block.until <= now) {
      this.#blocks.delete(subject);
      return null;
    }
    return { ...block };
  }

  async unblock(subject: string): Promise<void> {
    this.#blocks.delete(fastValidate('subject', Subject, subject));
  }
}
