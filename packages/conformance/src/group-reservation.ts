import type {
  GroupFallback,
  GroupReserveOutcome,
  GroupReserveRequest,
  HoldRecord,
  InventoryStore,
  WaitingRoomStore,
} from '@seatrush/core';
import { expect } from 'vitest';
import {
  asOwner,
  freshId,
  freshReservation,
  generalSnapshot,
  loadAssignedSale,
  reserveRequest,
  seatIds,
  startOfTest,
} from './fixtures';
import { type Check, expectValidationError, type Factory, registerChecks } from './harness';
import { expectInvariant } from './inventory-store';

/** The ports `describeGroupReservation` tests: a store with `reserveGroup`, and its waiting room. */
export interface GroupReservationSubject {
  inventory: InventoryStore;
  waitingRoom: WaitingRoomStore;
}

/** The seat map's rows as the fixtures name them: `[[A1…A<perRow>], [B1…], …]`. */
export function candidateRows(rows: number, perRow: number): string[][] {
  const all = seatIds(rows, perRow);
  return Array.from({ length: rows }, (_, r) => all.slice(r * perRow, (r + 1) * perRow));
}

/** A group request with fresh reservation id and idempotency key unless given. */
export function groupRequest(
  saleId: string,
  userId: string,
  size: number,
  rows: string[][],
  now: number,
  overrides: Partial<GroupReserveRequest> = {},
): GroupReserveRequest {
  return {
    ...freshReservation(saleId, userId, 'g'),
    size,
    rows,
    fallback: 'refuse',
    holdMs: 60_000,
    requireAdmission: false,
    now,
    ...overrides,
  };
}

function group(inventory: InventoryStore): (request: GroupReserveRequest) => Promise<GroupReserveOutcome> {
  const reserveGroup = inventory.reserveGroup?.bind(inventory);
  expect(reserveGroup, 'the store implements reserveGroup').toBeTypeOf('function');
  return reserveGroup!;
}

/** A successful group reserve's hold, or a failed assertion. */
function heldGroup(outcome: GroupReserveOutcome): HoldRecord & { adjacent: boolean } {
  expect(outcome, 'expected the group to be held').toMatchObject({ ok: true, code: 'HELD' });
  if (!outcome.ok) throw new Error('unreachable');
  return { ...outcome.hold, adjacent: outcome.adjacent };
}

/** 300 groups of 3 reserving at once over 6 rows of 8 seats, with `fallback`; their held groups. */
async function raceGroupsOfThree(inventory: InventoryStore, fallback: GroupFallback) {
  const now = startOfTest();
  const rows = candidateRows(6, 8);
  const saleId = await seatedSale(inventory, { rows: 6, perRow: 8 });
  const outcomes = await Promise.all(
    Array.from({ length: 300 }, (_, i) =>
      group(inventory)(groupRequest(saleId, `u${i}`, 3, rows, now, { fallback })),
    ),
  );
  return { saleId, rows, outcomes, holds: outcomes.filter((o) => o.ok).map(heldGroup) };
}

async function seatedSale(
  inventory: InventoryStore,
  options: { rows?: number; perRow?: number; ticketsPerUser?: number; confirmedSeatIds?: string[] } = {},
): Promise<string> {
  const saleId = await loadAssignedSale(inventory, { ticketsPerUser: 6, ...options }, 'grp');
  return saleId;
}

/** Asserts nothing changed: the same counts and seat states as `before`. */
async function expectUnchanged(
  inventory: InventoryStore,
  saleId: string,
  before: { counts: unknown; seats: unknown },
): Promise<void> {
  expect(await inventory.counts(saleId)).toEqual(before.counts);
  expect(await inventory.seatStates(saleId)).toEqual(before.seats);
}

async function snapshotOf(inventory: InventoryStore, saleId: string) {
  return { counts: await inventory.counts(saleId), seats: await inventory.seatStates(saleId) };
}

/** Whether `ids` sit side by side, in order, in one of `rows`. */
function adjacentIn(rows: string[][], ids: string[]): boolean {
  const row = rows.find((r) => r.includes(ids[0]!));
  if (!row) return false;
  const start = row.indexOf(ids[0]!);
  return ids.every((id, i) => row[start + i] === id);
}

