import type {
  InventoryStore,
  WaitingListClaimOutcome,
  WaitingListOffer,
  WaitingListStore,
} from '@seatrush/core';
import { expect } from 'vitest';
import {
  freshId,
  heldOf,
  loadAssignedSale,
  loadGeneralSale,
  reserveRequest,
  seatIds,
  seats,
  units,
} from './fixtures';
import { candidateRows } from './group-reservation';
import { type Check, expectValidationError, type Factory, registerChecks } from './harness';
import { expectInvariant } from './inventory-store';

/** The ports `describeWaitingListStore` tests: the inventory and its waiting list (same state). */
export interface WaitingListStoreSubject {
  inventory: InventoryStore;
  waitingList: WaitingListStore;
}

type Subject = WaitingListStoreSubject;

const CLAIM_MS = 30_000;
const ids = (count: number) => Array.from({ length: count }, () => freshId('o'));

/** Sells out a general-admission sale of `stock` units: u-fill holds everything for `holdMs`. */
async function soldOutGeneral(inventory: InventoryStore, stock: number, now: number) {
  const saleId = await loadGeneralSale(inventory, { stock, ticketsPerUser: 100 }, 'wl');
  const holds = [];
  for (let i = 0; i < stock; i += 1) {
    holds.push(
      heldOf(await inventory.reserve(reserveRequest(saleId, `fill${i}`, units(1), now, { holdMs: 1_000 }))),
    );
  }
  return { saleId, holds };
}

/**
 * A sold-out sale of one unit with `parties` waiting for one unit each, in that order; the unit's
 * hold expires at now + 1 s and the first round offers it: the sale and that offer (the first
 * party's).
 */
async function firstOffered(
  inventory: InventoryStore,
  waitingList: WaitingListStore,
  now: number,
  parties: string[],
) {
  const { saleId } = await soldOutGeneral(inventory, 1, now);
  for (const userId of parties) await waitingList.join({ saleId, userId, size: 1, now });
  await inventory.expireDue({ saleId, now: now + 1_000, limit: 10 });
  const [offer] = await offerOf(waitingList, saleId, now + 1_000);
  return { saleId, offer };
}

/** A seated sale (2 rows of 5, or as given) whose seats are all held for 1 s by `fill` users. */
async function soldOutSeated(inventory: InventoryStore, now: number, rows = 2, perRow = 5) {
  const saleId = await loadAssignedSale(inventory, { rows, perRow, ticketsPerUser: 10 }, 'wl');
  const holds = new Map<string, string>();
  for (const seat of seatIds(rows, perRow)) {
    const hold = heldOf(
      await inventory.reserve(reserveRequest(saleId, `fill-${seat}`, seats(seat), now, { holdMs: 1_000 })),
    );
    holds.set(seat, hold.reservationId);
  }
  return { saleId, holds };
}

/** Frees the given seats (their holders release them). */
async function free(
  inventory: InventoryStore,
  saleId: string,
  holds: Map<string, string>,
  freed: string[],
  now: number,
) {
  for (const seat of freed) {
    const outcome = await inventory.release({
      saleId,
      reservationId: holds.get(seat)!,
      userId: `fill-${seat}`,
      now,
    });
    expect(outcome.ok).toBe(true);
  }
}

const offerOf = (
  waitingList: WaitingListStore,
  saleId: string,
  now: number,
  count = 10,
  rows: string[][] = [],
) => waitingList.offer({ saleId, rows, claimMs: CLAIM_MS, offerIds: ids(count), now });

