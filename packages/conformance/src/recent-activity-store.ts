import type { RecentActivityStore } from '@seatrush/core';
import { expect } from 'vitest';
import { freshId } from './fixtures';
import { type Check, expectValidationError, type Factory, registerChecks } from './harness';

/** The port `describeRecentActivityStore` tests. */
export interface RecentActivityStoreSubject {
  activity: RecentActivityStore;
}

type Subject = RecentActivityStoreSubject;

/** Every check of `describeRecentActivityStore`, exported so a suite's own tests can run them one by one. */
export const recentActivityStoreChecks: readonly Check<Subject>[] = [
  {
    category: 'behaviour',
    name: 'counts events within the window, at most `keep`, per kind and key',
    async run({ activity }, { now }) {
      const key = freshId('user');
      const event = (at: number) =>
        activity.countEvent({ kind: 'user-requests', key, now: at, windowMs: 1_000, keep: 3 });
      expect(await event(now)).toBe(1);
      expect(await event(now)).toBe(2);
      expect(await event(now + 500)).toBe(3);
      expect(await event(now + 600)).toBe(3);
      // the two at `now` leave the window at now + 1000
      expect(await event(now + 1_000)).toBe(3);
      expect(await event(now + 2_000)).toBe(1);
      expect(await activity.countEvent({ kind: 'ip-requests', key, now, windowMs: 1_000, keep: 3 })).toBe(1);
      expect(
        await activity.countEvent({
          kind: 'user-requests',
          key: freshId('u'),
          now,
          windowMs: 1_000,
          keep: 3,
        }),
      ).toBe(1);
    },
  },
  {
    category: 'behaviour',
    name: 'counts distinct members within the window; a member seen again counts once',
    async run({ activity }, { now }) {
      const key = freshId('device');
      const seen = (member: string, at: number) =>
        activity.countMember({ kind: 'device-accounts', key, member, now: at, windowMs: 1_000, keep: 10 });
      expect(await seen('alice', now)).toBe(1);
      expect(await seen('bob', now + 100)).toBe(2);
      expect(await seen('alice', now + 900)).toBe(2);
      // bob leaves the window; alice was seen again at +900
      expect(await seen('carol', now + 1_100)).toBe(2);
    },
  },
  {
    category: 'expiry',
    name: 'marks a key until an instant, replacing an earlier mark',
    async run({ activity }, { now }) {
      const key = freshId('user');
      expect(await activity.isMarked({ kind: 'challenge-passed', key, now })).toBe(false);
      await activity.mark({ kind: 'challenge-passed', key, until: now + 1_000, now });
      expect(await activity.isMarked({ kind: 'challenge-passed', key, now: now + 999 })).toBe(true);
      expect(await activity.isMarked({ kind: 'challenge-passed', key, now: now + 1_000 })).toBe(false);
      await activity.mark({ kind: 'challenge-passed', key, until: now + 5_000, now: now + 10 });
      expect(await activity.isMarked({ kind: 'challenge-passed', key, now: now + 4_000 })).toBe(true);
    },
  },
  {
    category: 'bad input',
    name: 'rejects an unknown kind, a malformed key or window with a ValidationError',
    async run({ activity }, { now }) {
      await expectValidationError(() =>
        activity.countEvent({ kind: 'nope' as never, key: 'k', now, windowMs: 1_000, keep: 1 }),
      );
      await expectValidationError(() =>
        activity.countEvent({ kind: 'user-requests', key: 'a:b{c}', now, windowMs: 1_000, keep: 1 }),
      );
      await expectValidationError(() =>
        activity.countMember({ kind: 'header-users', key: 'k', member: '', now, windowMs: 1_000, keep: 1 }),
      );
      await expectValidationError(() =>
        activity.countEvent({ kind: 'user-requests', key: 'k', now, windowMs: 0, keep: 1 }),
      );
      await expectValidationError(() =>
        activity.mark({ kind: 'challenge-passed', key: 'k', until: -1, now }),
      );
    },
  },
  {
    category: 'concurrency',
    name: 'counts every one of 100 concurrent events exactly once',
    timeoutMs: 60_000,
    async run({ activity }, { now }) {
      const key = freshId('ip');
      const counts = await Promise.all(
        Array.from({ length: 100 }, () =>
          activity.countEvent({ kind: 'ip-requests', key, now, windowMs: 60_000, keep: 1_000 }),
        ),
      );
      expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    },
  },
];

/** Registers the RecentActivityStore conformance suite. */
export function describeRecentActivityStore(
  name: string,
  factory: Factory<RecentActivityStoreSubject>,
): void {
  registerChecks(`RecentActivityStore conformance: ${name}`, factory, recentActivityStoreChecks);
}
