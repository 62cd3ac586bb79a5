import type { InventorySnapshot, InventoryStore } from '@seatrush/core';
import { reserveFingerprint } from '@seatrush/core/ports';
import { expect } from 'vitest';
import { asOwner, generalSnapshot, heldOf, loadGeneralSale, reserveRequest, units } from './fixtures';
import { type Check, type Factory, registerChecks } from './harness';
import { expectInvariant } from './inventory-store';

/**
 * The ports `describeInventoryRebuild` tests: a store that can rebuild a lost sale (`restore`,
 * `wasRebuilt`), and a way to lose a sale in it as a failure would.
 */
export interface InventoryRebuildSubject {
  inventory: InventoryStore & Required<Pick<InventoryStore, 'restore' | 'wasRebuilt'>>;
  /**
   * Loses the sale's state in the store (a wiped Redis). With `keepHoldRecords`, the records of
   * these holds survive while the rest goes: a partial, non-atomic loss (a SCAN-then-DEL, a
   * failover that kept some keys). A store that keeps a sale in one piece loses it whole.
   */
  loseSale(saleId: string, keepHoldRecords?: string[]): Promise<void>;
  /**
   * Loses one stripe of a striped sale (one Redis Cluster master's keys of it), the others kept;
   * absent for a store that does not stripe.
   */
  loseStripe?(saleId: string, stripe: number): Promise<void>;
}

type Subject = InventoryRebuildSubject;
/** A hold in flight of a rebuild's snapshot. */
type RestoredHold = NonNullable<InventorySnapshot['holds']>[number];

/** A hold in flight as the rebuild writes it back from its row. */
function restoredHold(
  hold: { reservationId: string; userId: string; idempotencyKey: string; quantity: number; heldAt: number },
  expiresAt: number,
): RestoredHold {
  return {
    reservationId: hold.reservationId,
    userId: hold.userId,
    idempotencyKey: hold.idempotencyKey,
    quantity: hold.quantity,
    seatIds: [],
    heldAt: hold.heldAt,
    expiresAt,
    fingerprint: reserveFingerprint({ userId: hold.userId, selection: units(hold.quantity) }),
  };
}

/** The source of truth's snapshot of a general-admission sale with these holds in flight. */
function truthWith(saleId: string, stock: number, holds: RestoredHold[]): InventorySnapshot {
  const perUser: Record<string, number> = {};
  for (const hold of holds) perUser[hold.userId] = (perUser[hold.userId] ?? 0) + hold.quantity;
  const held = holds.reduce((sum, hold) => sum + hold.quantity, 0);
  return { ...generalSnapshot(saleId, { stock }), available: stock - held, confirmedPerUser: perUser, holds };
}

export const inventoryRebuildChecks: readonly Check<Subject>[] = [
  {
    category: 'behaviour',
    name: 'restore loads a lost sale once, marks it rebuilt, and answers ALREADY_WARM while it is warm',
    async run({ inventory, loseSale }) {
      const saleId = await loadGeneralSale(inventory, { stock: 5 }, 'rb');
      expect(await inventory.wasRebuilt(saleId)).toBe(false);
      expect(await inventory.restore(generalSnapshot(saleId, { stock: 5 }))).toBe('ALREADY_WARM');
      await loseSale(saleId);
      expect(await inventory.isWarm(saleId)).toBe(false);
      const outcomes = await Promise.all(
        Array.from({ length: 5 }, () => inventory.restore(generalSnapshot(saleId, { stock: 5 }))),
      );
      expect(outcomes.filter((outcome) => outcome === 'RESTORED')).toHaveLength(1);
      expect(await inventory.wasRebuilt(saleId)).toBe(true);
      expect(await inventory.counts(saleId)).toMatchObject({ available: 5, held: 0, confirmed: 0 });
    },
  },
  {
    category: 'behaviour',
    name: 'a hold lost with the sale and not in the rebuild is gone, even when its record survived: no change finds it, the counts stay whole',
    async run({ inventory, loseSale }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 6 }, 'rb');
      const known = heldOf(await inventory.reserve(reserveRequest(saleId, 'known', units(2), now)));
      const lost = heldOf(await inventory.reserve(reserveRequest(saleId, 'lost', units(1), now)));
      // the partial loss keeps the lost hold's record; the truth knows only the first hold
      await loseSale(saleId, [lost.reservationId]);
      await inventory.restore(truthWith(saleId, 6, [restoredHold(known, known.expiresAt)]));

      expect(await inventory.getHold(saleId, lost.reservationId)).toBeNull();
      const owner = asOwner(lost, now + 1);
      expect(await inventory.confirm(owner)).toEqual({ ok: false, code: 'NOT_FOUND' });
      expect(await inventory.release(owner)).toEqual({ ok: false, code: 'NOT_FOUND' });
      expect(await inventory.extend({ ...owner, holdMs: 60_000 })).toEqual({ ok: false, code: 'NOT_FOUND' });
      expect(await inventory.compensate({ saleId, reservationId: lost.reservationId })).toEqual({
        ok: false,
        code: 'NOT_FOUND',
      });
      // its expiry changes nothing either
      expect(await inventory.expireDue({ saleId, now: lost.expiresAt + 1, limit: 10 })).toMatchObject([
        { reservationId: known.reservationId },
      ]);
      expect(await inventory.counts(saleId)).toMatchObject({ available: 6, held: 0, confirmed: 0 });
      await expectInvariant(inventory, saleId);
    },
  },
  {
    category: 'behaviour',
    name: 'a reserve with the id and key of a hold lost with the sale holds it afresh (the worker holds it again), once',
    async run({ inventory, loseSale }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 4 }, 'rb');
      const lost = heldOf(await inventory.reserve(reserveRequest(saleId, 'lost', units(1), now)));
      await loseSale(saleId, [lost.reservationId]);
      await inventory.restore(truthWith(saleId, 4, []));

      const again = reserveRequest(saleId, 'lost', units(1), now + 10, {
        reservationId: lost.reservationId,
        idempotencyKey: lost.idempotencyKey,
      });
      const outcomes = await Promise.all(Array.from({ length: 5 }, () => inventory.reserve(again)));
      expect(outcomes.filter((outcome) => outcome.ok && !outcome.replayed)).toHaveLength(1);
      for (const outcome of outcomes) {
        expect(outcome).toMatchObject({
          ok: true,
          hold: { reservationId: lost.reservationId, status: 'HELD' },
        });
      }
      expect(await inventory.counts(saleId)).toMatchObject({ available: 3, held: 1, confirmed: 0 });
      const confirmed = await inventory.confirm(asOwner(lost, now + 20));
      expect(confirmed).toMatchObject({ ok: true, hold: { status: 'CONFIRMED' } });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 3, held: 0, confirmed: 1 });
      await expectInvariant(inventory, saleId);
    },
  },
  {
    category: 'behaviour',
    name: 'a restored hold is its buyer’s: its key replays it, and it confirms and expires as any hold',
    async run({ inventory, loseSale }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 5 }, 'rb');
      const paying = heldOf(await inventory.reserve(reserveRequest(saleId, 'paying', units(2), now)));
      const idle = heldOf(await inventory.reserve(reserveRequest(saleId, 'idle', units(1), now)));
      await loseSale(saleId);
      await inventory.restore(
        truthWith(saleId, 5, [restoredHold(paying, now + 60_000), restoredHold(idle, now + 30_000)]),
      );
      expect(await inventory.counts(saleId)).toMatchObject({ available: 2, held: 3, confirmed: 0 });
      const replay = await inventory.reserve(
        reserveRequest(saleId, 'paying', units(2), now + 5, { idempotencyKey: paying.idempotencyKey }),
      );
      expect(replay).toMatchObject({
        ok: true,
        replayed: true,
        hold: { reservationId: paying.reservationId },
      });
      expect(await inventory.confirm(asOwner(paying, now + 10))).toMatchObject({ ok: true });
      expect(await inventory.expireDue({ saleId, now: now + 30_000, limit: 10 })).toMatchObject([
        { reservationId: idle.reservationId, status: 'EXPIRED' },
      ]);
      expect(await inventory.counts(saleId)).toMatchObject({ available: 3, held: 0, confirmed: 2 });
      await expectInvariant(inventory, saleId);
    },
  },
];

