import type { Blocklist } from '@seatrush/core';
import { expect } from 'vitest';
import { freshId } from './fixtures';
import { type Check, expectValidationError, type Factory, registerChecks } from './harness';

/** The port `describeBlocklist` tests. */
export interface BlocklistSubject {
  blocklist: Blocklist;
}

type Subject = BlocklistSubject;

/** Every check of `describeBlocklist`, exported so a suite's own tests can run them one by one. */
export const blocklistChecks: readonly Check<Subject>[] = [
  {
    category: 'behaviour',
    name: 'blocks a subject with its reason until now + ttlMs, and unblocks it on demand',
    async run({ blocklist }, { now }) {
      const subject = `ip:${freshId('10.0.0')}`;
      const other = `user:${freshId('u')}`;
      expect(await blocklist.check({ subject, now })).toBeNull();
      await blocklist.block({ subject, reason: 'too fast', ttlMs: 60_000, now });
      expect(await blocklist.check({ subject, now: now + 1 })).toEqual({
        reason: 'too fast',
        until: now + 60_000,
      });
      expect(await blocklist.check({ subject: other, now })).toBeNull();
      await blocklist.unblock(subject);
      expect(await blocklist.check({ subject, now: now + 2 })).toBeNull();
    },
  },
  {
    category: 'behaviour',
    name: 'replaces a block with a later one',
    async run({ blocklist }, { now }) {
      const subject = freshId('device');
      await blocklist.block({ subject, reason: 'first', ttlMs: 1_000, now });
      await blocklist.block({ subject, reason: 'second', ttlMs: 5_000, now: now + 500 });
      expect(await blocklist.check({ subject, now: now + 2_000 })).toEqual({
        reason: 'second',
        until: now + 5_500,
      });
    },
  },
  {
    category: 'expiry',
    name: 'lifts a block at its end',
    async run({ blocklist }, { now }) {
      const subject = freshId('user');
      await blocklist.block({ subject, reason: 'bot', ttlMs: 1_000, now });
      expect(await blocklist.check({ subject, now: now + 999 })).not.toBeNull();
      expect(await blocklist.check({ subject, now: now + 1_000 })).toBeNull();
    },
  },
  {
    category: 'bad input',
    name: 'rejects an invalid block with a ValidationError and blocks nothing',
    async run({ blocklist }, { now }) {
      const subject = freshId('user');
      await expectValidationError(() => blocklist.block({ subject, reason: 'x', ttlMs: 0, now }));
      await expectValidationError(() => blocklist.block({ subject: '', reason: 'x', ttlMs: 1_000, now }));
      await expectValidationError(() => blocklist.block({ subject, reason: 'x', ttlMs: 1_000, now: -1 }));
      await expectValidationError(() => blocklist.check({ subject, now: Number.NaN }));
      expect(await blocklist.check({ subject, now })).toBeNull();
    },
  },
  {
    category: 'concurrency',
    name: 'records every one of 200 concurrent blocks',
    timeoutMs: 60_000,
    async run({ blocklist }, { now }) {
      const subjects = Array.from({ length: 200 }, () => freshId('s'));
      await Promise.all(
        subjects.map((subject) => blocklist.block({ subject, reason: 'r', ttlMs: 60_000, now })),
      );
      const checks = await Promise.all(subjects.map((subject) => blocklist.check({ subject, now })));
      expect(checks.filter((c) => c?.reason === 'r')).toHaveLength(200);
    },
  },
];

/** Registers the Blocklist conformance suite. */
export function describeBlocklist(name: string, factory: Factory<BlocklistSubject>): void {
  registerChecks(`Blocklist conformance: ${name}`, factory, blocklistChecks);
}
