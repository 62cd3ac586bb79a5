import type { DistributedLock, Lease } from '@seatrush/core';
import { expect } from 'vitest';
import { freshId } from './fixtures';
import { type Check, expectValidationError, type Factory, registerChecks, sleep } from './harness';

/**
 * The port `describeDistributedLock` tests. `acquire` takes no `now`: the expiry check waits real
 * time (about half a second), so give an in-memory lock the system clock.
 */
export interface DistributedLockSubject {
  lock: DistributedLock;
}

type Subject = DistributedLockSubject;

function granted(lease: Lease | null): Lease {
  expect(lease, 'expected the lock to be granted').not.toBeNull();
  return lease as Lease;
}

/** Every check of `describeDistributedLock`, exported so a suite's own tests can run them one by one. */
export const distributedLockChecks: readonly Check<Subject>[] = [
  {
    category: 'behaviour',
    name: 'grants a free lock, refuses it while held, grants it again after release with a higher token',
    async run({ lock }) {
      const resource = freshId('sale');
      const first = granted(await lock.acquire(resource, 10_000));
      expect(first.resource).toBe(resource);
      expect(first.owner).not.toBe('');
      expect(first.validUntil).toBeGreaterThan(Date.now() - 60_000);
      expect(await lock.acquire(resource, 10_000)).toBeNull();
      await lock.release(first);
      const second = granted(await lock.acquire(resource, 10_000));
      expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
      expect(second.owner).not.toBe(first.owner);
      await lock.release(second);
    },
  },
  {
    category: 'behaviour',
    name: 'ignores a release by a lease that no longer owns the lock',
    async run({ lock }) {
      const resource = freshId('sale');
      const first = granted(await lock.acquire(resource, 10_000));
      await lock.release(first);
      const second = granted(await lock.acquire(resource, 10_000));
      await lock.release(first);
      await lock.release({ ...second, owner: 'forged-owner' });
      expect(await lock.acquire(resource, 10_000)).toBeNull();
      await lock.release(second);
    },
  },
  {
    category: 'behaviour',
    name: 'keeps resources apart and fencing tokens strictly increasing over many grants',
    async run({ lock }) {
      const a = freshId('a');
      const b = freshId('b');
      const other = granted(await lock.acquire(b, 10_000));
      let last = -1;
      for (let i = 0; i < 20; i += 1) {
        const lease = granted(await lock.acquire(a, 10_000));
        expect(lease.fencingToken).toBeGreaterThan(last);
        last = lease.fencingToken;
        await lock.release(lease);
      }
      await lock.release(other);
    },
  },
  {
    category: 'expiry',
    name: 'lets a lock lapse after its ttl; the next holder gets a higher token',
    async run({ lock }) {
      const resource = freshId('sale');
      const first = granted(await lock.acquire(resource, 200));
      await sleep(450);
      const second = granted(await lock.acquire(resource, 10_000));
      expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
      // The lapsed holder cannot release the new holder's lock.
      await lock.release(first);
      expect(await lock.acquire(resource, 10_000)).toBeNull();
      await lock.release(second);
    },
  },
  {
    category: 'bad input',
    name: 'rejects an invalid resource or ttl with a ValidationError',
    async run({ lock }) {
      await expectValidationError(() => lock.acquire('', 1_000));
      await expectValidationError(() => lock.acquire(freshId('r'), 0));
      await expectValidationError(() => lock.acquire(freshId('r'), -5));
    },
  },
  {
    category: 'concurrency',
    name: 'grants the lock to exactly one of 50 concurrent callers',
    timeoutMs: 60_000,
    async run({ lock }) {
      const resource = freshId('sale');
      const leases = await Promise.all(Array.from({ length: 50 }, () => lock.acquire(resource, 30_000)));
      const winners = leases.filter((l): l is Lease => l !== null);
      expect(winners).toHaveLength(1);
      await lock.release(winners[0] as Lease);
    },
  },
];

/** Registers the DistributedLock conformance suite: mutual exclusion, fencing tokens, ttl, races. */
export function describeDistributedLock(name: string, factory: Factory<DistributedLockSubject>): void {
  registerChecks(`DistributedLock conformance: ${name}`, factory, distributedLockChecks);
}