/** Checks of a striped store: a sale that lost one stripe is not warm until it is rebuilt whole. */
export const stripeLossChecks: readonly Check<Subject>[] = [
  {
    category: 'behaviour',
    name: 'a sale that lost one stripe is not warm, and restore rebuilds it whole from the truth',
    async run({ inventory, loseStripe }, { now }) {
      if (!loseStripe) throw new Error('this check needs loseStripe');
      const saleId = await loadGeneralSale(inventory, { stock: 30, ticketsPerUser: 2 }, 'rb');
      const holds = [];
      for (let i = 0; i < 12; i++) {
        holds.push(heldOf(await inventory.reserve(reserveRequest(saleId, `u${i}`, units(1), now))));
      }
      await loseStripe(saleId, 1);
      expect(await inventory.isWarm(saleId)).toBe(false);
      // the truth knows the first six holds; the rest come back from their events (held again)
      const known = holds.slice(0, 6).map((hold) => restoredHold(hold, hold.expiresAt));
      expect(await inventory.restore(truthWith(saleId, 30, known))).toBe('RESTORED');
      expect(await inventory.isWarm(saleId)).toBe(true);
      expect(await inventory.wasRebuilt(saleId)).toBe(true);
      expect(await inventory.counts(saleId)).toMatchObject({ initialStock: 30, available: 24, held: 6 });
      for (const hold of holds.slice(0, 6)) {
        expect(await inventory.getHold(saleId, hold.reservationId)).toMatchObject({ status: 'HELD' });
      }
      for (const hold of holds.slice(6)) {
        expect(await inventory.getHold(saleId, hold.reservationId)).toBeNull();
        const again = await inventory.reserve(
          reserveRequest(saleId, hold.userId, units(1), now + 1, {
            reservationId: hold.reservationId,
            idempotencyKey: hold.idempotencyKey,
          }),
        );
        expect(again).toMatchObject({ ok: true, replayed: false });
      }
      for (const hold of holds) {
        const confirmed = await inventory.confirm(asOwner(hold, now + 2));
        expect(confirmed).toMatchObject({ ok: true });
      }
      expect(await inventory.counts(saleId)).toMatchObject({ available: 18, held: 0, confirmed: 12 });
      await expectInvariant(inventory, saleId);
    },
  },
];

/**
 * Registers the rebuild checks (issue 20): `restore` loads a lost sale once, and a hold of before
 * the loss that the rebuild did not write back is gone, whatever a partial loss left of it, until a
 * reserve with its id holds it afresh. With `loseStripe`, the striped store's checks too.
 */
export function describeInventoryRebuild(name: string, factory: Factory<Subject>, striped = false): void {
  registerChecks(
    name,
    factory,
    striped ? [...inventoryRebuildChecks, ...stripeLossChecks] : inventoryRebuildChecks,
  );
}
