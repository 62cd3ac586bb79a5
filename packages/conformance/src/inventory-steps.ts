import type { HoldRecord, InventorySteps, InventoryStore, WaitingRoomStore } from '@seatrush/core';
import { reserveFingerprint } from '@seatrush/core/ports';
import { expect } from 'vitest';
import {
  assignedSnapshot,
  freshId,
  freshReservation,
  heldOf,
  loadAssignedSale,
  loadGeneralSale,
  reserveRequest,
  seats,
  units,
} from './fixtures';
import { type Check, expectValidationError, type Factory, registerChecks } from './harness';
import { expectInvariant } from './inventory-store';

/** The ports `describeInventorySteps` tests: the lock strategy's steps over the store's state. */
export interface InventoryStepsSubject {
  steps: InventorySteps;
  inventory: InventoryStore;
  waitingRoom: WaitingRoomStore;
}

type Subject = InventoryStepsSubject;

function newHold(
  saleId: string,
  userId: string,
  now: number,
  overrides: Partial<HoldRecord> = {},
): HoldRecord {
  return {
    ...freshReservation(saleId, userId),
    quantity: 1,
    seatIds: [],
    status: 'HELD',
    heldAt: now,
    expiresAt: now + 60_000,
    ...overrides,
  };
}

/** What the lock strategy does while it holds the sale's lock: take stock, then write the hold. */
async function lockedReserve(steps: InventorySteps, hold: HoldRecord, token: number): Promise<string> {
  const taken = await steps.takeStock(hold.saleId, hold.quantity, token);
  if (taken !== 'TAKEN') return taken;
  const written = await steps.writeHold(hold, `${hold.userId}|fp`, token);
  if (written !== 'HELD') await steps.returnStock(hold.saleId, hold.quantity);
  return written;
}

