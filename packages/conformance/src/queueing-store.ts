import type { EnterResult, QueueingStore } from '@seatrush/core';
import { chiSquareCritical, chiSquareIndependence, chiSquareUniform } from '@seatrush/core/testing';
import { expect } from 'vitest';
import { freshId } from './fixtures';
import { type Check, expectValidationError, type Factory, registerChecks } from './harness';

/** The port `describeQueueingStore` tests. */
export interface QueueingStoreSubject {
  waitingRoom: QueueingStore;
}

type Subject = QueueingStoreSubject;

const SESSION_MS = 10_000;
const BIG = 1_000;

/** `userId` enters, in `lane` if given, with room for every session. */
function enterOne(room: QueueingStore, saleId: string, userId: string, now: number, lane?: 'priority') {
  return room.enter({ saleId, userId, now, ...(lane && { lane }), maxActive: BIG, sessionMs: SESSION_MS });
}

function enterAll(room: QueueingStore, saleId: string, users: string[], now: number, maxActive = BIG) {
  return users.reduce<Promise<EnterResult[]>>(
    async (done, userId) => [
      ...(await done),
      await room.enter({ saleId, userId, now, maxActive, sessionMs: SESSION_MS }),
    ],
    Promise.resolve([]),
  );
}

/** One admission step of at most `max`, with room for every session. */
function admitStep(room: QueueingStore, saleId: string, max: number, now: number) {
  return room.admitNext({ saleId, max, maxActive: BIG, sessionMs: SESSION_MS, now });
}

function joined(result: EnterResult) {
  if (result.outcome !== 'JOINED') throw new Error(`expected JOINED, got ${result.outcome}`);
  return result.entry;
}