/** After concurrent groups: no seat twice, held seats == held count == sum of the holds. */
async function expectNoStrayHolds(inventory: InventoryStore, saleId: string, holds: HoldRecord[]) {
  const seats = holds.flatMap((hold) => hold.seatIds);
  expect(new Set(seats).size, 'no seat is held twice').toBe(seats.length);
  const states = await inventory.seatStates(saleId);
  const heldSeats = Object.entries(states)
    .filter(([, state]) => state === 'HELD')
    .map(([id]) => id)
    .sort();
  expect(heldSeats, 'the held seats are exactly those of the successful groups').toEqual([...seats].sort());
  expect((await inventory.counts(saleId)).held).toBe(seats.length);
  await expectInvariant(inventory, saleId);
}

type Subject = GroupReservationSubject;

/** Every check of `describeGroupReservation`, exported so a suite's own tests can run them one by one. */
export const groupReservationChecks: readonly Check<Subject>[] = [
  {
    category: 'behaviour',
    name: 'holds the leftmost block of `size` adjacent free seats in the first row that has one',
    async run({ inventory }, { now }) {
      const rows = candidateRows(2, 5);
      const saleId = await seatedSale(inventory, { confirmedSeatIds: ['A2'] });
      const three = heldGroup(await group(inventory)(groupRequest(saleId, 'u1', 3, rows, now)));
      expect(three).toMatchObject({
        seatIds: ['A3', 'A4', 'A5'],
        quantity: 3,
        status: 'HELD',
        adjacent: true,
      });
      // row A has no pair left but A1; row B has
      const pair = heldGroup(await group(inventory)(groupRequest(saleId, 'u2', 2, rows, now)));
      expect(pair).toMatchObject({ seatIds: ['B1', 'B2'], adjacent: true });
      expect(await inventory.getHold(saleId, pair.reservationId)).toMatchObject({ seatIds: ['B1', 'B2'] });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 4, held: 5, confirmed: 1 });
    },
  },
  {
    category: 'behaviour',
    name: 'follows the candidate rows in the order given (preference), and only those rows',
    async run({ inventory }, { now }) {
      const [rowA, rowB, rowC] = candidateRows(3, 5) as [string[], string[], string[]];
      const saleId = await seatedSale(inventory, { rows: 3 });
      const held = heldGroup(await group(inventory)(groupRequest(saleId, 'u1', 4, [rowC, rowA], now)));
      expect(held.seatIds).toEqual(['C1', 'C2', 'C3', 'C4']);
      // only row B is asked for and it has room: rows A and C are never touched
      const onlyB = heldGroup(await group(inventory)(groupRequest(saleId, 'u2', 5, [rowB], now)));
      expect(onlyB.seatIds).toEqual(rowB);
      expect(
        await group(inventory)(groupRequest(saleId, 'u3', 1, [rowB], now)),
        'row B is full even though A has seats',
      ).toEqual({ ok: false, code: 'SOLD_OUT' });
    },
  },
  {
    category: 'behaviour',
    name: 'without adjacent seats: `split` holds the first free seats in row order, `refuse` holds nothing',
    async run({ inventory }, { now }) {
      const rows = candidateRows(2, 5);
      const saleId = await seatedSale(inventory, { confirmedSeatIds: ['A2', 'A4', 'B2', 'B4'] });
      const before = await snapshotOf(inventory, saleId);
      expect(await group(inventory)(groupRequest(saleId, 'u1', 2, rows, now))).toEqual({
        ok: false,
        code: 'NO_ADJACENT_SEATS',
      });
      await expectUnchanged(inventory, saleId, before);
      const split = heldGroup(
        await group(inventory)(groupRequest(saleId, 'u1', 4, rows, now, { fallback: 'split' })),
      );
      expect(split).toMatchObject({ seatIds: ['A1', 'A3', 'A5', 'B1'], adjacent: false, quantity: 4 });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 2, held: 4 });
    },
  },
  {
    category: 'behaviour',
    name: 'refuses SOLD_OUT when fewer candidate seats are free than the group, and changes nothing',
    async run({ inventory }, { now }) {
      const rows = candidateRows(2, 5);
      const saleId = await seatedSale(inventory, { confirmedSeatIds: ['A1', 'A2', 'A3', 'B1', 'B2', 'B3'] });
      const before = await snapshotOf(inventory, saleId);
      for (const fallback of ['split', 'refuse'] as GroupFallback[]) {
        expect(await group(inventory)(groupRequest(saleId, 'u1', 5, rows, now, { fallback }))).toEqual({
          ok: false,
          code: 'SOLD_OUT',
        });
      }
      await expectUnchanged(inventory, saleId, before);
    },
  },
  {
    category: 'behaviour',
    name: 'refuses as reserve does: SALE_NOT_WARM, WRONG_SELECTION, UNKNOWN_SEAT, LIMIT_EXCEEDED, NOT_ADMITTED',
    async run({ inventory, waitingRoom }, { now }) {
      const rows = candidateRows(2, 5);
      const reserveGroup = group(inventory);
      expect(await reserveGroup(groupRequest(freshId('cold'), 'u1', 2, rows, now))).toEqual({
        ok: false,
        code: 'SALE_NOT_WARM',
      });
      const general = freshId('ga');
      await inventory.load(generalSnapshot(general));
      expect(await reserveGroup(groupRequest(general, 'u1', 2, rows, now))).toEqual({
        ok: false,
        code: 'WRONG_SELECTION',
      });
      const saleId = await seatedSale(inventory, { ticketsPerUser: 3 });
      const before = await snapshotOf(inventory, saleId);
      expect(await reserveGroup(groupRequest(saleId, 'u1', 2, [['A1', 'Z9', 'A2', 'Z8']], now))).toEqual({
        ok: false,
        code: 'UNKNOWN_SEAT',
        seatIds: ['Z9', 'Z8'],
      });
      expect(await reserveGroup(groupRequest(saleId, 'u1', 4, rows, now))).toEqual({
        ok: false,
        code: 'LIMIT_EXCEEDED',
      });
      const admitted = groupRequest(saleId, 'u1', 2, rows, now, { requireAdmission: true });
      expect(await reserveGroup(admitted)).toEqual({ ok: false, code: 'NOT_ADMITTED' });
      await expectUnchanged(inventory, saleId, before);
      await waitingRoom.join({ saleId, userId: 'u1', now });
      await waitingRoom.admit({ saleId, max: 1, maxActive: 10, sessionMs: 10_000, now });
      expect(heldGroup(await reserveGroup({ ...admitted, now: now + 1 })).seatIds).toEqual(['A1', 'A2']);
    },
  },
  {
    category: 'behaviour',
    name: 'a replayed idempotency key answers the original hold; the key for another request is refused',
    async run({ inventory }, { now }) {
      const rows = candidateRows(2, 5);
      const saleId = await seatedSale(inventory);
      const request = groupRequest(saleId, 'u1', 3, rows, now);
      const first = heldGroup(await group(inventory)(request));
      const again = await group(inventory)({ ...request, reservationId: freshId('g'), now: now + 5 });
      expect(again).toMatchObject({ ok: true, code: 'HELD', replayed: true, adjacent: true });
      expect(again.ok && again.hold).toEqual(await inventory.getHold(saleId, first.reservationId));
      expect(await group(inventory)({ ...request, size: 2 })).toEqual({
        ok: false,
        code: 'IDEMPOTENCY_KEY_REUSED',
      });
      expect(
        await inventory.reserve(
          reserveRequest(saleId, 'u1', { kind: 'seats', seatIds: ['A1', 'A2', 'A3'] }, now, {
            idempotencyKey: request.idempotencyKey,
          }),
        ),
      ).toEqual({ ok: false, code: 'IDEMPOTENCY_KEY_REUSED' });
      expect(await inventory.counts(saleId)).toMatchObject({ held: 3 });
    },
  },
  {
    category: 'behaviour',
    name: 'a group hold is an ordinary hold: release, confirm, compensate and expiry treat all its seats',
    async run({ inventory }, { now }) {
      const rows = candidateRows(2, 5);
      const saleId = await seatedSale(inventory);
      const reserveGroup = group(inventory);
      const released = heldGroup(await reserveGroup(groupRequest(saleId, 'u1', 3, rows, now)));
      expect(await inventory.release(asOwner(released, now))).toMatchObject({ ok: true });
      const confirmed = heldGroup(await reserveGroup(groupRequest(saleId, 'u1', 3, rows, now)));
      expect(confirmed.seatIds).toEqual(['A1', 'A2', 'A3']);
      await inventory.confirm(asOwner(confirmed, now));
      const expiring = heldGroup(
        await reserveGroup(groupRequest(saleId, 'u2', 2, rows, now, { holdMs: 1_000 })),
      );
      expect(expiring.seatIds).toEqual(['A4', 'A5']);
      expect(
        (await inventory.expireDue({ saleId, now: now + 1_000, limit: 10 })).map((h) => h.reservationId),
      ).toEqual([expiring.reservationId]);
      expect(await inventory.compensate({ saleId, reservationId: confirmed.reservationId })).toMatchObject({
        ok: true,
        restored: true,
      });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 10, held: 0, confirmed: 0 });
      expect(Object.values(await inventory.seatStates(saleId)).every((state) => state === 'AVAILABLE')).toBe(
        true,
      );
    },
  },
  {
    category: 'bad input',
    name: 'repeated candidate seats, a size of 0 or more than 100 are a ValidationError and change nothing',
    async run({ inventory }, { now }) {
      const saleId = await seatedSale(inventory);
      const before = await snapshotOf(inventory, saleId);
      const rows = candidateRows(2, 5);
      const error = await expectValidationError(() =>
        group(inventory)(groupRequest(saleId, 'u1', 2, [...rows, ['A1']], now)),
      );
      expect(JSON.stringify(error.issues)).toContain('A1');
      await expectValidationError(() => group(inventory)(groupRequest(saleId, 'u1', 0, rows, now)));
      await expectValidationError(() => group(inventory)(groupRequest(saleId, 'u1', 101, rows, now)));
      await expectValidationError(() => group(inventory)(groupRequest(saleId, 'u1', 2, [], now)));
      await expectValidationError(() => group(inventory)(groupRequest(saleId, 'u1', 2, [['bad seat']], now)));
      await expectUnchanged(inventory, saleId, before);
    },
  },
  {
    category: 'concurrency',
    name: '300 concurrent groups of 3 with `refuse`: each held group sits side by side, no seat twice, no stray hold',
    timeoutMs: 60_000,
    async run({ inventory }) {
      const { saleId, rows, outcomes, holds } = await raceGroupsOfThree(inventory, 'refuse');
      // every row of 8 takes two groups of 3 side by side, then 2 seats are left: 12 groups
      expect(holds).toHaveLength(12);
      for (const hold of holds) {
        expect(hold.adjacent).toBe(true);
        expect(adjacentIn(rows, hold.seatIds), `${hold.seatIds.join(',')} side by side`).toBe(true);
      }
      const refusals = outcomes.filter((o) => !o.ok).map((o) => o.code);
      expect(new Set(refusals)).toEqual(new Set(['NO_ADJACENT_SEATS']));
      await expectNoStrayHolds(inventory, saleId, holds);
    },
  },
  {
    category: 'concurrency',
    name: '300 concurrent groups of 3 with `split` over 48 seats: exactly 16 held, all seats taken once',
    timeoutMs: 60_000,
    async run({ inventory }) {
      const { saleId, outcomes, holds } = await raceGroupsOfThree(inventory, 'split');
      expect(holds).toHaveLength(16);
      expect(holds.filter((hold) => hold.adjacent)).toHaveLength(12);
      expect(new Set(outcomes.filter((o) => !o.ok).map((o) => o.code))).toEqual(new Set(['SOLD_OUT']));
      await expectNoStrayHolds(inventory, saleId, holds);
      expect(await inventory.counts(saleId)).toMatchObject({ available: 0, held: 48 });
    },
  },
  {
    category: 'concurrency',
    name: 'groups racing single-seat reserves on the same seats: every seat has one owner, the invariant holds',
    timeoutMs: 60_000,
    async run({ inventory }, { now }) {
      const rows = candidateRows(4, 6);
      const saleId = await seatedSale(inventory, { rows: 4, perRow: 6 });
      const all = rows.flat();
      const calls = Array.from({ length: 200 }, (_, i) =>
        i % 2 === 0
          ? group(inventory)(
              groupRequest(saleId, `g${i}`, 2 + (i % 3), rows, now, {
                fallback: i % 4 === 0 ? 'split' : 'refuse',
              }),
            )
          : inventory.reserve(
              reserveRequest(saleId, `s${i}`, { kind: 'seats', seatIds: [all[i % all.length]!] }, now),
            ),
      );
      const outcomes = await Promise.all(calls);
      const holds = outcomes.filter((o) => o.ok).map((o) => (o as { hold: HoldRecord }).hold);
      await expectNoStrayHolds(inventory, saleId, holds);
      const quantity = await inventory.counts(saleId);
      expect(quantity.held).toBe(holds.reduce((sum, hold) => sum + hold.quantity, 0));
    },
  },
];

/**
 * Registers the group allocation conformance suite (`InventoryStore.reserveGroup`): which seats a
 * group gets, refusals that change nothing, idempotency, the group hold's life, bad input, and
 * hundreds of concurrent groups with no seat twice and no stray hold.
 *
 * @param name what is under test, e.g. "RedisInventoryStore"
 * @param factory fresh, isolated ports for each test
 */
export function describeGroupReservation(name: string, factory: Factory<GroupReservationSubject>): void {
  registerChecks(`Group allocation conformance: ${name}`, factory, groupReservationChecks);
}
