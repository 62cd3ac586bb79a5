import type { IdempotencyStore } from '@seatrush/core';
import { expect } from 'vitest';
import { freshId, startOfTest } from './fixtures';
import { type Check, expectValidationError, type Factory, registerChecks } from './harness';

/** The port `describeIdempotencyStore` tests. */
export interface IdempotencyStoreSubject {
  store: IdempotencyStore;
}

type Subject = IdempotencyStoreSubject;
const TTL = 60_000;

/** A claim of key `k1` (fingerprint `fp-1`) in a fresh scope. */
function claimOf(now: number, ttlMs = TTL) {
  return { scope: freshId('pay'), key: 'k1', fingerprint: 'fp-1', ttlMs, now };
}

/** `count` claims at once in one fresh scope, the i-th of key `keyOf(i)`; their answers in order. */
function claimAtOnce(store: IdempotencyStore, count: number, keyOf: (i: number) => string) {
  const scope = freshId('pay');
  const now = startOfTest();
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      store.claim({ scope, key: keyOf(i), fingerprint: 'fp', ttlMs: TTL, now }),
    ),
  );
}

/** Every check of `describeIdempotencyStore`, exported so a suite's own tests can run them one by one. */
export const idempotencyStoreChecks: readonly Check<Subject>[] = [
  {
    category: 'behaviour',
    name: 'claims a new key once; a repeat while it runs is in-progress',
    async run({ store }, { now }) {
      const claim = claimOf(now);
      expect(await store.claim(claim)).toEqual({ state: 'claimed' });
      expect(await store.claim({ ...claim, now: now + 10 })).toEqual({ state: 'in-progress' });
    },
  },
  {
    category: 'behaviour',
    name: 'answers the original outcome to every repeat once completed',
    async run({ store }, { now }) {
      const claim = claimOf(now);
      await store.claim(claim);
      const outcome = { ok: true, paymentId: 'pay_1', amounts: [1, 2], nested: { note: 'ünïcode' } };
      await store.complete({ scope: claim.scope, key: 'k1', outcome, ttlMs: TTL, now });
      expect(await store.claim({ ...claim, now: now + 1 })).toEqual({ state: 'done', outcome });
      expect(await store.claim({ ...claim, now: now + 2 })).toEqual({ state: 'done', outcome });
    },
  },
  {
    category: 'behaviour',
    name: 'refuses a key reused for another request with mismatch',
    async run({ store }, { now }) {
      const claim = claimOf(now);
      await store.claim(claim);
      expect(await store.claim({ ...claim, fingerprint: 'fp-2' })).toEqual({ state: 'mismatch' });
      await store.complete({ scope: claim.scope, key: 'k1', outcome: 'done', ttlMs: TTL, now });
      expect(await store.claim({ ...claim, fingerprint: 'fp-2' })).toEqual({ state: 'mismatch' });
    },
  },
  {
    category: 'behaviour',
    name: 'lets an abandoned key be claimed again',
    async run({ store }, { now }) {
      const claim = claimOf(now);
      await store.claim(claim);
      await store.abandon({ scope: claim.scope, key: 'k1' });
      expect(await store.claim(claim)).toEqual({ state: 'claimed' });
    },
  },
  {
    category: 'behaviour',
    name: 'keeps scopes and keys apart',
    async run({ store }, { now }) {
      const a = freshId('pay');
      const b = freshId('cancel');
      await store.claim({ scope: a, key: 'k1', fingerprint: 'fp', ttlMs: TTL, now });
      expect(await store.claim({ scope: b, key: 'k1', fingerprint: 'fp', ttlMs: TTL, now })).toEqual({
        state: 'claimed',
      });
      expect(await store.claim({ scope: a, key: 'k2', fingerprint: 'fp', ttlMs: TTL, now })).toEqual({
        state: 'claimed',
      });
    },
  },
  {
    category: 'expiry',
    name: 'forgets a claim or an outcome once its ttl has passed',
    async run({ store }, { now }) {
      const claim = claimOf(now, 1_000);
      await store.claim(claim);
      expect(await store.claim({ ...claim, now: now + 999 })).toEqual({ state: 'in-progress' });
      expect(await store.claim({ ...claim, now: now + 1_000 })).toEqual({ state: 'claimed' });
      await store.complete({
        scope: claim.scope,
        key: 'k1',
        outcome: { n: 1 },
        ttlMs: 5_000,
        now: now + 1_000,
      });
      expect(await store.claim({ ...claim, fingerprint: 'fp-1', now: now + 5_999 })).toEqual({
        state: 'done',
        outcome: { n: 1 },
      });
      expect(await store.claim({ ...claim, fingerprint: 'fp-2', now: now + 6_000 })).toEqual({
        state: 'claimed',
      });
    },
  },
  {
    category: 'bad input',
    name: 'rejects invalid input with a ValidationError and records nothing',
    async run({ store }, { now }) {
      const scope = freshId('pay');
      await expectValidationError(() => store.claim({ scope, key: '', fingerprint: 'fp', ttlMs: TTL, now }));
      await expectValidationError(() => store.claim({ scope, key: 'k1', fingerprint: 'fp', ttlMs: 0, now }));
      await expectValidationError(() =>
        store.claim({ scope, key: 'k1', fingerprint: 'fp', ttlMs: TTL, now: -5 }),
      );
      await expectValidationError(() => store.complete({ scope, key: 'k1', outcome: 1, ttlMs: -1, now }));
      expect(await store.claim({ scope, key: 'k1', fingerprint: 'fp', ttlMs: TTL, now })).toEqual({
        state: 'claimed',
      });
    },
  },
  {
    category: 'concurrency',
    name: 'grants a key to exactly one of 200 concurrent claims',
    timeoutMs: 60_000,
    async run({ store }) {
      const claims = await claimAtOnce(store, 200, () => 'hot');
      expect(claims.filter((c) => c.state === 'claimed')).toHaveLength(1);
      expect(claims.filter((c) => c.state === 'in-progress')).toHaveLength(199);
    },
  },
  {
    category: 'concurrency',
    name: 'grants each of 100 keys once under 300 concurrent claims',
    timeoutMs: 60_000,
    async run({ store }) {
      const claims = await claimAtOnce(store, 300, (i) => `k${i % 100}`);
      const winners = claims.flatMap((c, i) => (c.state === 'claimed' ? [i % 100] : []));
      expect(winners.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    },
  },
];

/** Registers the IdempotencyStore conformance suite: claim, complete, abandon, mismatch, ttl, races. */
export function describeIdempotencyStore(name: string, factory: Factory<IdempotencyStoreSubject>): void {
  registerChecks(`IdempotencyStore conformance: ${name}`, factory, idempotencyStoreChecks);
}