const usersNamed = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Every check of `describeQueueingStore`, exported so a suite's own tests can run them one by one. */
export const queueingStoreChecks: readonly Check<Subject>[] = [
  // ── 1. queueing methods ────────────────────────────────────────────────────────────────────
  {
    category: 'behaviour',
    name: 'defaults to FIFO: enter hands out tickets in order and admitNext admits them in order',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      expect(await waitingRoom.queueConfig({ saleId })).toEqual({
        method: 'fifo',
        preQueue: false,
        preQueued: 0,
      });
      const entries = (await enterAll(waitingRoom, saleId, ['a', 'b', 'c', 'd'], now)).map(joined);
      expect(entries.map((e) => [e.ticket, e.state])).toEqual([
        [1, 'WAITING'],
        [2, 'WAITING'],
        [3, 'WAITING'],
        [4, 'WAITING'],
      ]);
      const again = await enterOne(waitingRoom, saleId, 'b', now);
      expect(again).toEqual({
        outcome: 'JOINED',
        entry: { userId: 'b', ticket: 2, state: 'WAITING' },
        alreadyJoined: true,
      });
      const step = await admitStep(waitingRoom, saleId, 3, now);
      expect(step.admitted.map((e) => [e.userId, e.ticket, e.admittedUntil])).toEqual([
        ['a', 1, now + SESSION_MS],
        ['b', 2, now + SESSION_MS],
        ['c', 3, now + SESSION_MS],
      ]);
      expect(step).toMatchObject({ lapsed: [], servedUpTo: 3, active: 3, preQueueClosed: false });
      expect(await waitingRoom.position({ saleId, userId: 'd', now })).toMatchObject({ ahead: 0, ticket: 4 });
    },
  },
  {
    category: 'behaviour',
    name: 'random method: admissions are drawn among all waiting users, each admitted once',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      const users = usersNamed('r', 30);
      await enterAll(waitingRoom, saleId, users, now);
      expect(await waitingRoom.configure({ saleId, method: 'random' })).toMatchObject({ method: 'random' });
      const picked: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const step = await admitStep(waitingRoom, saleId, 5, now);
        expect(step.admitted).toHaveLength(5);
        picked.push(...step.admitted.map((e) => e.userId));
      }
      expect(new Set(picked).size).toBe(15);
      for (const userId of picked) expect(users).toContain(userId);
      // the first 15 in arrival order are picked with probability 1 / C(30,15) ≈ 6e-9 at random
      expect(picked.sort()).not.toEqual([...users.slice(0, 15)].sort());
      // the serving counter counts admissions under random: it never tells a waiting user they are next
      expect(await waitingRoom.stats({ saleId, now })).toMatchObject({ waiting: 15, servedUpTo: 15 });
    },
  },
  {
    category: 'behaviour',
    name: 'random method: the first arrival is admitted first about one time in n (chi-square)',
    timeoutMs: 120_000,
    async run({ waitingRoom }, { now }) {
      const n = 6;
      const trials = 240;
      const slotOfFirst = new Array<number>(n).fill(0);
      for (let t = 0; t < trials; t += 1) {
        const saleId = freshId('qsr');
        await waitingRoom.configure({ saleId, method: 'random' });
        await enterAll(waitingRoom, saleId, usersNamed('u', n), now);
        for (let slot = 0; slot < n; slot += 1) {
          const step = await admitStep(waitingRoom, saleId, 1, now);
          if (step.admitted[0]?.userId === 'u0') slotOfFirst[slot]! += 1;
        }
      }
      expect(slotOfFirst.reduce((a, b) => a + b, 0)).toBe(trials);
      expect(chiSquareUniform(slotOfFirst)).toBeLessThan(chiSquareCritical(n - 1));
    },
  },
  {
    category: 'behaviour',
    name: 'passthrough admits at once while under capacity and nobody waits; otherwise users queue',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      await waitingRoom.configure({ saleId, method: 'passthrough' });
      const enter = (userId: string) =>
        waitingRoom.enter({ saleId, userId, now, maxActive: 2, sessionMs: SESSION_MS });
      expect(joined(await enter('a'))).toMatchObject({
        state: 'ADMITTED',
        ticket: 1,
        admittedUntil: now + SESSION_MS,
      });
      expect(joined(await enter('b'))).toMatchObject({ state: 'ADMITTED', ticket: 2 });
      expect(joined(await enter('c'))).toMatchObject({ state: 'WAITING', ticket: 3 });
      expect(await waitingRoom.position({ saleId, userId: 'c', now })).toMatchObject({
        servedUpTo: 2,
        ahead: 0,
      });
      // capacity frees up, but c waits: d must not pass c
      await waitingRoom.leave({ saleId, userId: 'a' });
      expect(joined(await enter('d'))).toMatchObject({ state: 'WAITING', ticket: 4 });
      const step = await waitingRoom.admitNext({ saleId, max: 5, maxActive: 2, sessionMs: SESSION_MS, now });
      expect(step.admitted.map((e) => e.userId)).toEqual(['c']);
      expect((await waitingRoom.admission({ saleId, userId: 'b', now })).admitted).toBe(true);
    },
  },
  {
    category: 'behaviour',
    name: 'reject refuses new arrivals politely while those already waiting keep their place; switching back reopens',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      await enterAll(waitingRoom, saleId, ['a', 'b'], now);
      await waitingRoom.configure({ saleId, method: 'reject' });
      expect(await enterOne(waitingRoom, saleId, 'late', now)).toEqual({
        outcome: 'REJECTED',
      });
      expect(await waitingRoom.position({ saleId, userId: 'late', now })).toBeNull();
      expect(await enterOne(waitingRoom, saleId, 'a', now)).toMatchObject({
        outcome: 'JOINED',
        alreadyJoined: true,
        entry: { ticket: 1 },
      });
      const step = await admitStep(waitingRoom, saleId, 5, now);
      expect(step.admitted.map((e) => e.userId)).toEqual(['a', 'b']);
      expect((await waitingRoom.stats({ saleId, now })).lastTicket).toBe(2);
      await waitingRoom.configure({ saleId, method: 'fifo' });
      expect(joined(await enterOne(waitingRoom, saleId, 'late', now))).toMatchObject({
        ticket: 3,
        state: 'WAITING',
      });
    },
  },
  {
    category: 'behaviour',
    name: 'keepExistingMethod sets a method only on a room that never had one',
    async run({ waitingRoom }) {
      const saleId = freshId('qs');
      expect(
        await waitingRoom.configure({ saleId, method: 'random', keepExistingMethod: true }),
      ).toMatchObject({
        method: 'random',
      });
      await waitingRoom.configure({ saleId, method: 'reject' });
      expect(
        await waitingRoom.configure({ saleId, method: 'random', keepExistingMethod: true }),
      ).toMatchObject({
        method: 'reject',
      });
      expect(await waitingRoom.configure({ saleId, method: 'fifo' })).toMatchObject({ method: 'fifo' });
    },
  },
  {
    category: 'bad input',
    name: 'refuses an unknown method, an empty configuration and bad enter input, changing nothing',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      await expectValidationError(() => waitingRoom.configure({ saleId, method: 'lottery' as never }));
      await expectValidationError(() => waitingRoom.configure({ saleId }));
      const enter = { saleId, userId: 'a', now, maxActive: 1, sessionMs: SESSION_MS };
      for (const bad of [
        { ...enter, maxActive: 0 },
        { ...enter, lane: 'vip' },
        { ...enter, admit: 'yes' },
      ]) {
        await expectValidationError(() => waitingRoom.enter(bad as Parameters<QueueingStore['enter']>[0]));
      }
      await expectValidationError(() =>
        waitingRoom.admitNext({ saleId, max: -1, maxActive: 1, sessionMs: SESSION_MS, now }),
      );
      expect(await waitingRoom.queueConfig({ saleId })).toEqual({
        method: 'fifo',
        preQueue: false,
        preQueued: 0,
      });
      expect(await waitingRoom.stats({ saleId, now })).toMatchObject({ waiting: 0, lastTicket: 0 });
    },
  },
  {
    category: 'concurrency',
    name: 'passthrough under 200 concurrent arrivals admits exactly maxActive at once and queues the rest',
    timeoutMs: 60_000,
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      await waitingRoom.configure({ saleId, method: 'passthrough' });
      const results = await Promise.all(
        usersNamed('p', 200).map((userId) =>
          waitingRoom.enter({ saleId, userId, now, maxActive: 50, sessionMs: SESSION_MS }),
        ),
      );
      const entries = results.map(joined);
      expect(entries.filter((e) => e.state === 'ADMITTED')).toHaveLength(50);
      expect(new Set(entries.map((e) => e.ticket)).size).toBe(200);
      expect(await waitingRoom.stats({ saleId, now })).toMatchObject({
        waiting: 150,
        active: 50,
        lastTicket: 200,
      });
    },
  },
  {
    category: 'concurrency',
    name: 'switching method while 200 users arrive: each arrival is either queued once or rejected',
    timeoutMs: 60_000,
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      const users = usersNamed('s', 200);
      const [results] = await Promise.all([
        Promise.all(users.map((userId) => enterOne(waitingRoom, saleId, userId, now))),
        (async () => {
          for (const method of ['reject', 'fifo', 'reject', 'random'] as const)
            await waitingRoom.configure({ saleId, method });
        })(),
      ]);
      const queued = results.filter((r) => r.outcome === 'JOINED');
      const stats = await waitingRoom.stats({ saleId, now });
      expect(stats.waiting).toBe(queued.length);
      expect(stats.lastTicket).toBe(queued.length);
      expect((await waitingRoom.queueConfig({ saleId })).method).toBe('random');
    },
  },
  // ── 3. sessions and leaving ────────────────────────────────────────────────────────────────
  {
    category: 'behaviour',
    name: 'a disappeared user keeps their place through the grace period, then loses it when their turn comes',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      await enterAll(waitingRoom, saleId, ['gone', 'back', 'here'], now);
      await waitingRoom.heartbeat({ saleId, userId: 'back', now: now + 4_000 });
      await waitingRoom.heartbeat({ saleId, userId: 'here', now: now + 9_000 });
      // grace 5 s at now + 6 s: 'gone' (last seen at now) is past it; 'back' (at now + 4 s) is not
      const step = await waitingRoom.admitNext({
        saleId,
        max: 1,
        maxActive: BIG,
        sessionMs: SESSION_MS,
        now: now + 6_000,
        silentSince: now + 1_000,
      });
      expect(step.lapsed).toEqual(['gone']);
      expect(step.admitted.map((e) => e.userId)).toEqual(['back']);
      expect(await waitingRoom.position({ saleId, userId: 'gone', now: now + 6_000 })).toBeNull();
      expect(await waitingRoom.position({ saleId, userId: 'here', now: now + 6_000 })).toMatchObject({
        state: 'WAITING',
        ticket: 3,
      });
    },
  },
  {
    category: 'behaviour',
    name: 'giving an admission back (checkout, cancel) frees its capacity for the next user at once',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      await enterAll(waitingRoom, saleId, ['a', 'b', 'c'], now);
      await waitingRoom.admitNext({ saleId, max: 5, maxActive: 1, sessionMs: SESSION_MS, now });
      expect(
        (await waitingRoom.admitNext({ saleId, max: 5, maxActive: 1, sessionMs: SESSION_MS, now })).admitted,
      ).toEqual([]);
      expect(await waitingRoom.leave({ saleId, userId: 'a' })).toBe(true);
      expect((await waitingRoom.admission({ saleId, userId: 'a', now })).admitted).toBe(false);
      const next = await waitingRoom.admitNext({
        saleId,
        max: 5,
        maxActive: 1,
        sessionMs: SESSION_MS,
        now: now + 1,
      });
      expect(next.admitted.map((e) => e.userId)).toEqual(['b']);
      expect(next.active).toBe(1);
      // a renewal keeps the session while active; an expired one cannot be renewed
      expect(await waitingRoom.renew({ saleId, userId: 'b', sessionMs: SESSION_MS, now: now + 5_000 })).toBe(
        true,
      );
      expect((await waitingRoom.admission({ saleId, userId: 'b', now: now + 12_000 })).admitted).toBe(true);
      expect(await waitingRoom.renew({ saleId, userId: 'b', sessionMs: SESSION_MS, now: now + 20_000 })).toBe(
        false,
      );
    },
  },
  {
    category: 'concurrency',
    name: 'concurrent hand-overs (leave + admitNext) never exceed maxActive nor admit anyone twice',
    timeoutMs: 60_000,
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      const users = usersNamed('h', 120);
      await Promise.all(users.map((userId) => enterOne(waitingRoom, saleId, userId, now)));
      const first = await waitingRoom.admitNext({
        saleId,
        max: 20,
        maxActive: 20,
        sessionMs: SESSION_MS,
        now,
      });
      const everAdmitted = first.admitted.map((e) => e.userId);
      let current = [...everAdmitted];
      for (let round = 0; round < 5; round += 1) {
        const leaving = current;
        const steps = await Promise.all([
          ...leaving.map((userId) => waitingRoom.leave({ saleId, userId })),
          ...leaving.map(() =>
            waitingRoom.admitNext({ saleId, max: 1, maxActive: 20, sessionMs: SESSION_MS, now }),
          ),
        ]);
        const admittedNow = steps.flatMap((s) =>
          typeof s === 'object' ? s.admitted.map((e) => e.userId) : [],
        );
        const stats = await waitingRoom.stats({ saleId, now });
        expect(stats.active).toBeLessThanOrEqual(20);
        current = [];
        for (const userId of admittedNow)
          if ((await waitingRoom.admission({ saleId, userId, now })).admitted) current.push(userId);
        expect(current.length).toBe(stats.active);
        everAdmitted.push(...admittedNow);
      }
      expect(new Set(everAdmitted).size).toBe(everAdmitted.length);
    },
  },
  // ── 2. scheduled sale with a pre-queue ─────────────────────────────────────────────────────
  {
    category: 'behaviour',
    name: 'pre-queue: early arrivals wait without a ticket, opening shuffles them ahead of later arrivals',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      expect(await waitingRoom.configure({ saleId, preQueue: true })).toEqual({
        method: 'fifo',
        preQueue: true,
        preQueued: 0,
      });
      const early = usersNamed('e', 5);
      for (const entry of (await enterAll(waitingRoom, saleId, early, now)).map(joined)) {
        expect(entry).toMatchObject({ ticket: 0, state: 'WAITING', lane: 'pre-queue' });
      }
      expect(await waitingRoom.position({ saleId, userId: 'e2', now })).toMatchObject({
        lane: 'pre-queue',
        ticket: 0,
      });
      expect(await waitingRoom.queueConfig({ saleId })).toEqual({
        method: 'fifo',
        preQueue: true,
        preQueued: 5,
      });
      expect(await waitingRoom.leave({ saleId, userId: 'e4' })).toBe(true);
      const closed = await admitStep(waitingRoom, saleId, 10, now);
      expect(closed).toMatchObject({ admitted: [], preQueueClosed: true });
      const opened = await waitingRoom.openPreQueue({ saleId, now: now + 1 });
      expect(opened).toEqual({ opened: true, shuffled: 4, firstTicket: 1, lastTicket: 4 });
      const tickets = [];
      for (const userId of early.slice(0, 4)) {
        const position = await waitingRoom.position({ saleId, userId, now: now + 1 });
        expect(position?.lane).toBeUndefined();
        tickets.push(position!.ticket);
      }
      expect(tickets.sort()).toEqual([1, 2, 3, 4]);
      expect(await waitingRoom.openPreQueue({ saleId, now: now + 2 })).toEqual({
        opened: false,
        shuffled: 0,
        firstTicket: 0,
        lastTicket: 0,
      });
      expect(joined(await enterOne(waitingRoom, saleId, 'late', now + 2))).toMatchObject({ ticket: 5 });
      const step = await admitStep(waitingRoom, saleId, 10, now + 2);
      expect(step.admitted.map((e) => e.ticket)).toEqual([1, 2, 3, 4, 5]);
      expect(step.admitted.at(-1)?.userId).toBe('late');
    },
  },
  {
    category: 'behaviour',
    name: 'pre-queue shuffle is fair: a 10,000-buyer shuffle shows no link between arrival and position',
    timeoutMs: 120_000,
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      const n = 10_000;
      await waitingRoom.configure({ saleId, preQueue: true });
      for (let start = 0; start < n; start += 500) {
        await Promise.all(
          Array.from({ length: 500 }, (_, i) => enterOne(waitingRoom, saleId, `b${start + i}`, now)),
        );
      }
      expect(await waitingRoom.openPreQueue({ saleId, now })).toEqual({
        opened: true,
        shuffled: n,
        firstTicket: 1,
        lastTicket: n,
      });
      // arrival decile × ticket decile: uniform means every cell near 100
      const table = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
      const seen = new Set<number>();
      const step = await waitingRoom.admitNext({ saleId, max: n, maxActive: n, sessionMs: SESSION_MS, now });
      expect(step.admitted).toHaveLength(n);
      for (const entry of step.admitted) {
        const arrival = Number(entry.userId.slice(1));
        seen.add(entry.ticket);
        table[Math.floor(arrival / 1_000)]![Math.floor((entry.ticket - 1) / 1_000)]! += 1;
      }
      expect(seen.size).toBe(n);
      const { chi2, df } = chiSquareIndependence(table);
      expect(chi2).toBeLessThan(chiSquareCritical(df));
      // the first hundred arrivals end up spread over the whole queue, not at its front
      const early = step.admitted.filter((e) => Number(e.userId.slice(1)) < 100).map((e) => e.ticket);
      const mean = early.reduce((a, b) => a + b, 0) / early.length;
      expect(mean).toBeGreaterThan(n / 2 - 4 * (n / Math.sqrt(12) / 10));
      expect(mean).toBeLessThan(n / 2 + 4 * (n / Math.sqrt(12) / 10));
    },
  },
  {
    category: 'behaviour',
    name: 'pre-queue shuffle is uniform over many openings (chi-square on the first arrival’s position)',
    timeoutMs: 120_000,
    async run({ waitingRoom }, { now }) {
      const n = 8;
      const trials = 320;
      const first = new Array<number>(n).fill(0);
      const last = new Array<number>(n).fill(0);
      for (let t = 0; t < trials; t += 1) {
        const saleId = freshId('qsp');
        await waitingRoom.configure({ saleId, preQueue: true });
        await enterAll(waitingRoom, saleId, usersNamed('u', n), now);
        await waitingRoom.openPreQueue({ saleId, now });
        first[(await waitingRoom.position({ saleId, userId: 'u0', now }))!.ticket - 1]! += 1;
        last[(await waitingRoom.position({ saleId, userId: `u${n - 1}`, now }))!.ticket - 1]! += 1;
      }
      expect(chiSquareUniform(first)).toBeLessThan(chiSquareCritical(n - 1));
      expect(chiSquareUniform(last)).toBeLessThan(chiSquareCritical(n - 1));
    },
  },
  {
    category: 'concurrency',
    name: 'opening while 300 users arrive: every user gets one distinct ticket, pre-queued ones first',
    timeoutMs: 60_000,
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      await waitingRoom.configure({ saleId, preQueue: true });
      const users = usersNamed('c', 300);
      const [results, opened] = await Promise.all([
        Promise.all(users.map((userId) => enterOne(waitingRoom, saleId, userId, now))),
        waitingRoom.openPreQueue({ saleId, now }),
      ]);
      expect(opened.opened).toBe(true);
      const tickets = new Map<string, number>();
      for (const userId of users)
        tickets.set(userId, (await waitingRoom.position({ saleId, userId, now }))!.ticket);
      expect([...tickets.values()].sort((a, b) => a - b)).toEqual(
        Array.from({ length: 300 }, (_, i) => i + 1),
      );
      results.forEach((result, i) => {
        const entry = joined(result);
        const ticket = tickets.get(users[i]!)!;
        if (entry.lane === 'pre-queue') expect(ticket).toBeLessThanOrEqual(opened.shuffled);
        else expect(ticket).toBeGreaterThan(opened.shuffled);
      });
    },
  },
  {
    category: 'behaviour',
    name: 'the base admit serves the priority lane first and leaves the pre-queue to the opening',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      await enterAll(waitingRoom, saleId, ['n1'], now);
      await enterOne(waitingRoom, saleId, 'v1', now, 'priority');
      await waitingRoom.configure({ saleId, preQueue: true });
      await enterAll(waitingRoom, saleId, ['p1'], now);
      const tick = await waitingRoom.admit({ saleId, max: 10, maxActive: BIG, sessionMs: SESSION_MS, now });
      expect(tick.admitted.map((e) => [e.userId, e.ticket])).toEqual([
        ['v1', 2],
        ['n1', 1],
      ]);
      expect(tick.servedUpTo).toBe(1);
      expect(await waitingRoom.stats({ saleId, now })).toMatchObject({ waiting: 1, active: 2 });
      expect(await waitingRoom.position({ saleId, userId: 'p1', now })).toMatchObject({ lane: 'pre-queue' });
      await waitingRoom.openPreQueue({ saleId, now });
      const after = await waitingRoom.admit({ saleId, max: 10, maxActive: BIG, sessionMs: SESSION_MS, now });
      expect(after.admitted.map((e) => [e.userId, e.ticket])).toEqual([['p1', 3]]);
    },
  },
  {
    category: 'behaviour',
    name: 'the base join also waits in the pre-queue while it collects, and finds a lane user again',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      await enterOne(waitingRoom, saleId, 'v1', now, 'priority');
      expect(await waitingRoom.join({ saleId, userId: 'v1', now })).toEqual({
        alreadyJoined: true,
        entry: { userId: 'v1', ticket: 1, state: 'WAITING', lane: 'priority' },
      });
      await waitingRoom.configure({ saleId, preQueue: true });
      expect(await waitingRoom.join({ saleId, userId: 'p1', now })).toEqual({
        alreadyJoined: false,
        entry: { userId: 'p1', ticket: 0, state: 'WAITING', lane: 'pre-queue' },
      });
      expect(await waitingRoom.join({ saleId, userId: 'p1', now })).toMatchObject({
        alreadyJoined: true,
        entry: { ticket: 0 },
      });
      expect(await waitingRoom.position({ saleId, userId: 'p1', now })).toMatchObject({ lane: 'pre-queue' });
      expect(await waitingRoom.openPreQueue({ saleId, now })).toMatchObject({ shuffled: 1, firstTicket: 2 });
      expect(await waitingRoom.join({ saleId, userId: 'p1', now })).toMatchObject({ entry: { ticket: 2 } });
    },
  },
  {
    category: 'behaviour',
    name: 'turning the pre-queue off while it collects opens it: everyone in it gets a ticket',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      await waitingRoom.configure({ saleId, preQueue: true });
      await enterAll(waitingRoom, saleId, ['a', 'b', 'c'], now);
      expect(await waitingRoom.configure({ saleId, preQueue: false, method: 'fifo' })).toEqual({
        method: 'fifo',
        preQueue: false,
        preQueued: 0,
      });
      const step = await admitStep(waitingRoom, saleId, 10, now);
      expect(step.admitted.map((e) => e.userId).sort()).toEqual(['a', 'b', 'c']);
      expect(step.admitted.map((e) => e.ticket).sort()).toEqual([1, 2, 3]);
    },
  },
  // ── 4. lanes: bypass and priority ──────────────────────────────────────────────────────────
  {
    category: 'behaviour',
    name: 'priority lane is admitted first, FIFO among itself; normal users keep their order behind it',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      await enterAll(waitingRoom, saleId, ['n1', 'n2'], now);
      const vip = joined(await enterOne(waitingRoom, saleId, 'v1', now, 'priority'));
      expect(vip).toMatchObject({ lane: 'priority', ticket: 3, state: 'WAITING' });
      await enterOne(waitingRoom, saleId, 'v2', now, 'priority');
      expect(await waitingRoom.position({ saleId, userId: 'v2', exact: true, now })).toMatchObject({
        lane: 'priority',
        ahead: 1,
        exactRank: 1,
      });
      expect(await waitingRoom.position({ saleId, userId: 'n1', exact: true, now })).toMatchObject({
        exactRank: 2,
      });
      const step = await admitStep(waitingRoom, saleId, 3, now);
      expect(step.admitted.map((e) => [e.userId, e.ticket])).toEqual([
        ['v1', 3],
        ['v2', 4],
        ['n1', 1],
      ]);
      // the priority lane does not move the serving counter the normal lane reads
      expect(step.servedUpTo).toBe(1);
    },
  },
  {
    category: 'behaviour',
    name: 'bypass admits at once under capacity and otherwise waits at the head of the line, even under reject',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      await enterAll(waitingRoom, saleId, ['n1'], now);
      const bypass = (userId: string) =>
        waitingRoom.enter({ saleId, userId, now, lane: 'bypass', maxActive: 1, sessionMs: SESSION_MS });
      expect(joined(await bypass('b1'))).toMatchObject({
        state: 'ADMITTED',
        admittedUntil: now + SESSION_MS,
      });
      expect(joined(await bypass('b2'))).toMatchObject({ state: 'WAITING', lane: 'priority' });
      await waitingRoom.configure({ saleId, method: 'reject' });
      expect(joined(await bypass('b3'))).toMatchObject({ state: 'WAITING', lane: 'priority' });
      await waitingRoom.leave({ saleId, userId: 'b1' });
      const step = await waitingRoom.admitNext({ saleId, max: 1, maxActive: 1, sessionMs: SESSION_MS, now });
      expect(step.admitted.map((e) => e.userId)).toEqual(['b2']);
    },
  },
  {
    category: 'behaviour',
    name: 'admit: false (paused, not open yet) queues passthrough arrivals FIFO and bypass ones in the priority lane',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      await waitingRoom.configure({ saleId, method: 'passthrough' });
      const enter = (userId: string, lane: 'normal' | 'bypass', admit: boolean) =>
        waitingRoom.enter({ saleId, userId, now, lane, admit, maxActive: BIG, sessionMs: SESSION_MS });
      // an empty room with all the capacity in the world: only `admit` holds them back
      expect(joined(await enter('p1', 'normal', false))).toEqual({
        userId: 'p1',
        ticket: 1,
        state: 'WAITING',
      });
      expect(joined(await enter('p2', 'normal', false))).toEqual({
        userId: 'p2',
        ticket: 2,
        state: 'WAITING',
      });
      expect(joined(await enter('v1', 'bypass', false))).toEqual({
        userId: 'v1',
        ticket: 3,
        state: 'WAITING',
        lane: 'priority',
      });
      expect(await waitingRoom.stats({ saleId, now })).toMatchObject({
        active: 0,
        waiting: 3,
        servedUpTo: 0,
      });
      expect((await waitingRoom.admission({ saleId, userId: 'p1', now })).admitted).toBe(false);
      // admission runs again: the first step lets them in, the invited buyer first
      const step = await admitStep(waitingRoom, saleId, 5, now);
      expect(step.admitted.map((e) => e.userId)).toEqual(['v1', 'p1', 'p2']);
      // with admission running (admit: true, the default) both paths admit at once again
      expect(joined(await enter('p3', 'normal', true))).toMatchObject({ state: 'ADMITTED', ticket: 4 });
      expect(joined(await enter('v2', 'bypass', true))).toMatchObject({ state: 'ADMITTED', ticket: 5 });
    },
  },
  {
    category: 'concurrency',
    name: '200 normal and 20 priority users arriving together: all priority users are admitted before any normal one',
    timeoutMs: 60_000,
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('qs');
      const arrivals = [
        ...usersNamed('n', 200).map((userId) => ({ userId, lane: 'normal' as const })),
        ...usersNamed('v', 20).map((userId) => ({ userId, lane: 'priority' as const })),
      ].sort(() => Math.random() - 0.5);
      await Promise.all(
        arrivals.map(({ userId, lane }) =>
          waitingRoom.enter({ saleId, userId, lane, now, maxActive: BIG, sessionMs: SESSION_MS }),
        ),
      );
      const steps = await Promise.all(
        Array.from({ length: 11 }, () => admitStep(waitingRoom, saleId, 20, now)),
      );
      const first = steps.find((s) => s.admitted.some((e) => e.userId.startsWith('v')));
      expect(first?.admitted.map((e) => e.userId.startsWith('v'))).toEqual(new Array(20).fill(true));
      const all = steps.flatMap((s) => s.admitted.map((e) => e.userId));
      expect(new Set(all).size).toBe(220);
      const normalTickets = steps
        .flatMap((s) => s.admitted)
        .filter((e) => e.userId.startsWith('n'))
        .map((e) => e.ticket);
      expect(new Set(normalTickets).size).toBe(200);
    },
  },
];

/**
 * Registers the queueing store's conformance suite: methods (FIFO, random, passthrough, reject,
 * switched live), the pre-queue and its fair, atomic shuffle, grace periods and hand-overs, and
 * the priority and bypass lanes.
 */
export function describeQueueingStore(name: string, factory: Factory<QueueingStoreSubject>): void {
  registerChecks(`QueueingStore conformance: ${name}`, factory, queueingStoreChecks);
}
