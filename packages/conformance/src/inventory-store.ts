import type {
  HoldRecord,
  InventoryStore,
  InventoryTruth,
  ReserveRequest,
  WaitingRoomStore,
} from '@seatrush/core';
import { expect } from 'vitest';
import {
  asOwner,
  freshId,
  generalSnapshot,
  heldOf,
  loadAssignedSale,
  loadGeneralSale,
  reserveRequest,
  seatIds,
  seats,
  units,
} from './fixtures';
import { type Check, expectValidationError, type Factory, registerChecks } from './harness';
import { holdOutboxChecks } from './hold-outbox';
import { checkAgainstModel, wholeSaleModelPlan } from './inventory-model-run';

/** The ports `describeInventoryStore` tests: the store and the waiting room it checks admission in. */
export interface InventoryStoreSubject {
  inventory: InventoryStore;
  waitingRoom: WaitingRoomStore;
}

/** Asserts available + held + confirmed == initialStock and nothing is negative. */
export async function expectInvariant(inventory: InventoryStore, saleId: string): Promise<void> {
  const counts = await inventory.counts(saleId);
  expect(counts.available, 'available is never negative').toBeGreaterThanOrEqual(0);
  expect(counts.held).toBeGreaterThanOrEqual(0);
  expect(counts.confirmed).toBeGreaterThanOrEqual(0);
  expect(counts.available + counts.held + counts.confirmed, 'available + held + confirmed == initial').toBe(
    counts.initialStock,
  );
}

type Subject = InventoryStoreSubject;

/** The source of truth handed to `repair`: nothing sold or pending, unless `found` says otherwise. */
function truthOf(saleId: string, found: Partial<Omit<InventoryTruth, 'saleId'>> = {}): InventoryTruth {
  return { saleId, confirmedUnits: 0, confirmedSeatIds: [], pendingUnits: 0, pendingSeatIds: [], ...found };
}