/** Every check of `describeInventorySteps`, exported so a suite's own tests can run them one by one. */
export const inventoryStepsChecks: readonly Check<Subject>[] = [
  {
    category: 'behaviour',
    name: 'reports warmth, a user’s units and seat states over the same state as reserve',
    async run({ steps, inventory }, { now }) {
      const saleId = freshId('as');
      expect(await steps.isWarm(saleId)).toBe(false);
      await inventory.load(assignedSnapshot(saleId, { confirmedSeatIds: ['B1'] }));
      expect(await steps.isWarm(saleId)).toBe(true);
      heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', seats('A1', 'A2'), now)));
      expect(await steps.unitsOfUser(saleId, 'u1')).toBe(2);
      expect(await steps.unitsOfUser(saleId, 'u2')).toBe(0);
      expect(await steps.seatStatesOf(saleId, ['A1', 'A3', 'B1', 'Z9'])).toEqual([
        'HELD',
        'AVAILABLE',
        'CONFIRMED',
        undefined,
      ]);
    },
  },
  {
    category: 'behaviour',
    name: 'finds the outcome stored under an idempotency key, and null for an unknown key',
    async run({ steps, inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory);
      const request = reserveRequest(saleId, 'u1', units(2), now);
      const hold = heldOf(await inventory.reserve(request));
      const found = await steps.findOutcome(saleId, request.idempotencyKey);
      expect(found?.hold).toEqual(hold);
      expect(found?.fingerprint).toBe(reserveFingerprint(request));
      expect(await steps.findOutcome(saleId, freshId('k'))).toBeNull();
    },
  },
  {
    category: 'behaviour',
    name: 'takes stock down to zero and answers SOLD_OUT without going below it',
    async run({ steps, inventory }) {
      const saleId = await loadGeneralSale(inventory, { stock: 5 });
      expect(await steps.takeStock(saleId, 3, 1)).toBe('TAKEN');
      expect(await steps.takeStock(saleId, 3, 1)).toBe('SOLD_OUT');
      expect((await inventory.counts(saleId)).available).toBe(2);
      expect(await steps.takeStock(saleId, 2, 1)).toBe('TAKEN');
      expect((await inventory.counts(saleId)).available).toBe(0);
      await steps.returnStock(saleId, 2);
      expect((await inventory.counts(saleId)).available).toBe(2);
    },
  },
  {
    category: 'behaviour',
    name: 'writes a hold that reserve, confirm, expiry and compensation all see',
    async run({ steps, inventory }, { now }) {
      const saleId = await loadAssignedSale(inventory);
      const request = reserveRequest(saleId, 'u1', seats('A1'), now, { holdMs: 1_000 });
      const hold = newHold(saleId, 'u1', now, {
        reservationId: request.reservationId,
        idempotencyKey: request.idempotencyKey,
        seatIds: ['A1'],
        expiresAt: now + 1_000,
      });
      expect(await steps.takeStock(saleId, 1, 7)).toBe('TAKEN');
      expect(await steps.writeHold(hold, reserveFingerprint(request), 7)).toBe('HELD');
      expect(await inventory.getHold(saleId, hold.reservationId)).toEqual(hold);
      expect(await inventory.counts(saleId)).toMatchObject({ available: 9, held: 1 });
      expect((await inventory.seatStates(saleId)).A1).toBe('HELD');
      // The atomic path replays a key the lock path wrote, and sees its seat as taken.
      const replay = await inventory.reserve({ ...request, reservationId: freshId('r') });
      expect(replay).toMatchObject({ ok: true, replayed: true, hold: { reservationId: hold.reservationId } });
      expect(await inventory.reserve(reserveRequest(saleId, 'u2', seats('A1'), now))).toMatchObject({
        ok: false,
        code: 'SEAT_TAKEN',
      });
      const expired = await inventory.expireDue({ saleId, now: now + 1_000, limit: 10 });
      expect(expired.map((h) => h.reservationId)).toEqual([hold.reservationId]);
      expect(await inventory.counts(saleId)).toMatchObject({ available: 10, held: 0 });
      await expectInvariant(inventory, saleId);
    },
  },
  {
    category: 'behaviour',
    name: 'answers SEAT_TAKEN and writes nothing when a seat of the hold is taken',
    async run({ steps, inventory }, { now }) {
      const saleId = await loadAssignedSale(inventory);
      heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', seats('A2'), now)));
      const hold = newHold(saleId, 'u2', now, { quantity: 2, seatIds: ['A1', 'A2'] });
      expect(await steps.takeStock(saleId, 2, 1)).toBe('TAKEN');
      expect(await steps.writeHold(hold, 'u2|fp', 1)).toBe('SEAT_TAKEN');
      await steps.returnStock(saleId, 2);
      expect(await inventory.getHold(saleId, hold.reservationId)).toBeNull();
      expect(await steps.findOutcome(saleId, hold.idempotencyKey)).toBeNull();
      expect(await steps.seatStatesOf(saleId, ['A1', 'A2'])).toEqual(['AVAILABLE', 'HELD']);
      expect(await steps.unitsOfUser(saleId, 'u2')).toBe(0);
      await expectInvariant(inventory, saleId);
    },
  },
  {
    category: 'behaviour',
    name: 'refuses a fencing token lower than the highest seen for the sale, changing nothing',
    async run({ steps, inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10 });
      expect(await steps.takeStock(saleId, 1, 5)).toBe('TAKEN');
      expect(await steps.takeStock(saleId, 1, 4)).toBe('STALE_TOKEN');
      expect((await inventory.counts(saleId)).available).toBe(9);
      const late = newHold(saleId, 'u1', now);
      expect(await steps.writeHold(late, 'u1|fp', 3)).toBe('STALE_TOKEN');
      expect(await inventory.getHold(saleId, late.reservationId)).toBeNull();
      expect(await steps.writeHold(late, 'u1|fp', 5)).toBe('HELD');
      expect(await steps.takeStock(saleId, 1, 6)).toBe('TAKEN');
      expect(await steps.takeStock(saleId, 1, 5)).toBe('STALE_TOKEN');
    },
  },
  {
    category: 'bad input',
    name: 'rejects invalid steps with a ValidationError and changes nothing',
    async run({ steps, inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10 });
      await expectValidationError(() => steps.takeStock(saleId, 0, 1));
      await expectValidationError(() => steps.takeStock(saleId, 1, -1));
      await expectValidationError(() => steps.takeStock('bad:id', 1, 1));
      await expectValidationError(() => steps.returnStock(saleId, -3));
      await expectValidationError(() =>
        steps.writeHold({ ...newHold(saleId, 'u1', now), quantity: 0 }, 'fp', 1),
      );
      await expectValidationError(() =>
        steps.writeHold({ ...newHold(saleId, 'u1', now), userId: 'a b' }, 'fp', 1),
      );
      expect(await inventory.counts(saleId)).toMatchObject({ available: 10, held: 0 });
    },
  },
  {
    category: 'concurrency',
    name: 'never takes more than the stock: 300 concurrent takeStock calls for 100 units',
    timeoutMs: 60_000,
    async run({ steps, inventory }) {
      const saleId = await loadGeneralSale(inventory, { stock: 100 });
      const answers = await Promise.all(Array.from({ length: 300 }, () => steps.takeStock(saleId, 1, 1)));
      expect(answers.filter((a) => a === 'TAKEN')).toHaveLength(100);
      expect(answers.filter((a) => a === 'SOLD_OUT')).toHaveLength(200);
      expect((await inventory.counts(saleId)).available).toBe(0);
    },
  },
  {
    category: 'concurrency',
    name: 'writes one hold per seat when 100 writers race for the same seat',
    timeoutMs: 60_000,
    async run({ steps, inventory }, { now }) {
      const saleId = await loadAssignedSale(inventory, { ticketsPerUser: 4 });
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          lockedReserve(steps, newHold(saleId, `u${i}`, now, { seatIds: ['B3'] }), 1),
        ),
      );
      expect(answers.filter((a) => a === 'HELD')).toHaveLength(1);
      expect(answers.filter((a) => a !== 'HELD' && a !== 'SEAT_TAKEN' && a !== 'SOLD_OUT')).toEqual([]);
      expect(await inventory.counts(saleId)).toMatchObject({ available: 9, held: 1 });
      await expectInvariant(inventory, saleId);
    },
  },
];

/**
 * Registers the InventorySteps conformance suite (the lock strategy's building blocks): each step's
 * behaviour, fencing, bad input, and concurrent steps over the same state as the atomic `reserve`.
 */
export function describeInventorySteps(name: string, factory: Factory<InventoryStepsSubject>): void {
  registerChecks(`InventorySteps conformance: ${name}`, factory, inventoryStepsChecks);
}
