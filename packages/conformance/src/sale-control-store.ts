import { type SaleControlStore, UnknownSaleError } from '@seatrush/core';
import { expect } from 'vitest';
import { freshId, startOfTest } from './fixtures';
import { type Check, expectValidationError, type Factory, registerChecks } from './harness';

/** The port `describeSaleControlStore` tests. */
export interface SaleControlStoreSubject {
  store: SaleControlStore;
}

type Subject = SaleControlStoreSubject;

const ADMISSION = { usersPerInterval: 50, intervalMs: 1_000, maxActive: 500 };
const POLICY = { minUsersPerInterval: 10, maxUsersPerInterval: 200 };
const DECISION = {
  usersPerInterval: 40,
  paused: false,
  health: 'degraded' as const,
  reasons: ['consumer lag 2000'],
};

async function openSale(store: SaleControlStore, now = startOfTest()) {
  const saleId = freshId('sale');
  const { control } = await store.initialize({ saleId, state: 'OPEN', admission: ADMISSION, now });
  return { saleId, control, now };
}

/** Every check of `describeSaleControlStore`, exported so a suite's own tests can run them one by one. */
export const saleControlStoreChecks: readonly Check<Subject>[] = [
  {
    category: 'behaviour',
    name: 'initializes a sale once at revision 1 with defaults; a second initialize keeps the first',
    async run({ store }, { now }) {
      const saleId = freshId('sale');
      expect(await store.read(saleId)).toBeNull();
      expect(await store.revision(saleId)).toBeNull();
      const first = await store.initialize({ saleId, admission: ADMISSION, now });
      expect(first).toEqual({
        created: true,
        control: {
          saleId,
          revision: 1,
          state: 'DRAFT',
          admission: { ...ADMISSION, paused: false },
          queueingMethod: 'fifo',
          adaptivePolicy: null,
          lastAdaptiveDecision: null,
          updatedAt: now,
        },
      });
      const second = await store.initialize({
        saleId,
        state: 'OPEN',
        admission: { ...ADMISSION, maxActive: 1 },
        now,
      });
      expect(second).toEqual({ created: false, control: first.control });
      expect(await store.read(saleId)).toEqual(first.control);
      expect(await store.revision(saleId)).toBe(1);
    },
  },
  {
    category: 'behaviour',
    name: 'moves the state only from the expected one, bumping the revision',
    async run({ store }) {
      const { saleId, now } = await openSale(store);
      const paused = await store.transition({ saleId, from: 'OPEN', to: 'PAUSED', now: now + 1 });
      expect(paused).toMatchObject({
        applied: true,
        control: { state: 'PAUSED', revision: 2, updatedAt: now + 1 },
      });
      const stale = await store.transition({ saleId, from: 'OPEN', to: 'CLOSED', now: now + 2 });
      expect(stale).toMatchObject({
        applied: false,
        reason: 'STATE_CHANGED',
        control: { state: 'PAUSED', revision: 2 },
      });
      expect(await store.revision(saleId)).toBe(2);
    },
  },
  {
    category: 'behaviour',
    name: 'merges settings, keeps the rest, and honours an expected revision',
    async run({ store }) {
      const { saleId, now } = await openSale(store);
      const write = await store.configure({
        saleId,
        admission: { usersPerInterval: 80 },
        queueingMethod: 'random',
        adaptivePolicy: POLICY,
        now: now + 1,
      });
      expect(write.applied).toBe(true);
      expect(write.control).toMatchObject({
        revision: 2,
        state: 'OPEN',
        admission: { usersPerInterval: 80, intervalMs: 1_000, maxActive: 500, paused: false },
        queueingMethod: 'random',
        adaptivePolicy: { ...POLICY, increaseStep: 10, decreaseFactor: 0.5 },
      });
      const stale = await store.configure({
        saleId,
        queueingMethod: 'fifo',
        expectedRevision: 1,
        now: now + 2,
      });
      expect(stale).toMatchObject({ applied: false, reason: 'REVISION_CHANGED', control: { revision: 2 } });
      const cleared = await store.configure({
        saleId,
        adaptivePolicy: null,
        expectedRevision: 2,
        now: now + 3,
      });
      expect(cleared.control).toMatchObject({ revision: 3, adaptivePolicy: null, queueingMethod: 'random' });
      expect(await store.read(saleId)).toEqual(cleared.control);
    },
  },
  {
    category: 'behaviour',
    name: "records the adaptive decision with its rate and pause, refusing an older lease holder's",
    async run({ store }) {
      const { saleId, now } = await openSale(store);
      const first = await store.recordAdaptiveDecision({
        saleId,
        decision: DECISION,
        fencingToken: 5,
        now: now + 1,
      });
      expect(first).toMatchObject({
        applied: true,
        control: {
          revision: 2,
          admission: { usersPerInterval: 40, paused: false },
          lastAdaptiveDecision: { ...DECISION, at: now + 1 },
        },
      });
      const critical = { ...DECISION, usersPerInterval: 10, paused: true, health: 'critical' as const };
      const stale = await store.recordAdaptiveDecision({
        saleId,
        decision: critical,
        fencingToken: 4,
        now: now + 2,
      });
      expect(stale).toMatchObject({ applied: false, reason: 'STALE_FENCE', control: { revision: 2 } });
      const same = await store.recordAdaptiveDecision({
        saleId,
        decision: critical,
        fencingToken: 5,
        now: now + 3,
      });
      expect(same.control.admission).toEqual({ ...ADMISSION, usersPerInterval: 10, paused: true });
      const newer = await store.recordAdaptiveDecision({
        saleId,
        decision: DECISION,
        fencingToken: 6,
        now: now + 4,
      });
      expect(newer).toMatchObject({ applied: true, control: { revision: 4, admission: { paused: false } } });
    },
  },
  {
    category: 'behaviour',
    name: "revokes a user's invitations to one sale only",
    async run({ store }) {
      const { saleId } = await openSale(store);
      const { saleId: other } = await openSale(store);
      expect(await store.isInvitationRevoked({ saleId, userId: 'alice' })).toBe(false);
      await store.revokeInvitation({ saleId, userId: 'alice' });
      expect(await store.isInvitationRevoked({ saleId, userId: 'alice' })).toBe(true);
      expect(await store.isInvitationRevoked({ saleId, userId: 'bob' })).toBe(false);
      expect(await store.isInvitationRevoked({ saleId: other, userId: 'alice' })).toBe(false);
    },
  },
  {
    category: 'bad input',
    name: 'refuses an unknown sale with UnknownSaleError and bad input with a ValidationError, changing nothing',
    async run({ store }) {
      const { saleId, control, now } = await openSale(store);
      const unknown = freshId('nope');
      await expect(store.transition({ saleId: unknown, from: 'OPEN', to: 'PAUSED', now })).rejects.toThrow(
        UnknownSaleError,
      );
      await expect(store.configure({ saleId: unknown, queueingMethod: 'fifo', now })).rejects.toThrow(
        UnknownSaleError,
      );
      await expect(
        store.recordAdaptiveDecision({ saleId: unknown, decision: DECISION, fencingToken: 1, now }),
      ).rejects.toThrow(UnknownSaleError);
      await expect(store.revokeInvitation({ saleId: unknown, userId: 'alice' })).rejects.toThrow(
        UnknownSaleError,
      );
      await expectValidationError(() => store.read('bad:id'));
      await expectValidationError(() => store.transition({ saleId, from: 'OPEN', to: 'GONE' as never, now }));
      await expectValidationError(() => store.configure({ saleId, admission: { usersPerInterval: 0 }, now }));
      await expectValidationError(() =>
        store.configure({ saleId, adaptivePolicy: { minUsersPerInterval: 9, maxUsersPerInterval: 3 }, now }),
      );
      await expectValidationError(() =>
        store.recordAdaptiveDecision({ saleId, decision: DECISION, fencingToken: 0, now }),
      );
      await expectValidationError(() => store.revokeInvitation({ saleId, userId: 'a b' }));
      expect(await store.read(saleId)).toEqual(control);
    },
  },
  {
    category: 'concurrency',
    name: 'applies exactly one of 30 concurrent transitions from the same state',
    timeoutMs: 60_000,
    async run({ store }) {
      const { saleId, now } = await openSale(store);
      const writes = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          store.transition({ saleId, from: 'OPEN', to: i % 2 === 0 ? 'PAUSED' : 'CLOSED', now: now + 1 }),
        ),
      );
      const applied = writes.filter((w) => w.applied);
      expect(applied).toHaveLength(1);
      const final = await store.read(saleId);
      expect(final?.state).toBe(applied[0]!.control.state);
      expect(final?.revision).toBe(2);
    },
  },
  {
    category: 'concurrency',
    name: 'loses no concurrent setting: 20 operators changing the rate at once, one revision each',
    timeoutMs: 60_000,
    async run({ store }) {
      const { saleId, now } = await openSale(store);
      const rates = Array.from({ length: 20 }, (_, i) => 100 + i);
      const fenced = await Promise.all(
        rates.map((usersPerInterval) =>
          store.configure({ saleId, admission: { usersPerInterval }, expectedRevision: 1, now: now + 1 }),
        ),
      );
      expect(fenced.filter((w) => w.applied)).toHaveLength(1);
      const winner = fenced.find((w) => w.applied)!.control.admission.usersPerInterval;
      expect((await store.read(saleId))?.admission.usersPerInterval).toBe(winner);
      expect(await store.revision(saleId)).toBe(2);
    },
  },
];

/** Registers the SaleControlStore conformance suite. */
export function describeSaleControlStore(name: string, factory: Factory<SaleControlStoreSubject>): void {
  registerChecks(`SaleControlStore conformance: ${name}`, factory, saleControlStoreChecks);
}