/** Every check of `describeInventoryStore`, exported so a suite's own tests can run them one by one. */
export const inventoryStoreChecks: readonly Check<Subject>[] = [
  {
    category: 'behaviour',
    name: 'refuses SALE_NOT_WARM until the sale is loaded, then reports its counts',
    async run({ inventory }, { now }) {
      const saleId = freshId('ga');
      expect(await inventory.isWarm(saleId)).toBe(false);
      expect(await inventory.reserve(reserveRequest(saleId, 'u1', units(1), now))).toEqual({
        ok: false,
        code: 'SALE_NOT_WARM',
      });
      await inventory.load(generalSnapshot(saleId, { stock: 10 }));
      expect(await inventory.isWarm(saleId)).toBe(true);
      expect(await inventory.counts(saleId)).toEqual({
        saleId,
        initialStock: 10,
        available: 10,
        held: 0,
        confirmed: 0,
      });
    },
  },
  {
    category: 'behaviour',
    name: 'refuses every write to a sale that is not loaded with SALE_NOT_WARM, and writes nothing',
    async run({ inventory }, { now }) {
      const saleId = freshId('cold');
      const ref = { saleId, reservationId: freshId('r'), userId: 'u1', now };
      const refused = { ok: false, code: 'SALE_NOT_WARM' };
      expect(await inventory.reserve(reserveRequest(saleId, 'u1', units(1), now))).toEqual(refused);
      expect(await inventory.extend({ ...ref, holdMs: 1_000 })).toEqual(refused);
      expect(await inventory.release(ref)).toEqual(refused);
      expect(await inventory.confirm(ref)).toEqual(refused);
      expect(await inventory.compensate({ saleId, reservationId: ref.reservationId })).toEqual(refused);
      expect(await inventory.expireDue({ saleId, now: now + 1_000_000, limit: 10 })).toEqual([]);
      // nothing was made: the sale is still cold, with no counts and no hold
      expect(await inventory.isWarm(saleId)).toBe(false);
      await expect(inventory.counts(saleId)).rejects.toMatchObject({ code: 'UNKNOWN_SALE' });
      expect(await inventory.getHold(saleId, ref.reservationId)).toBeNull();
    },
  },
  {
    category: 'behaviour',
    name: 'holds general-admission units until now + holdMs and takes them from the stock',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10 });
      const request = reserveRequest(saleId, 'u1', units(3), now, { holdMs: 30_000 });
      const outcome = await inventory.reserve(request);
      expect(outcome).toEqual({
        ok: true,
        code: 'HELD',
        replayed: false,
        hold: {
          reservationId: request.reservationId,
          saleId,
          userId: 'u1',
          idempotencyKey: request.idempotencyKey,
          quantity: 3,
          seatIds: [],
          status: 'HELD',
          heldAt: now,
          expiresAt: now + 30_000,
        },
      });
      expect(await inventory.getHold(saleId, request.reservationId)).toEqual(heldOf(outcome));
      expect(await inventory.counts(saleId)).toMatchObject({ available: 7, held: 3, confirmed: 0 });
    },
  },
  {
    category: 'behaviour',
    name: 'holds named seats and marks them HELD; seatStates is empty for general admission',
    async run({ inventory }, { now }) {
      const saleId = await loadAssignedSale(inventory);
      const hold = heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', seats('A2', 'A1'), now)));
      expect([...hold.seatIds].sort()).toEqual(['A1', 'A2']);
      expect(hold.quantity).toBe(2);
      const states = await inventory.seatStates(saleId);
      expect(Object.keys(states).sort()).toEqual(seatIds().sort());
      expect(states.A1).toBe('HELD');
      expect(states.A2).toBe('HELD');
      expect(states.A3).toBe('AVAILABLE');
      expect(await inventory.counts(saleId)).toMatchObject({ available: 8, held: 2 });
      const general = await loadGeneralSale(inventory);
      expect(await inventory.seatStates(general)).toEqual({});
    },
  },
  {
    category: 'behaviour',
    name: 'returns the original outcome with replayed: true when the same key is replayed',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10 });
      const request = reserveRequest(saleId, 'u1', units(2), now);
      const original = heldOf(await inventory.reserve(request));
      // A retry carries the same key and payload; its reservation id and time may differ.
      const replay = await inventory.reserve({ ...request, reservationId: freshId('r'), now: now + 500 });
      expect(replay).toMatchObject({ ok: true, code: 'HELD', replayed: true });
      const replayed = heldOf(replay);
      expect(replayed.reservationId).toBe(original.reservationId);
      expect(replayed).toMatchObject({
        userId: 'u1',
        quantity: 2,
        heldAt: original.heldAt,
        idempotencyKey: request.idempotencyKey,
      });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 8, held: 2 });
      // Seat order does not make another request.
      const seated = await loadAssignedSale(inventory);
      const seatRequest = reserveRequest(seated, 'u1', seats('A1', 'B1'), now);
      const first = heldOf(await inventory.reserve(seatRequest));
      const again = await inventory.reserve({ ...seatRequest, selection: seats('B1', 'A1') });
      expect(heldOf(again).reservationId).toBe(first.reservationId);
    },
  },
  {
    category: 'behaviour',
    name: 'refuses IDEMPOTENCY_KEY_REUSED when a key comes back with another payload, changing nothing',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10 });
      const request = reserveRequest(saleId, 'u1', units(1), now);
      heldOf(await inventory.reserve(request));
      const before = await inventory.counts(saleId);
      for (const changed of [
        { ...request, reservationId: freshId('r'), selection: units(2) },
        { ...request, reservationId: freshId('r'), userId: 'u2' },
      ]) {
        expect(await inventory.reserve(changed)).toMatchObject({ ok: false, code: 'IDEMPOTENCY_KEY_REUSED' });
      }
      expect(await inventory.counts(saleId)).toEqual(before);
    },
  },
  {
    category: 'behaviour',
    name: 'requires a live admission from the waiting room when requireAdmission is true',
    async run({ inventory, waitingRoom }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10 });
      const ask = (at: number) =>
        inventory.reserve(reserveRequest(saleId, 'u1', units(1), at, { requireAdmission: true }));
      expect(await ask(now)).toEqual({ ok: false, code: 'NOT_ADMITTED' });
      await waitingRoom.join({ saleId, userId: 'u1', now });
      expect(await ask(now)).toEqual({ ok: false, code: 'NOT_ADMITTED' });
      await waitingRoom.admit({ saleId, max: 1, maxActive: 10, sessionMs: 10_000, now });
      heldOf(await ask(now + 1));
      // The admission lapses with its session.
      expect(await ask(now + 10_001)).toEqual({ ok: false, code: 'NOT_ADMITTED' });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 9, held: 1 });
    },
  },
  {
    category: 'behaviour',
    name: 'refuses WRONG_SELECTION and UNKNOWN_SEAT (naming the unknown seats)',
    async run({ inventory }, { now }) {
      const general = await loadGeneralSale(inventory);
      expect(await inventory.reserve(reserveRequest(general, 'u1', seats('A1'), now))).toMatchObject({
        ok: false,
        code: 'WRONG_SELECTION',
      });
      const assigned = await loadAssignedSale(inventory);
      expect(await inventory.reserve(reserveRequest(assigned, 'u1', units(1), now))).toMatchObject({
        ok: false,
        code: 'WRONG_SELECTION',
      });
      expect(await inventory.reserve(reserveRequest(assigned, 'u1', seats('A1', 'Z9'), now))).toEqual({
        ok: false,
        code: 'UNKNOWN_SEAT',
        seatIds: ['Z9'],
      });
      expect((await inventory.seatStates(assigned)).A1).toBe('AVAILABLE');
    },
  },
  {
    category: 'behaviour',
    name: 'refuses SEAT_TAKEN naming the taken seats, and holds none of the request',
    async run({ inventory }, { now }) {
      const saleId = await loadAssignedSale(inventory, { confirmedSeatIds: ['B5'] });
      heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', seats('A1'), now)));
      const outcome = await inventory.reserve(reserveRequest(saleId, 'u2', seats('A1', 'A2', 'B5'), now));
      expect(outcome).toMatchObject({ ok: false, code: 'SEAT_TAKEN' });
      expect(outcome.ok ? [] : [...(outcome.seatIds ?? [])].sort()).toEqual(['A1', 'B5']);
      expect(await inventory.seatStates(saleId)).toMatchObject({
        A1: 'HELD',
        A2: 'AVAILABLE',
        B5: 'CONFIRMED',
      });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 8, held: 1, confirmed: 1 });
    },
  },
  {
    category: 'behaviour',
    name: 'refuses LIMIT_EXCEEDED counting held and confirmed units, including those of the snapshot',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, {
        stock: 20,
        ticketsPerUser: 4,
        confirmedPerUser: { u9: 3 },
      });
      const first = heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', units(2), now)));
      expect((await inventory.confirm(asOwner(first, now))).ok).toBe(true);
      const second = heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', units(1), now)));
      expect(await inventory.reserve(reserveRequest(saleId, 'u1', units(2), now))).toMatchObject({
        ok: false,
        code: 'LIMIT_EXCEEDED',
      });
      heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', units(1), now)));
      expect(await inventory.reserve(reserveRequest(saleId, 'u9', units(2), now))).toMatchObject({
        ok: false,
        code: 'LIMIT_EXCEEDED',
      });
      // Giving a hold back gives its units back to the user's allowance.
      await inventory.release(asOwner(second, now));
      heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', units(1), now)));
    },
  },
  {
    category: 'behaviour',
    name: 'refuses SOLD_OUT when fewer units are left than asked, and sells down to exactly zero',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 5, ticketsPerUser: 10 });
      heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', units(3), now)));
      expect(await inventory.reserve(reserveRequest(saleId, 'u2', units(3), now))).toMatchObject({
        ok: false,
        code: 'SOLD_OUT',
      });
      heldOf(await inventory.reserve(reserveRequest(saleId, 'u2', units(2), now)));
      expect(await inventory.reserve(reserveRequest(saleId, 'u3', units(1), now))).toMatchObject({
        ok: false,
        code: 'SOLD_OUT',
      });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 0, held: 5 });
    },
  },
  {
    category: 'behaviour',
    name: 'lets only the owner extend, release or confirm a hold',
    async run({ inventory }, { now }) {
      const saleId = await loadAssignedSale(inventory);
      const hold = heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', seats('A1'), now)));
      const ref = { saleId, reservationId: hold.reservationId, now: now + 10 };
      expect(await inventory.extend({ ...ref, userId: 'u2', holdMs: 1_000 })).toEqual({
        ok: false,
        code: 'NOT_OWNER',
      });
      expect(await inventory.release({ ...ref, userId: 'u2' })).toEqual({ ok: false, code: 'NOT_OWNER' });
      expect(await inventory.confirm({ ...ref, userId: 'u2' })).toEqual({ ok: false, code: 'NOT_OWNER' });
      const missing = { saleId, reservationId: freshId('r'), userId: 'u1', now };
      expect(await inventory.extend({ ...missing, holdMs: 1_000 })).toEqual({ ok: false, code: 'NOT_FOUND' });
      expect(await inventory.release(missing)).toEqual({ ok: false, code: 'NOT_FOUND' });
      expect(await inventory.confirm(missing)).toEqual({ ok: false, code: 'NOT_FOUND' });
      expect(await inventory.getHold(saleId, missing.reservationId)).toBeNull();
      expect(await inventory.getHold(saleId, hold.reservationId)).toEqual(hold);
      expect((await inventory.seatStates(saleId)).A1).toBe('HELD');
    },
  },
  {
    category: 'behaviour',
    name: 'extends a live hold to now + holdMs',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory);
      const hold = heldOf(
        await inventory.reserve(reserveRequest(saleId, 'u1', units(1), now, { holdMs: 1_000 })),
      );
      const extended = await inventory.extend({ ...asOwner(hold, now + 900), holdMs: 5_000 });
      expect(extended).toMatchObject({ ok: true, hold: { status: 'HELD', expiresAt: now + 5_900 } });
      expect(await inventory.expireDue({ saleId, now: now + 1_500, limit: 10 })).toEqual([]);
      expect((await inventory.getHold(saleId, hold.reservationId))?.expiresAt).toBe(now + 5_900);
    },
  },
  {
    category: 'behaviour',
    name: 'releases a hold: stock and seat come back; its idempotency key answers the released hold',
    async run({ inventory }, { now }) {
      const saleId = await loadAssignedSale(inventory);
      const request = reserveRequest(saleId, 'u1', seats('A1', 'A2'), now);
      const hold = heldOf(await inventory.reserve(request));
      const released = await inventory.release(asOwner(hold, now));
      expect(released).toMatchObject({ ok: true, hold: { status: 'RELEASED' } });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 10, held: 0 });
      expect((await inventory.seatStates(saleId)).A1).toBe('AVAILABLE');
      expect(await inventory.release(asOwner(hold, now))).toEqual({
        ok: false,
        code: 'NOT_HELD',
      });
      // the key stays spent: a replay answers the released hold, and nothing is held again
      const again = await inventory.reserve({ ...request, reservationId: freshId('r') });
      expect(again).toMatchObject({
        ok: true,
        replayed: true,
        hold: { reservationId: hold.reservationId, status: 'RELEASED' },
      });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 10, held: 0 });
    },
  },
  {
    category: 'behaviour',
    name: 'confirms a hold for good: held units become confirmed and never expire',
    async run({ inventory }, { now }) {
      const saleId = await loadAssignedSale(inventory);
      const hold = heldOf(
        await inventory.reserve(reserveRequest(saleId, 'u1', seats('B1'), now, { holdMs: 1_000 })),
      );
      const confirmed = await inventory.confirm(asOwner(hold, now + 999));
      expect(confirmed).toMatchObject({ ok: true, hold: { status: 'CONFIRMED' } });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 9, held: 0, confirmed: 1 });
      expect((await inventory.seatStates(saleId)).B1).toBe('CONFIRMED');
      expect(await inventory.expireDue({ saleId, now: now + 10_000, limit: 10 })).toEqual([]);
      expect(await inventory.confirm(asOwner(hold, now))).toEqual({
        ok: false,
        code: 'NOT_HELD',
      });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 9, held: 0, confirmed: 1 });
    },
  },
  {
    category: 'behaviour',
    name: 'compensates once: stock and seats come back, a second call reports restored: false',
    async run({ inventory }, { now }) {
      const saleId = await loadAssignedSale(inventory);
      const request = reserveRequest(saleId, 'u1', seats('A3'), now);
      const held = heldOf(await inventory.reserve(request));
      const first = await inventory.compensate({ saleId, reservationId: held.reservationId });
      expect(first).toMatchObject({ ok: true, restored: true, hold: { status: 'COMPENSATED' } });
      const second = await inventory.compensate({ saleId, reservationId: held.reservationId });
      expect(second).toMatchObject({ ok: true, restored: false });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 10, held: 0, confirmed: 0 });
      expect((await inventory.seatStates(saleId)).A3).toBe('AVAILABLE');
      // Its key stays spent: the same request answers the compensated hold and holds nothing.
      expect(await inventory.reserve({ ...request, reservationId: freshId('r') })).toMatchObject({
        ok: true,
        replayed: true,
        hold: { reservationId: held.reservationId, status: 'COMPENSATED' },
      });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 10, held: 0 });
      expect(await inventory.compensate({ saleId, reservationId: freshId('r') })).toEqual({
        ok: false,
        code: 'NOT_FOUND',
      });
    },
  },
  {
    category: 'behaviour',
    name: 'compensates a confirmed reservation (refund): confirmed units return to the stock',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10 });
      const hold = heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', units(2), now)));
      await inventory.confirm(asOwner(hold, now));
      expect(await inventory.compensate({ saleId, reservationId: hold.reservationId })).toMatchObject({
        ok: true,
        restored: true,
      });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 10, held: 0, confirmed: 0 });
    },
  },
  {
    category: 'behaviour',
    name: 'repairs counts and seats from the source of truth',
    async run({ inventory }, { now }) {
      const saleId = await loadAssignedSale(inventory, { confirmedSeatIds: ['A1'] });
      heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', seats('B1', 'B2'), now)));
      // The truth: A1 was refunded, A4 and A5 were sold.
      const { before, after } = await inventory.repair(
        truthOf(saleId, { confirmedUnits: 2, confirmedSeatIds: ['A4', 'A5'] }),
      );
      expect(before).toMatchObject({ available: 7, held: 2, confirmed: 1 });
      expect(after).toEqual({ saleId, initialStock: 10, available: 6, held: 2, confirmed: 2 });
      expect(await inventory.counts(saleId)).toEqual(after);
      expect(await inventory.seatStates(saleId)).toMatchObject({
        A1: 'AVAILABLE',
        A4: 'CONFIRMED',
        A5: 'CONFIRMED',
        B1: 'HELD',
      });
    },
  },
  {
    category: 'behaviour',
    name: 'a repair keeps units confirmed here that are still pending in the truth (paid, not yet recorded)',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10 });
      const hold = heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', units(2), now)));
      await inventory.confirm(asOwner(hold, now));
      // the worker confirmed the hold; PostgreSQL still has the reservation PAYMENT_PENDING
      const { after } = await inventory.repair(truthOf(saleId, { pendingUnits: 2 }));
      expect(after).toEqual({ saleId, initialStock: 10, available: 8, held: 0, confirmed: 2 });
      expect(await inventory.counts(saleId)).toEqual(after);
    },
  },
  {
    category: 'behaviour',
    name: 'a repair frees units confirmed here that are neither sold nor pending, and keeps every hold',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10 });
      const sold = heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', units(3), now)));
      await inventory.confirm(asOwner(sold, now));
      const live = heldOf(await inventory.reserve(reserveRequest(saleId, 'u2', units(2), now)));
      // the truth: 1 unit sold, 1 pending; the third confirmed unit was never bought
      const { before, after } = await inventory.repair(
        truthOf(saleId, { confirmedUnits: 1, pendingUnits: 1 }),
      );
      expect(before).toMatchObject({ available: 5, held: 2, confirmed: 3 });
      expect(after).toEqual({ saleId, initialStock: 10, available: 6, held: 2, confirmed: 2 });
      expect(await inventory.getHold(saleId, live.reservationId)).toMatchObject({ status: 'HELD' });
      // the hold still ends normally and gives its units back once
      await inventory.release({ saleId, reservationId: live.reservationId, userId: 'u2', now });
      expect(await inventory.counts(saleId)).toEqual({
        saleId,
        initialStock: 10,
        available: 8,
        held: 0,
        confirmed: 2,
      });
    },
  },
  {
    category: 'behaviour',
    name: 'a repair raises confirmed units below the truth, never into a live hold',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10 });
      heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', units(4), now)));
      // the store lost 3 sold units (it would sell them again)
      const raised = await inventory.repair(truthOf(saleId, { confirmedUnits: 3, pendingUnits: 1 }));
      expect(raised.after).toEqual({ saleId, initialStock: 10, available: 3, held: 4, confirmed: 3 });
      // a truth that does not fit beside the live holds: the held units stay held
      const crowded = await inventory.repair(truthOf(saleId, { confirmedUnits: 8 }));
      expect(crowded.after).toEqual({ saleId, initialStock: 10, available: 0, held: 4, confirmed: 6 });
    },
  },
  {
    category: 'behaviour',
    name: 'a repair keeps the seats of pending reservations, confirmed or held, and frees a seat nobody bought',
    async run({ inventory }, { now }) {
      const saleId = await loadAssignedSale(inventory, { confirmedSeatIds: ['A1'] });
      const paid = heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', seats('A2'), now)));
      await inventory.confirm(asOwner(paid, now));
      heldOf(await inventory.reserve(reserveRequest(saleId, 'u2', seats('A3'), now)));
      // the truth: A4 sold; A2 and A3 pending; A1 was never bought
      const { after } = await inventory.repair(
        truthOf(saleId, {
          confirmedUnits: 1,
          confirmedSeatIds: ['A4'],
          pendingUnits: 2,
          pendingSeatIds: ['A2', 'A3'],
        }),
      );
      expect(await inventory.seatStates(saleId)).toMatchObject({
        A1: 'AVAILABLE',
        A2: 'CONFIRMED',
        A3: 'HELD',
        A4: 'CONFIRMED',
      });
      expect(after).toEqual({ saleId, initialStock: 10, available: 7, held: 1, confirmed: 2 });
      // A2 cannot be held again
      expect(await inventory.reserve(reserveRequest(saleId, 'u3', seats('A2'), now))).toMatchObject({
        ok: false,
        code: 'SEAT_TAKEN',
      });
    },
  },
  {
    category: 'behaviour',
    name: 'a repair keeps what was confirmed after the caller read the store (the truth may not know it)',
    async run({ inventory }, { now }) {
      const saleId = await loadAssignedSale(inventory, { confirmedSeatIds: ['A1'] });
      const late = heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', seats('A2'), now)));
      // the reconciler reads the store: A1 confirmed (nobody bought it), A2 held
      const observed = await inventory.counts(saleId);
      expect(observed).toMatchObject({ held: 1, confirmed: 1 });
      // then the truth, which does not know u1's reservation yet; the worker then inserts and
      // confirms it before the repair runs
      await inventory.confirm(asOwner(late, now));
      const { after } = await inventory.repair(
        truthOf(saleId, { observedConfirmed: observed.confirmed, observedConfirmedSeatIds: ['A1'] }),
      );
      expect(await inventory.seatStates(saleId)).toMatchObject({ A1: 'AVAILABLE', A2: 'CONFIRMED' });
      expect(after).toEqual({ saleId, initialStock: 10, available: 9, held: 0, confirmed: 1 });
    },
  },
  {
    category: 'behaviour',
    name: 'a repair keeps units confirmed after the caller read the store (general admission)',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10, confirmedPerUser: { u0: 2 } });
      const late = heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', units(3), now)));
      const observed = await inventory.counts(saleId);
      expect(observed).toMatchObject({ held: 3, confirmed: 2 });
      await inventory.confirm(asOwner(late, now));
      // the truth read in between: u0's 2 units were refunded, u1's reservation not yet inserted
      const { after } = await inventory.repair(truthOf(saleId, { observedConfirmed: observed.confirmed }));
      expect(after).toEqual({ saleId, initialStock: 10, available: 7, held: 0, confirmed: 3 });
    },
  },
  {
    category: 'behaviour',
    name: 'replaces a sale when it is loaded again',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10 });
      heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', units(2), now)));
      await inventory.load(generalSnapshot(saleId, { stock: 4 }));
      expect(await inventory.counts(saleId)).toEqual({
        saleId,
        initialStock: 4,
        available: 4,
        held: 0,
        confirmed: 0,
      });
    },
  },
  {
    category: 'expiry',
    name: 'expires each due hold exactly once, returning its stock and seats',
    async run({ inventory }, { now }) {
      const saleId = await loadAssignedSale(inventory);
      const short = heldOf(
        await inventory.reserve(reserveRequest(saleId, 'u1', seats('A1'), now, { holdMs: 1_000 })),
      );
      const long = heldOf(
        await inventory.reserve(reserveRequest(saleId, 'u2', seats('A2'), now, { holdMs: 5_000 })),
      );
      expect(await inventory.expireDue({ saleId, now: now + 999, limit: 10 })).toEqual([]);
      const expired = await inventory.expireDue({ saleId, now: now + 1_000, limit: 10 });
      expect(expired.map((h) => h.reservationId)).toEqual([short.reservationId]);
      expect(expired[0]).toMatchObject({ status: 'EXPIRED', seatIds: ['A1'], userId: 'u1' });
      expect(await inventory.expireDue({ saleId, now: now + 1_000, limit: 10 })).toEqual([]);
      expect((await inventory.seatStates(saleId)).A1).toBe('AVAILABLE');
      expect(await inventory.counts(saleId)).toMatchObject({ available: 9, held: 1 });
      expect((await inventory.getHold(saleId, long.reservationId))?.status).toBe('HELD');
      expect((await inventory.getHold(saleId, short.reservationId))?.status).toBe('EXPIRED');
    },
  },
  {
    category: 'expiry',
    name: 'expires at most `limit` holds per call, the earliest first',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10 });
      const holds: HoldRecord[] = [];
      for (let i = 0; i < 5; i += 1) {
        const request = reserveRequest(saleId, `u${i}`, units(1), now, { holdMs: 1_000 + i * 100 });
        holds.push(heldOf(await inventory.reserve(request)));
      }
      const first = await inventory.expireDue({ saleId, now: now + 10_000, limit: 2 });
      expect(first.map((h) => h.reservationId)).toEqual(holds.slice(0, 2).map((h) => h.reservationId));
      const rest = await inventory.expireDue({ saleId, now: now + 10_000, limit: 10 });
      expect(rest.map((h) => h.reservationId).sort()).toEqual(
        holds
          .slice(2)
          .map((h) => h.reservationId)
          .sort(),
      );
      expect(await inventory.counts(saleId)).toMatchObject({ available: 10, held: 0 });
    },
  },
  {
    category: 'expiry',
    name: 'refuses EXPIRED to extend, release or confirm a hold past its expiry, swept or not',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10 });
      const hold = heldOf(
        await inventory.reserve(reserveRequest(saleId, 'u1', units(1), now, { holdMs: 1_000 })),
      );
      const late = asOwner(hold, now + 1_001);
      expect(await inventory.confirm(late)).toEqual({ ok: false, code: 'EXPIRED' });
      expect(await inventory.extend({ ...late, holdMs: 10_000 })).toEqual({ ok: false, code: 'EXPIRED' });
      expect(await inventory.release(late)).toEqual({ ok: false, code: 'EXPIRED' });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 9, held: 1, confirmed: 0 });
      await inventory.expireDue({ saleId, now: now + 1_001, limit: 10 });
      expect(await inventory.confirm(late)).toMatchObject({ ok: false });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 10, held: 0, confirmed: 0 });
    },
  },
  {
    category: 'expiry',
    name: 'does not give an expired hold back twice when it is compensated later',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10 });
      const hold = heldOf(
        await inventory.reserve(reserveRequest(saleId, 'u1', units(2), now, { holdMs: 1_000 })),
      );
      await inventory.expireDue({ saleId, now: now + 2_000, limit: 10 });
      expect(await inventory.compensate({ saleId, reservationId: hold.reservationId })).toMatchObject({
        ok: true,
        restored: false,
      });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 10, held: 0, confirmed: 0 });
    },
  },
  {
    category: 'bad input',
    name: 'rejects an invalid reserve request with a ValidationError and changes nothing',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10 });
      const good = reserveRequest(saleId, 'u1', units(1), now);
      const bad: unknown[] = [
        { ...good, saleId: 'evt:{42}' },
        { ...good, userId: '' },
        { ...good, selection: units(0) },
        { ...good, selection: { kind: 'seats', seatIds: [] } },
        { ...good, holdMs: -5 },
        { ...good, now: 1.5 },
        { ...good, idempotencyKey: 'has space' },
        { ...good, requireAdmission: 'yes' },
      ];
      for (const request of bad)
        await expectValidationError(() => inventory.reserve(request as ReserveRequest));
      const error = await expectValidationError(() =>
        inventory.reserve({ ...good, userId: 'a b', holdMs: 0 } as ReserveRequest),
      );
      expect(error.issues.length, 'every problem is listed').toBeGreaterThanOrEqual(2);
      expect(await inventory.counts(saleId)).toMatchObject({ available: 10, held: 0 });
      // The key of a rejected request was not recorded.
      expect(await inventory.reserve(good)).toMatchObject({ ok: true, replayed: false });
    },
  },
  {
    category: 'bad input',
    name: 'rejects an invalid snapshot, hold change or truth with a ValidationError',
    async run({ inventory }, { now }) {
      const saleId = freshId('ga');
      await expectValidationError(() => inventory.load({ ...generalSnapshot(saleId), available: -1 }));
      await expectValidationError(() => inventory.load({ ...generalSnapshot(saleId), saleId: 'bad id' }));
      expect(await inventory.isWarm(saleId)).toBe(false);
      await inventory.load(generalSnapshot(saleId));
      const hold = heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', units(1), now)));
      const ref = asOwner(hold, now);
      await expectValidationError(() => inventory.extend({ ...ref, holdMs: 0 }));
      await expectValidationError(() => inventory.release({ ...ref, userId: 'x:y' }));
      await expectValidationError(() => inventory.confirm({ ...ref, now: -1 }));
      await expectValidationError(() => inventory.expireDue({ saleId, now, limit: 0 }));
      const truth = truthOf(saleId);
      await expectValidationError(() => inventory.repair({ ...truth, confirmedUnits: -1 }));
      await expectValidationError(() => inventory.repair({ ...truth, pendingUnits: -1 }));
      await expectValidationError(() => inventory.repair({ ...truth, observedConfirmed: 0.5 }));
      await expectValidationError(() =>
        inventory.repair({ ...truth, pendingSeatIds: undefined } as unknown as typeof truth),
      );
      expect(await inventory.getHold(saleId, hold.reservationId)).toEqual(hold);
      expect(await inventory.counts(saleId)).toMatchObject({ available: 9, held: 1 });
    },
  },
  {
    category: 'concurrency',
    name: 'never sells more than the stock: 300 concurrent buyers for 100 units',
    timeoutMs: 60_000,
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 100 });
      const requests = Array.from({ length: 300 }, (_, i) => reserveRequest(saleId, `u${i}`, units(1), now));
      const outcomes = await Promise.all(requests.map((r) => inventory.reserve(r)));
      const held = outcomes.filter((o) => o.ok);
      const soldOut = outcomes.filter((o) => !o.ok && o.code === 'SOLD_OUT');
      expect(held.length + soldOut.length, 'every request has exactly one outcome').toBe(300);
      expect(held).toHaveLength(100);
      expect(new Set(held.map((o) => (o.ok ? o.hold.reservationId : ''))).size).toBe(100);
      expect(await inventory.counts(saleId)).toMatchObject({ available: 0, held: 100, confirmed: 0 });
      await expectInvariant(inventory, saleId);
    },
  },
  {
    category: 'concurrency',
    name: 'never holds a seat twice: 200 concurrent buyers of overlapping seat pairs',
    timeoutMs: 60_000,
    async run({ inventory }, { now }) {
      const saleId = await loadAssignedSale(inventory, { rows: 4, perRow: 5, ticketsPerUser: 10 });
      const all = seatIds(4, 5);
      const requests = Array.from({ length: 200 }, (_, i) => {
        const a = all[(i * 7) % all.length] as string;
        const b = all[(i * 7 + 1 + (i % 5)) % all.length] as string;
        return reserveRequest(saleId, `u${i}`, seats(a, b), now);
      });
      const outcomes = await Promise.all(requests.map((r) => inventory.reserve(r)));
      const owner = new Map<string, string>();
      for (const outcome of outcomes) {
        if (!outcome.ok) {
          expect(['SEAT_TAKEN', 'SOLD_OUT']).toContain(outcome.code);
          continue;
        }
        for (const seat of outcome.hold.seatIds) {
          expect(owner.get(seat), `seat ${seat} held twice`).toBeUndefined();
          owner.set(seat, outcome.hold.reservationId);
        }
      }
      const states = await inventory.seatStates(saleId);
      const heldSeats = Object.entries(states)
        .filter(([, state]) => state === 'HELD')
        .map(([id]) => id);
      expect(heldSeats.sort()).toEqual([...owner.keys()].sort());
      expect(await inventory.counts(saleId)).toMatchObject({ held: owner.size, available: 20 - owner.size });
      await expectInvariant(inventory, saleId);
    },
  },
  {
    category: 'behaviour',
    name: 'a key whose hold ended (released, compensated, expired) answers that hold, replayed, even once another buyer has its seat',
    async run({ inventory }, { now }) {
      const saleId = await loadAssignedSale(inventory);
      const ended = async (seat: string, end: (hold: HoldRecord) => Promise<unknown>, status: string) => {
        const request = reserveRequest(saleId, 'u1', seats(seat), now, { holdMs: 1_000 });
        const hold = heldOf(await inventory.reserve(request));
        await end(hold);
        // the seat came back and another buyer took it
        heldOf(await inventory.reserve(reserveRequest(saleId, 'u2', seats(seat), now + 1_500)));
        const replay = await inventory.reserve({ ...request, reservationId: freshId('r'), now: now + 1_600 });
        expect(replay, `a replay after the hold was ${status}`).toMatchObject({
          ok: true,
          code: 'HELD',
          replayed: true,
          hold: { reservationId: hold.reservationId, userId: 'u1', seatIds: [seat], status },
        });
      };
      const ref = (hold: HoldRecord) => ({ saleId, reservationId: hold.reservationId });
      await ended('A1', (h) => inventory.release({ ...ref(h), userId: 'u1', now: now + 1 }), 'RELEASED');
      await ended('A2', (h) => inventory.compensate(ref(h)), 'COMPENSATED');
      await ended('A3', () => inventory.expireDue({ saleId, now: now + 1_000, limit: 10 }), 'EXPIRED');
      // the replays held nothing: u1 has no units, u2 holds the three seats
      expect(await inventory.counts(saleId)).toMatchObject({ available: 7, held: 3, confirmed: 0 });
      expect(await inventory.seatStates(saleId)).toMatchObject({ A1: 'HELD', A2: 'HELD', A3: 'HELD' });
      await expectInvariant(inventory, saleId);
    },
  },
  {
    category: 'concurrency',
    name: 'replays racing the compensation of their hold and 20 buyers for its seat all answer that hold, never SEAT_TAKEN',
    timeoutMs: 60_000,
    async run({ inventory }, { now }) {
      const saleId = await loadAssignedSale(inventory);
      const request = reserveRequest(saleId, 'u1', seats('B1'), now);
      const hold = heldOf(await inventory.reserve(request));
      const replay = () => inventory.reserve({ ...request, reservationId: freshId('r'), now: now + 1 });
      const [replays, compensated, buyers] = await Promise.all([
        Promise.all(Array.from({ length: 40 }, replay)),
        inventory.compensate({ saleId, reservationId: hold.reservationId }),
        Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            inventory.reserve(reserveRequest(saleId, `buyer${i}`, seats('B1'), now + 1)),
          ),
        ),
        Promise.all(Array.from({ length: 40 }, replay)),
      ]).then(([early, compensation, others, late]) => [[...early, ...late], compensation, others] as const);
      expect(compensated).toMatchObject({ ok: true, restored: true });
      for (const outcome of replays) {
        expect(outcome).toMatchObject({
          ok: true,
          replayed: true,
          hold: { reservationId: hold.reservationId },
        });
        expect(['HELD', 'COMPENSATED']).toContain(heldOf(outcome).status);
      }
      // after the race, a replay says what the hold became
      expect(heldOf(await replay()).status).toBe('COMPENSATED');
      // at most one other buyer got the seat once it came back; u1 holds nothing
      expect(buyers.filter((o) => o.ok)).toHaveLength(buyers.some((o) => o.ok) ? 1 : 0);
      const taken = buyers.some((o) => o.ok) ? 1 : 0;
      expect(await inventory.counts(saleId)).toMatchObject({ available: 10 - taken, held: taken });
      await expectInvariant(inventory, saleId);
    },
  },
  {
    category: 'concurrency',
    name: 'holds once for 100 concurrent requests with the same idempotency key; the rest replay it',
    timeoutMs: 60_000,
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10 });
      const request = reserveRequest(saleId, 'u1', units(2), now);
      const outcomes = await Promise.all(
        Array.from({ length: 100 }, () => inventory.reserve({ ...request, reservationId: freshId('r') })),
      );
      const holds = outcomes.map(heldOf);
      expect(new Set(holds.map((h) => h.reservationId)).size).toBe(1);
      expect(outcomes.filter((o) => o.ok && !o.replayed)).toHaveLength(1);
      expect(await inventory.counts(saleId)).toMatchObject({ available: 8, held: 2 });
    },
  },
  {
    category: 'concurrency',
    name: 'keeps the per-user limit under 60 concurrent requests of one user',
    timeoutMs: 60_000,
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 100, ticketsPerUser: 4 });
      const outcomes = await Promise.all(
        Array.from({ length: 60 }, () => inventory.reserve(reserveRequest(saleId, 'greedy', units(1), now))),
      );
      expect(outcomes.filter((o) => o.ok)).toHaveLength(4);
      expect(outcomes.filter((o) => !o.ok && o.code === 'LIMIT_EXCEEDED')).toHaveLength(56);
      expect(await inventory.counts(saleId)).toMatchObject({ available: 96, held: 4 });
    },
  },
  {
    category: 'concurrency',
    name: 'returns each expired hold once to 6 racing sweepers',
    timeoutMs: 60_000,
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 100, ticketsPerUser: 100 });
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          inventory.reserve(reserveRequest(saleId, `u${i}`, units(1), now, { holdMs: 1_000 })),
        ),
      );
      const batches = await Promise.all(
        Array.from({ length: 6 }, () => inventory.expireDue({ saleId, now: now + 2_000, limit: 25 })),
      );
      const more = await inventory.expireDue({ saleId, now: now + 2_000, limit: 100 });
      const ids = [...batches.flat(), ...more].map((h) => h.reservationId);
      expect(ids).toHaveLength(60);
      expect(new Set(ids).size, 'no hold expired twice').toBe(60);
      expect(await inventory.counts(saleId)).toMatchObject({ available: 100, held: 0 });
    },
  },
  {
    category: 'concurrency',
    name: 'restores a reservation once under 30 concurrent compensations',
    timeoutMs: 60_000,
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10 });
      const hold = heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', units(3), now)));
      const outcomes = await Promise.all(
        Array.from({ length: 30 }, () => inventory.compensate({ saleId, reservationId: hold.reservationId })),
      );
      expect(outcomes.filter((o) => o.ok && o.restored)).toHaveLength(1);
      expect(await inventory.counts(saleId)).toMatchObject({ available: 10, held: 0 });
    },
  },
  {
    category: 'concurrency',
    name: 'keeps the invariant through a storm of mixed concurrent operations',
    timeoutMs: 60_000,
    async run({ inventory }, { now }) {
      const saleId = await loadAssignedSale(inventory, { rows: 4, perRow: 5, ticketsPerUser: 4 });
      const all = seatIds(4, 5);
      const first = await Promise.all(
        Array.from({ length: 120 }, (_, i) =>
          inventory.reserve(
            reserveRequest(saleId, `u${i % 30}`, seats(all[i % 20] as string), now, {
              holdMs: 1_000 + (i % 3) * 1_000,
            }),
          ),
        ),
      );
      const holds = first.flatMap((o) => (o.ok ? [o.hold] : []));
      await Promise.all([
        ...holds.map((h, i) => {
          const ref = { saleId, reservationId: h.reservationId, userId: h.userId, now: now + 500 };
          if (i % 4 === 0) return inventory.confirm(ref);
          if (i % 4 === 1) return inventory.release(ref);
          if (i % 4 === 2) return inventory.compensate({ saleId, reservationId: h.reservationId });
          return inventory.extend({ ...ref, holdMs: 10_000 });
        }),
        inventory.expireDue({ saleId, now: now + 2_500, limit: 100 }),
        ...Array.from({ length: 60 }, (_, i) =>
          inventory.reserve(reserveRequest(saleId, `v${i}`, seats(all[i % 20] as string), now + 600)),
        ),
      ]);
      await expectInvariant(inventory, saleId);
      const counts = await inventory.counts(saleId);
      const states = Object.values(await inventory.seatStates(saleId));
      expect(states.filter((s) => s === 'HELD')).toHaveLength(counts.held);
      expect(states.filter((s) => s === 'CONFIRMED')).toHaveLength(counts.confirmed);
    },
  },
  {
    category: 'model',
    name: 'agrees with the reference model on random command sequences (general admission and seats)',
    timeoutMs: 120_000,
    async run({ inventory }) {
      await checkAgainstModel(inventory, wholeSaleModelPlan);
    },
  },
];

/**
 * Registers the InventoryStore conformance suite: behaviour, expiry driven by `now`, bad input,
 * concurrency (hundreds of concurrent calls, then the invariants) and a model-based check.
 *
 * @param name what is under test, e.g. "RedisInventoryStore"
 * @param factory fresh, isolated ports for each test
 */
export function describeInventoryStore(name: string, factory: Factory<InventoryStoreSubject>): void {
  registerChecks(`InventoryStore conformance: ${name}`, factory, [
    ...inventoryStoreChecks,
    ...holdOutboxChecks,
  ]);
}
