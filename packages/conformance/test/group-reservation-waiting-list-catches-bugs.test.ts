import type {
  GroupReserveOutcome,
  GroupReserveRequest,
  WaitingListClaim,
  WaitingListClaimOutcome,
  WaitingListOffer,
  WaitingListOfferRequest,
  WaitingListStore,
} from '@seatrush/core';
import { MemoryInventoryStore, MemoryWaitingRoomStore } from '@seatrush/core/memory';
import { pickGroupSeats } from '@seatrush/core/ports';
import { describe, it } from 'vitest';
import {
  type Factory,
  type GroupReservationSubject,
  groupReservationChecks,
  type WaitingListStoreSubject,
  waitingListStoreChecks,
} from '../src';
import { expectCaught, ForwardingInventory } from './broken-stores';

// The group-allocation and waiting-list suites can fail: each test breaks a store the way real
// ones break (several steps instead of one atomic operation, a read-then-write claim, a pick that
// ignores adjacency or order) and shows the named checks pass on the correct store and fail on it.

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Forwards everything to a memory store; `reserveGroup` is replaced by the broken variant. */
function withGroup(
  make: (inner: MemoryInventoryStore) => (request: GroupReserveRequest) => Promise<GroupReserveOutcome>,
): Factory<GroupReservationSubject> {
  return async () => {
    const waitingRoom = new MemoryWaitingRoomStore();
    const inner = new MemoryInventoryStore({ waitingRoom });
    const inventory = Object.assign(new ForwardingInventory(inner), { reserveGroup: make(inner) });
    return { inventory, waitingRoom };
  };
}

const goodGroup: Factory<GroupReservationSubject> = withGroup((inner) => (r) => inner.reserveGroup(r));

/** The seats picked from a snapshot, then each seat reserved alone: races and stray holds. */
const seatBySeat = withGroup((inner) => async (r) => {
  const states = await inner.seatStates(r.saleId);
  const picked = pickGroupSeats(r.rows, (id) => states[id] === 'AVAILABLE', r.size, r.fallback);
  if (!picked) return { ok: false, code: 'NO_ADJACENT_SEATS' };
  const holds = [];
  for (const [i, seatId] of picked.seatIds.entries()) {
    await tick();
    const outcome = await inner.reserve({
      ...r,
      reservationId: `${r.reservationId}-${i}`,
      idempotencyKey: `${r.idempotencyKey}-${i}`,
      selection: { kind: 'seats', seatIds: [seatId] },
    });
    if (!outcome.ok) return { ok: false, code: outcome.code };
    holds.push(outcome.hold);
  }
  const hold = { ...holds[0]!, quantity: holds.length, seatIds: holds.flatMap((h) => h.seatIds) };
  return { ok: true, code: 'HELD', hold, replayed: false, adjacent: picked.adjacent };
});

/** Takes the first free seats, side by side or not. */
const ignoresAdjacency = withGroup((inner) => async (r) => {
  const states = await inner.seatStates(r.saleId);
  const seatIds = r.rows
    .flat()
    .filter((id) => states[id] === 'AVAILABLE')
    .slice(0, r.size);
  if (seatIds.length < r.size) return { ok: false, code: 'SOLD_OUT' };
  const outcome = await inner.reserve({ ...r, selection: { kind: 'seats', seatIds } });
  return outcome.ok ? { ...outcome, adjacent: true } : outcome;
});

/** A memory waiting list with `claim` or `offer` replaced by the broken variant. */
function withWaitingList(
  override: (list: WaitingListStore, inventory: MemoryInventoryStore) => Partial<WaitingListStore>,
): Factory<WaitingListStoreSubject> {
  return async () => {
    const inventory = new MemoryInventoryStore();
    const list = inventory.waitingList();
    const waitingList: WaitingListStore = {
      join: (i) => list.join(i),
      leave: (i) => list.leave(i),
      entry: (s, u) => list.entry(s, u),
      entries: (s) => list.entries(s),
      offer: (r) => list.offer(r),
      claim: (c) => list.claim(c),
      liveCount: (s) => list.liveCount!(s),
      ...override(list, inventory),
    };
    return { inventory, waitingList };
  };
}

const goodList = withWaitingList(() => ({}));

/** Reads the entry, then answers: every claim that read OFFERED before the first write wins. */
const readThenWriteClaim = withWaitingList((list, inventory) => ({
  async claim(c: WaitingListClaim): Promise<WaitingListClaimOutcome> {
    const entry = await list.entry(c.saleId, c.userId);
    await tick();
    if (entry?.state === 'OFFERED' && entry.offerId === c.offerId) {
      const hold = await inventory.getHold(c.saleId, c.offerId);
      if (hold) return { ok: true, hold };
    }
    return list.claim(c);
  },
}));

/** Offers the waiting parties newest first. */
const lastInFirstOffered = withWaitingList((list) => ({
  async offer(r: WaitingListOfferRequest): Promise<WaitingListOffer[]> {
    const offers: WaitingListOffer[] = [];
    const entries = (await list.entries(r.saleId)).reverse();
    // push the older parties out of the way, offer, then bring them back at the end
    const waiting = entries.filter((e) => e.state === 'WAITING');
    for (const entry of waiting.slice(1)) await list.leave({ saleId: r.saleId, userId: entry.userId });
    offers.push(...(await list.offer(r)));
    for (const entry of waiting.slice(1)) {
      await list.join({
        saleId: r.saleId,
        userId: entry.userId,
        size: entry.size,
        fallback: entry.fallback,
        now: r.now,
      });
    }
    return offers;
  },
}));

/** Counts the WAITING parties only: an offer round would skip with offers left to lapse. */
const countsWaitingOnly = withWaitingList((list) => ({
  async liveCount(saleId: string): Promise<number> {
    return (await list.entries(saleId)).filter((e) => e.state === 'WAITING').length;
  },
}));

describe('the group allocation suite catches broken stores', () => {
  it('seat-by-seat holds (not one atomic operation) leave stray holds under concurrency', async () => {
    await expectCaught(goodGroup, seatBySeat, groupReservationChecks, [
      '300 concurrent groups of 3 with `refuse`',
    ]);
  });

  it('a pick that ignores adjacency fails the seat-choice checks', async () => {
    await expectCaught(goodGroup, ignoresAdjacency, groupReservationChecks, [
      'holds the leftmost block',
      'without adjacent seats',
    ]);
  });
});

describe('the waiting-list suite catches broken stores', () => {
  it('a read-then-write claim lets more than one of 1,000 racing claims win', async () => {
    await expectCaught(goodList, readThenWriteClaim, waitingListStoreChecks, ['1,000 concurrent claims']);
  });

  it('offers out of order fail the order check', async () => {
    await expectCaught(goodList, lastInFirstOffered, waitingListStoreChecks, ['offered in order']);
  });

  it('a live count that leaves out offered parties fails the liveCount check', async () => {
    await expectCaught(goodList, countsWaitingOnly, waitingListStoreChecks, ['liveCount, where implemented']);
  });
});
