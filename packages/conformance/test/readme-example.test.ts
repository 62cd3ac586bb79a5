// The README's example, verbatim: a tiny Blocklist adapter proving itself with the suite.

import { describeBlocklist } from '@seatrush/conformance';
import type { Blocklist } from '@seatrush/core';
import { validate, z } from '@seatrush/core/ports';

const Block = z.object({
  subject: z.string().min(1),
  reason: z.string().min(1),
  ttlMs: z.number().int().positive(),
  now: z.number().int().nonnegative(),
});
const Check = Block.pick({ subject: true, now: true });

class MapBlocklist implements Blocklist {
  readonly #blocks = new Map<string, { reason: string; until: number }>();

  async block(input: z.input<typeof Block>) {
    const { subject, reason, ttlMs, now } = validate('block', Block, input);
    this.#blocks.set(subject, { reason, until: now + ttlMs });
  }
  async check(input: z.input<typeof Check>) {
    const { subject, now } = validate('check', Check, input);
    const block = this.#blocks.get(subject);
    return block && block.until > now ? { ...block } : null;
  }
  async unblock(subject: string) {
    this.#blocks.delete(subject);
  }
}

describeBlocklist('MapBlocklist', async () => ({ blocklist: new MapBlocklist() }));
