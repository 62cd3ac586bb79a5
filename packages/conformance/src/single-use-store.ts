import type { SingleUseStore } from '@seatrush/core';
import { expect } from 'vitest';
import { freshId } from './fixtures';
import { type Check, expectValidationError, type Factory, registerChecks } from './harness';

/** The port `describeSingleUseStore` tests. */
export interface SingleUseStoreSubject {
  store: SingleUseStore;
}

type Subject = SingleUseStoreSubject;

/** Every check of `describeSingleUseStore`, exported so a suite's own tests can run them one by one. */
export const singleUseStoreChecks: readonly Check<Subject>[] = [
  {
    category: 'behaviour',
    name: 'accepts a token once per scope, and refuses it ever after',
    async run({ store }, { now }) {
      const id = freshId('challenge');
      const token = { scope: 'pow', id, expiresAt: now + 60_000, now };
      expect(await store.use(token)).toBe(true);
      expect(await store.use(token)).toBe(false);
      expect(await store.use({ ...token, now: now + 59_999 })).toBe(false);
      expect(await store.use({ ...token, scope: 'other' })).toBe(true);
      expect(await store.use({ ...token, id: freshId('challenge') })).toBe(true);
    },
  },
  {
    category: 'expiry',
    name: 'refuses a token at or after its expiry',
    async run({ store }, { now }) {
      expect(await store.use({ scope: 'pow', id: freshId('c'), expiresAt: now, now })).toBe(false);
      expect(await store.use({ scope: 'pow', id: freshId('c'), expiresAt: now - 1, now })).toBe(false);
    },
  },
  {
    category: 'bad input',
    name: 'rejects a malformed scope, id or instant with a ValidationError',
    async run({ store }, { now }) {
      const id = freshId('c');
      await expectValidationError(() => store.use({ scope: 'POW!', id, expiresAt: now + 1, now }));
      await expectValidationError(() => store.use({ scope: 'pow', id: 'a{b}', expiresAt: now + 1, now }));
      await expectValidationError(() => store.use({ scope: 'pow', id, expiresAt: -1, now }));
      expect(await store.use({ scope: 'pow', id, expiresAt: now + 60_000, now })).toBe(true);
    },
  },
  {
    category: 'concurrency',
    name: 'accepts exactly one of 50 concurrent uses of one token',
    timeoutMs: 60_000,
    async run({ store }, { now }) {
      const token = { scope: 'pow', id: freshId('c'), expiresAt: now + 60_000, now };
      const answers = await Promise.all(Array.from({ length: 50 }, () => store.use(token)));
      expect(answers.filter(Boolean)).toHaveLength(1);
    },
  },
];

/** Registers the SingleUseStore conformance suite. */
export function describeSingleUseStore(name: string, factory: Factory<SingleUseStoreSubject>): void {
  registerChecks(`SingleUseStore conformance: ${name}`, factory, singleUseStoreChecks);
}