/** Every check of `describeWaitingListStore`, exported so a suite's own tests can run them one by one. */
export const waitingListStoreChecks: readonly Check<Subject>[] = [
  {
    category: 'behaviour',
    name: 'joining twice keeps the first place; leave removes a waiting party; the per-user limit applies',
    async run({ inventory, waitingList }, { now }) {
      expect(await waitingList.join({ saleId: freshId('cold'), userId: 'u1', size: 1, now })).toEqual({
        ok: false,
        code: 'SALE_NOT_WARM',
      });
      const saleId = await loadGeneralSale(inventory, { stock: 2, ticketsPerUser: 4 }, 'wl');
      const first = await waitingList.join({ saleId, userId: 'u1', size: 2, now });
      expect(first).toMatchObject({
        ok: true,
        created: true,
        entry: { userId: 'u1', size: 2, state: 'WAITING', joinedAt: now },
      });
      await waitingList.join({ saleId, userId: 'u2', size: 1, now: now + 1 });
      expect(await waitingList.join({ saleId, userId: 'u1', size: 3, now: now + 2 })).toEqual({
        ...first,
        created: false,
      });
      expect((await waitingList.entries(saleId)).map((e) => e.userId)).toEqual(['u1', 'u2']);
      expect(await waitingList.join({ saleId, userId: 'u3', size: 5, now })).toEqual({
        ok: false,
        code: 'LIMIT_EXCEEDED',
      });
      expect(await waitingList.leave({ saleId, userId: 'u1' })).toBe(true);
      expect(await waitingList.leave({ saleId, userId: 'u1' })).toBe(false);
      expect(await waitingList.entry(saleId, 'u1')).toBeNull();
      expect((await waitingList.entries(saleId)).map((e) => e.userId)).toEqual(['u2']);
    },
  },
  {
    category: 'behaviour',
    name: 'freed units are offered in order to the parties they fit, held for them until the deadline',
    async run({ inventory, waitingList }, { now }) {
      const { saleId } = await soldOutGeneral(inventory, 4, now);
      for (const [userId, size] of [
        ['w1', 2],
        ['w2', 3],
        ['w3', 1],
      ] as const) {
        await waitingList.join({ saleId, userId, size, now });
      }
      expect(await offerOf(waitingList, saleId, now)).toEqual([]);
      // two holds run out: w1 (2) fits, w2 (3) does not yet, w3 (1) waits for more
      await inventory.expireDue({ saleId, now: now + 1_000, limit: 2 });
      const later = now + 1_000;
      const offers = await offerOf(waitingList, saleId, later);
      expect(offers).toEqual([
        {
          offerId: expect.any(String),
          userId: 'w1',
          quantity: 2,
          seatIds: [],
          adjacent: false,
          deadline: later + CLAIM_MS,
        },
      ]);
      expect(await inventory.counts(saleId), 'offered units are held, not on sale').toMatchObject({
        available: 0,
        held: 4,
      });
      expect(await inventory.getHold(saleId, offers[0]!.offerId)).toMatchObject({
        userId: 'w1',
        status: 'HELD',
        quantity: 2,
        expiresAt: later + CLAIM_MS,
      });
      expect(await waitingList.entry(saleId, 'w1')).toMatchObject({
        state: 'OFFERED',
        offerId: offers[0]!.offerId,
      });
      // the last two come back: w2 still does not fit, w3 does
      await inventory.expireDue({ saleId, now: now + 1_000, limit: 10 });
      expect((await offerOf(waitingList, saleId, later)).map((o) => [o.userId, o.quantity])).toEqual([
        ['w3', 1],
      ]);
      expect((await waitingList.entries(saleId)).map((e) => [e.userId, e.state])).toEqual([
        ['w1', 'OFFERED'],
        ['w2', 'WAITING'],
        ['w3', 'OFFERED'],
      ]);
      await expectInvariant(inventory, saleId);
    },
  },
  {
    category: 'behaviour',
    name: 'group-aware: a party of four is offered four adjacent seats when a row has them',
    async run({ inventory, waitingList }, { now }) {
      const { saleId, holds } = await soldOutSeated(inventory, now);
      await free(inventory, saleId, holds, ['A2', 'A3', 'A5', 'B1', 'B2', 'B3', 'B4'], now);
      await waitingList.join({ saleId, userId: 'pair', size: 2, fallback: 'refuse', now });
      await waitingList.join({ saleId, userId: 'four', size: 4, fallback: 'refuse', now });
      await waitingList.join({ saleId, userId: 'one', size: 1, now });
      const offers = await offerOf(waitingList, saleId, now, 10, candidateRows(2, 5));
      expect(offers.map((o) => [o.userId, o.seatIds, o.adjacent])).toEqual([
        ['pair', ['A2', 'A3'], true],
        ['four', ['B1', 'B2', 'B3', 'B4'], true],
        ['one', ['A5'], true],
      ]);
      const states = await inventory.seatStates(saleId);
      expect(Object.values(states).every((state) => state === 'HELD')).toBe(true);
    },
  },
  {
    category: 'behaviour',
    name: 'a party that insists on adjacent seats keeps its place while a party behind it that fits is served',
    async run({ inventory, waitingList }, { now }) {
      const { saleId, holds } = await soldOutSeated(inventory, now);
      await free(inventory, saleId, holds, ['A1', 'A3', 'B2'], now);
      await waitingList.join({ saleId, userId: 'three', size: 3, fallback: 'refuse', now });
      await waitingList.join({ saleId, userId: 'split2', size: 2, fallback: 'split', now });
      const offers = await offerOf(waitingList, saleId, now, 10, candidateRows(2, 5));
      expect(offers.map((o) => [o.userId, o.seatIds, o.adjacent])).toEqual([['split2', ['A1', 'A3'], false]]);
      expect(await waitingList.entry(saleId, 'three')).toMatchObject({ state: 'WAITING', seq: 1 });
    },
  },
  {
    category: 'behaviour',
    name: 'claim: only the offered party, once, before the deadline; the hold then lasts holdMs from the claim',
    async run({ inventory, waitingList }, { now }) {
      const { saleId, offer } = await firstOffered(inventory, waitingList, now, ['w1', 'w2']);
      const claim = (userId: string, at: number, offerId = offer!.offerId) =>
        waitingList.claim({ saleId, userId, offerId, holdMs: 60_000, now: at });
      expect(await claim('w2', now + 2_000)).toEqual({ ok: false, code: 'NOT_OFFERED' });
      expect(await claim('w1', now + 2_000, freshId('o'))).toEqual({ ok: false, code: 'NOT_OFFERED' });
      const won = await claim('w1', now + 2_000);
      expect(won).toMatchObject({
        ok: true,
        hold: { userId: 'w1', status: 'HELD', expiresAt: now + 62_000 },
      });
      expect(await claim('w1', now + 2_001)).toEqual({ ok: false, code: 'ALREADY_CLAIMED' });
      expect(
        await inventory.expireDue({ saleId, now: now + 61_999, limit: 10 }),
        'the claimed hold lives on',
      ).toEqual([]);
      expect(
        await inventory.confirm({ saleId, reservationId: offer!.offerId, userId: 'w1', now: now + 3_000 }),
      ).toMatchObject({ ok: true });
      expect(await waitingList.entry(saleId, 'w1')).toMatchObject({ state: 'CLAIMED' });
      expect((await waitingList.entries(saleId)).map((e) => e.userId)).toEqual(['w2']);
    },
  },
  {
    category: 'expiry',
    name: 'an unclaimed offer lapses at its deadline and its units go to the next party',
    async run({ inventory, waitingList }, { now }) {
      const { saleId, offer: first } = await firstOffered(inventory, waitingList, now, ['slow', 'next']);
      const deadline = first!.deadline;
      expect(
        await waitingList.claim({
          saleId,
          userId: 'slow',
          offerId: first!.offerId,
          holdMs: 60_000,
          now: deadline,
        }),
      ).toEqual({
        ok: false,
        code: 'OFFER_EXPIRED',
      });
      expect(
        await offerOf(waitingList, saleId, deadline),
        'the units are still held until the sweep',
      ).toEqual([]);
      expect(await waitingList.entry(saleId, 'slow')).toMatchObject({ state: 'LAPSED' });
      expect(
        (await inventory.expireDue({ saleId, now: deadline, limit: 10 })).map((h) => h.reservationId),
      ).toEqual([first!.offerId]);
      expect((await offerOf(waitingList, saleId, deadline)).map((o) => o.userId)).toEqual(['next']);
      await expectInvariant(inventory, saleId);
    },
  },
  {
    category: 'behaviour',
    name: 'liveCount, where implemented, counts the WAITING and OFFERED entries through join, leave, offer, claim and lapse',
    async run({ inventory, waitingList }, { now }) {
      // optional method (a round without it always calls `offer`): nothing to check without it
      if (!waitingList.liveCount) return;
      const live = (saleId: string) => waitingList.liveCount!(saleId);
      expect(await live(freshId('none')), 'a sale nobody joined').toBe(0);
      const { saleId } = await soldOutGeneral(inventory, 2, now);
      expect(await live(saleId)).toBe(0);
      for (const userId of ['w1', 'w2', 'w3', 'gone'])
        await waitingList.join({ saleId, userId, size: 1, now });
      await waitingList.join({ saleId, userId: 'w1', size: 1, now }); // joining twice keeps one entry
      expect(await live(saleId)).toBe(4);
      await waitingList.leave({ saleId, userId: 'gone' });
      expect(await live(saleId)).toBe(3);
      await inventory.expireDue({ saleId, now: now + 1_000, limit: 10 });
      const [first, second] = await offerOf(waitingList, saleId, now + 1_000);
      expect(await live(saleId), 'an offered party is still live').toBe(3);
      await waitingList.claim({
        saleId,
        userId: 'w1',
        offerId: first!.offerId,
        holdMs: 60_000,
        now: now + 2_000,
      });
      expect(await live(saleId), 'a claimed offer is not').toBe(2);
      // w2 lets its offer lapse: the next round lapses it, w3 still waits (nothing free)
      expect(await offerOf(waitingList, saleId, second!.deadline)).toEqual([]);
      expect(await live(saleId), 'a lapsed offer is not').toBe(1);
      await waitingList.leave({ saleId, userId: 'w3' });
      expect(await live(saleId)).toBe(0);
      await expectValidationError(() => waitingList.liveCount!('bad {sale}'));
    },
  },
  {
    category: 'bad input',
    name: 'a size of 0, repeated offer ids or unsafe ids are a ValidationError and change nothing',
    async run({ inventory, waitingList }, { now }) {
      const { saleId } = await soldOutGeneral(inventory, 1, now);
      await expectValidationError(() => waitingList.join({ saleId, userId: 'u1', size: 0, now }));
      await expectValidationError(() => waitingList.join({ saleId, userId: 'bad user', size: 1, now }));
      await expectValidationError(() =>
        waitingList.offer({ saleId, rows: [], claimMs: 1_000, offerIds: ['o1', 'o1'], now }),
      );
      await expectValidationError(() =>
        waitingList.claim({ saleId, userId: 'u1', offerId: 'o{1}', holdMs: 1_000, now }),
      );
      expect(await waitingList.entries(saleId)).toEqual([]);
    },
  },
  {
    category: 'concurrency',
    name: '1,000 concurrent claims on one freed seat: exactly one wins',
    timeoutMs: 60_000,
    async run({ inventory, waitingList }, { now }) {
      const { saleId, holds } = await soldOutSeated(inventory, now);
      const waiting = Array.from({ length: 100 }, (_, i) => `w${i}`);
      for (const userId of waiting) await waitingList.join({ saleId, userId, size: 1, now });
      await free(inventory, saleId, holds, ['B3'], now);
      const offers = await offerOf(waitingList, saleId, now, 10, candidateRows(2, 5));
      expect(offers.map((o) => [o.userId, o.seatIds])).toEqual([['w0', ['B3']]]);
      const offerId = offers[0]!.offerId;
      // the offered buyer's retries and every other waiting buyer, all at once
      const outcomes: WaitingListClaimOutcome[] = await Promise.all(
        Array.from({ length: 1_000 }, (_, i) =>
          waitingList.claim({
            saleId,
            userId: i % 2 === 0 ? 'w0' : waiting[i % 100]!,
            offerId,
            holdMs: 60_000,
            now: now + 1,
          }),
        ),
      );
      expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
      const codes = new Set(outcomes.filter((o) => !o.ok).map((o) => (o as { code: string }).code));
      expect(codes).toEqual(new Set(['ALREADY_CLAIMED', 'NOT_OFFERED']));
      expect((await inventory.seatStates(saleId)).B3).toBe('HELD');
      expect(await inventory.counts(saleId)).toMatchObject({ available: 0, held: 10 });
      await expectInvariant(inventory, saleId);
    },
  },
  {
    category: 'concurrency',
    name: '50 concurrent offer rounds over 10 freed units: each unit offered once, to the first ten in order',
    timeoutMs: 60_000,
    async run({ inventory, waitingList }, { now }) {
      const { saleId } = await soldOutGeneral(inventory, 20, now);
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          waitingList.join({ saleId, userId: `w${i}`, size: 1, now: now + i }),
        ),
      );
      const order = (await waitingList.entries(saleId)).map((e) => e.userId);
      expect(new Set(order).size).toBe(30);
      expect(new Set((await waitingList.entries(saleId)).map((e) => e.seq)).size, 'places are unique').toBe(
        30,
      );
      await inventory.expireDue({ saleId, now: now + 1_000, limit: 10 });
      const rounds: WaitingListOffer[][] = await Promise.all(
        Array.from({ length: 50 }, () => offerOf(waitingList, saleId, now + 1_000, 3)),
      );
      const offers = rounds.flat();
      expect(offers).toHaveLength(10);
      expect(offers.map((o) => o.userId).sort()).toEqual(order.slice(0, 10).sort());
      expect(await inventory.counts(saleId)).toMatchObject({ available: 0, held: 20 });
      await expectInvariant(inventory, saleId);
    },
  },
];

/**
 * Registers the waiting-list conformance suite: joining and places, offers in order (group-aware
 * on seated sales), claims, lapsed offers handed on, bad input, and concurrency (1,000 claims on
 * one freed seat: exactly one wins; racing offer rounds never offer a unit twice).
 *
 * @param name what is under test, e.g. "RedisInventoryStore.waitingList()"
 * @param factory fresh, isolated ports for each test
 */
export function describeWaitingListStore(name: string, factory: Factory<WaitingListStoreSubject>): void {
  registerChecks(`WaitingListStore conformance: ${name}`, factory, waitingListStoreChecks);
}
