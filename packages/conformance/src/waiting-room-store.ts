import type { WaitingRoomStore } from '@seatrush/core';
import fc from 'fast-check';
import { expect } from 'vitest';
import { freshId, startOfTest } from './fixtures';
import { type Check, expectValidationError, type Factory, registerChecks } from './harness';

/** The port `describeWaitingRoomStore` tests. */
export interface WaitingRoomStoreSubject {
  waitingRoom: WaitingRoomStore;
}

type Subject = WaitingRoomStoreSubject;

const SESSION_MS = 10_000;

async function joinAll(room: WaitingRoomStore, saleId: string, users: string[], now: number) {
  const entries = [];
  for (const userId of users) entries.push((await room.join({ saleId, userId, now })).entry);
  return entries;
}

/** Every check of `describeWaitingRoomStore`, exported so a suite's own tests can run them one by one. */
export const waitingRoomStoreChecks: readonly Check<Subject>[] = [
  {
    category: 'behaviour',
    name: 'hands out strictly increasing tickets and keeps a user’s place when they join again',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('wr');
      const first = await waitingRoom.join({ saleId, userId: 'u1', now });
      const second = await waitingRoom.join({ saleId, userId: 'u2', now });
      expect(first).toEqual({ entry: { userId: 'u1', ticket: 1, state: 'WAITING' }, alreadyJoined: false });
      expect(second.entry.ticket).toBe(2);
      const again = await waitingRoom.join({ saleId, userId: 'u1', now: now + 5 });
      expect(again).toEqual({ entry: { userId: 'u1', ticket: 1, state: 'WAITING' }, alreadyJoined: true });
      expect(await waitingRoom.stats({ saleId, now })).toEqual({
        waiting: 2,
        active: 0,
        servedUpTo: 0,
        lastTicket: 2,
      });
    },
  },
  {
    category: 'behaviour',
    name: 'answers positions from the serving counter, and the exact rank on request',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('wr');
      await joinAll(waitingRoom, saleId, ['u1', 'u2', 'u3', 'u4', 'u5'], now);
      await waitingRoom.admit({ saleId, max: 1, maxActive: 10, sessionMs: SESSION_MS, now });
      await waitingRoom.leave({ saleId, userId: 'u3' });
      const position = await waitingRoom.position({ saleId, userId: 'u5', now });
      expect(position).toMatchObject({ userId: 'u5', ticket: 5, state: 'WAITING', servedUpTo: 1, ahead: 3 });
      expect(position?.exactRank).toBeUndefined();
      // u3 left: the approximation still counts the gap, the exact rank does not.
      expect(await waitingRoom.position({ saleId, userId: 'u5', exact: true, now })).toMatchObject({
        ahead: 3,
        exactRank: 2,
      });
      expect(await waitingRoom.position({ saleId, userId: 'u1', now })).toMatchObject({
        state: 'ADMITTED',
        admittedUntil: now + SESSION_MS,
      });
      expect(await waitingRoom.position({ saleId, userId: 'nobody', now })).toBeNull();
      expect(await waitingRoom.position({ saleId: freshId('wr'), userId: 'u1', now })).toBeNull();
    },
  },
  {
    category: 'behaviour',
    name: 'admits the first waiting users in ticket order, never more than maxActive at once',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('wr');
      await joinAll(waitingRoom, saleId, ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'], now);
      const first = await waitingRoom.admit({ saleId, max: 2, maxActive: 3, sessionMs: SESSION_MS, now });
      expect(first.admitted.map((e) => [e.userId, e.ticket, e.state, e.admittedUntil])).toEqual([
        ['u1', 1, 'ADMITTED', now + SESSION_MS],
        ['u2', 2, 'ADMITTED', now + SESSION_MS],
      ]);
      expect(first).toMatchObject({ servedUpTo: 2, active: 2 });
      const second = await waitingRoom.admit({ saleId, max: 5, maxActive: 3, sessionMs: SESSION_MS, now });
      expect(second.admitted.map((e) => e.userId)).toEqual(['u3']);
      expect(second).toMatchObject({ servedUpTo: 3, active: 3 });
      const full = await waitingRoom.admit({ saleId, max: 5, maxActive: 3, sessionMs: SESSION_MS, now });
      expect(full).toEqual({ admitted: [], servedUpTo: 3, active: 3 });
      // Leaving frees a place at once.
      expect(await waitingRoom.leave({ saleId, userId: 'u2' })).toBe(true);
      const next = await waitingRoom.admit({ saleId, max: 5, maxActive: 3, sessionMs: SESSION_MS, now });
      expect(next.admitted.map((e) => e.userId)).toEqual(['u4']);
      expect(await waitingRoom.stats({ saleId, now })).toEqual({
        waiting: 2,
        active: 3,
        servedUpTo: 4,
        lastTicket: 6,
      });
    },
  },
  {
    category: 'behaviour',
    name: 'tells whether a user holds a live admission and renews it',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('wr');
      await waitingRoom.join({ saleId, userId: 'u1', now });
      expect(await waitingRoom.admission({ saleId, userId: 'u1', now })).toEqual({ admitted: false });
      await waitingRoom.admit({ saleId, max: 1, maxActive: 5, sessionMs: SESSION_MS, now });
      expect(await waitingRoom.admission({ saleId, userId: 'u1', now })).toEqual({
        admitted: true,
        until: now + SESSION_MS,
      });
      expect(await waitingRoom.renew({ saleId, userId: 'u1', sessionMs: SESSION_MS, now: now + 5_000 })).toBe(
        true,
      );
      expect(await waitingRoom.admission({ saleId, userId: 'u1', now: now + 12_000 })).toEqual({
        admitted: true,
        until: now + 15_000,
      });
      expect(await waitingRoom.renew({ saleId, userId: 'u2', sessionMs: SESSION_MS, now })).toBe(false);
      const joined = await waitingRoom.join({ saleId, userId: 'u1', now: now + 1 });
      expect(joined).toMatchObject({ alreadyJoined: true, entry: { state: 'ADMITTED', ticket: 1 } });
    },
  },
  {
    category: 'behaviour',
    name: 'keeps waiting users alive with heartbeats and evicts the silent ones',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('wr');
      await joinAll(waitingRoom, saleId, ['u1', 'u2', 'u3', 'u4'], now);
      expect(await waitingRoom.heartbeat({ saleId, userId: 'u2', now: now + 50_000 })).toBe(true);
      expect(await waitingRoom.heartbeat({ saleId, userId: 'u4', now: now + 50_000 })).toBe(true);
      expect(await waitingRoom.heartbeat({ saleId, userId: 'ghost', now })).toBe(false);
      const evicted = await waitingRoom.evictSilent({ saleId, silentSince: now + 30_000, limit: 10 });
      expect(evicted.sort()).toEqual(['u1', 'u3']);
      expect(await waitingRoom.position({ saleId, userId: 'u1', now })).toBeNull();
      expect(await waitingRoom.heartbeat({ saleId, userId: 'u1', now: now + 60_000 })).toBe(false);
      expect(await waitingRoom.stats({ saleId, now })).toMatchObject({ waiting: 2 });
      const limited = await waitingRoom.evictSilent({ saleId, silentSince: now + 90_000, limit: 1 });
      expect(limited).toHaveLength(1);
      expect(await waitingRoom.stats({ saleId, now })).toMatchObject({ waiting: 1 });
    },
  },
  {
    category: 'behaviour',
    name: 'lets a user leave the queue or give up an admission, and answers false when absent',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('wr');
      await joinAll(waitingRoom, saleId, ['u1', 'u2'], now);
      await waitingRoom.admit({ saleId, max: 1, maxActive: 5, sessionMs: SESSION_MS, now });
      expect(await waitingRoom.leave({ saleId, userId: 'u1' })).toBe(true);
      expect(await waitingRoom.admission({ saleId, userId: 'u1', now })).toEqual({ admitted: false });
      expect(await waitingRoom.leave({ saleId, userId: 'u2' })).toBe(true);
      expect(await waitingRoom.leave({ saleId, userId: 'u2' })).toBe(false);
      expect(await waitingRoom.stats({ saleId, now })).toMatchObject({
        waiting: 0,
        active: 0,
        lastTicket: 2,
      });
      // Joining again after leaving starts at the back.
      expect((await waitingRoom.join({ saleId, userId: 'u2', now })).entry.ticket).toBe(3);
    },
  },
  {
    category: 'expiry',
    name: 'lapses admissions at their expiry and drops them before admitting more',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('wr');
      await joinAll(waitingRoom, saleId, ['u1', 'u2', 'u3', 'u4'], now);
      await waitingRoom.admit({ saleId, max: 2, maxActive: 2, sessionMs: SESSION_MS, now });
      const later = now + SESSION_MS;
      expect(await waitingRoom.admission({ saleId, userId: 'u1', now: later - 1 })).toMatchObject({
        admitted: true,
      });
      expect(await waitingRoom.admission({ saleId, userId: 'u1', now: later })).toEqual({ admitted: false });
      expect(await waitingRoom.renew({ saleId, userId: 'u1', sessionMs: SESSION_MS, now: later })).toBe(
        false,
      );
      expect(await waitingRoom.stats({ saleId, now: later })).toMatchObject({ active: 0, waiting: 2 });
      const next = await waitingRoom.admit({
        saleId,
        max: 5,
        maxActive: 2,
        sessionMs: SESSION_MS,
        now: later,
      });
      expect(next.admitted.map((e) => e.userId)).toEqual(['u3', 'u4']);
      expect(next).toMatchObject({ active: 2, servedUpTo: 4 });
    },
  },
  {
    category: 'bad input',
    name: 'rejects invalid input with a ValidationError and changes nothing',
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('wr');
      await waitingRoom.join({ saleId, userId: 'u1', now });
      await expectValidationError(() => waitingRoom.join({ saleId, userId: 'bad user', now }));
      await expectValidationError(() => waitingRoom.join({ saleId: 'a:{b}', userId: 'u2', now }));
      await expectValidationError(() => waitingRoom.join({ saleId, userId: 'u2', now: -1 }));
      await expectValidationError(() =>
        waitingRoom.admit({ saleId, max: -1, maxActive: 5, sessionMs: 1_000, now }),
      );
      await expectValidationError(() =>
        waitingRoom.admit({ saleId, max: 1, maxActive: 0, sessionMs: 1_000, now }),
      );
      await expectValidationError(() => waitingRoom.renew({ saleId, userId: 'u1', sessionMs: 0, now }));
      await expectValidationError(() => waitingRoom.evictSilent({ saleId, silentSince: now, limit: 0 }));
      expect(await waitingRoom.stats({ saleId, now })).toEqual({
        waiting: 1,
        active: 0,
        servedUpTo: 0,
        lastTicket: 1,
      });
    },
  },
  {
    category: 'concurrency',
    name: 'gives 400 concurrent joins (each user twice) one ticket per user, with no gaps',
    timeoutMs: 60_000,
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('wr');
      const users = Array.from({ length: 200 }, (_, i) => `u${i}`);
      const results = await Promise.all(
        [...users, ...users].map((userId) => waitingRoom.join({ saleId, userId, now })),
      );
      const ticketOf = new Map<string, number>();
      for (const { entry } of results) {
        const known = ticketOf.get(entry.userId);
        if (known !== undefined) expect(entry.ticket, `${entry.userId} has one place`).toBe(known);
        ticketOf.set(entry.userId, entry.ticket);
      }
      expect(results.filter((r) => !r.alreadyJoined)).toHaveLength(200);
      expect([...ticketOf.values()].sort((a, b) => a - b)).toEqual(
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      expect(await waitingRoom.stats({ saleId, now })).toEqual({
        waiting: 200,
        active: 0,
        servedUpTo: 0,
        lastTicket: 200,
      });
    },
  },
  {
    category: 'concurrency',
    name: 'never admits a user twice nor more than maxActive under 20 concurrent admission ticks',
    timeoutMs: 60_000,
    async run({ waitingRoom }, { now }) {
      const saleId = freshId('wr');
      await Promise.all(
        Array.from({ length: 150 }, (_, i) => waitingRoom.join({ saleId, userId: `u${i}`, now })),
      );
      const ticks = await Promise.all(
        Array.from({ length: 20 }, () =>
          waitingRoom.admit({ saleId, max: 10, maxActive: 100, sessionMs: SESSION_MS, now }),
        ),
      );
      const admitted = ticks.flatMap((t) => t.admitted);
      expect(admitted).toHaveLength(100);
      expect(new Set(admitted.map((e) => e.userId)).size).toBe(100);
      // The first 100 tickets, whatever the interleaving.
      expect(admitted.map((e) => e.ticket).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
      expect(await waitingRoom.stats({ saleId, now })).toEqual({
        waiting: 50,
        active: 100,
        servedUpTo: 100,
        lastTicket: 150,
      });
    },
  },
  {
    category: 'model',
    name: 'agrees with the reference model on random join/leave/admit/heartbeat/evict sequences',
    timeoutMs: 120_000,
    async run({ waitingRoom }) {
      await fc.assert(
        fc.asyncProperty(fc.array(roomCommand, { minLength: 5, maxLength: 40, size: 'max' }), (commands) =>
          runRoomModel(waitingRoom, commands),
        ),
        { numRuns: 30 },
      );
    },
  },
];

/**
 * Registers the WaitingRoomStore conformance suite: FCFS tickets, positions, admission bounded by
 * maxActive, heartbeats and eviction, expiry driven by `now`, bad input, concurrency and a model.
 */
export function describeWaitingRoomStore(name: string, factory: Factory<WaitingRoomStoreSubject>): void {
  registerChecks(`WaitingRoomStore conformance: ${name}`, factory, waitingRoomStoreChecks);
}

type RoomCommand =
  | { kind: 'join' | 'leave' | 'heartbeat'; user: number }
  | { kind: 'admit'; max: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'evict'; limit: number };

const ROOM_USERS = 6;
const MODEL_SESSION_MS = 1_000;
const MODEL_SILENCE_MS = 700;
const MODEL_MAX_ACTIVE = 3;

const roomCommand: fc.Arbitrary<RoomCommand> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('join' as const, 'leave' as const, 'heartbeat' as const),
    user: fc.nat(ROOM_USERS - 1),
  }),
  fc.record({ kind: fc.constant('admit' as const), max: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(150, 450, 1_050) }),
  fc.record({ kind: fc.constant('evict' as const), limit: fc.integer({ min: 1, max: 6 }) }),
);

async function runRoomModel(room: WaitingRoomStore, commands: RoomCommand[]): Promise<void> {
  const saleId = freshId('wrm');
  let now = startOfTest();
  let lastTicket = 0;
  let servedUpTo = 0;
  // `lastSeen` is the first join or the last heartbeat; a repeated join may count as a sign of life
  // or not (the port leaves it open), so it is kept apart in `rejoined`.
  const waiting = new Map<string, { ticket: number; lastSeen: number; rejoined: number }>();
  const admitted = new Map<string, { ticket: number; until: number }>();
  const live = (userId: string) => (admitted.get(userId)?.until ?? 0) > now;

  for (const command of commands) {
    switch (command.kind) {
      case 'join': {
        const userId = `u${command.user}`;
        const { entry, alreadyJoined } = await room.join({ saleId, userId, now });
        const was = waiting.get(userId);
        if (was) {
          expect({ alreadyJoined, ticket: entry.ticket }).toEqual({
            alreadyJoined: true,
            ticket: was.ticket,
          });
          was.rejoined = now;
        } else if (live(userId)) {
          expect({ alreadyJoined, state: entry.state }).toEqual({ alreadyJoined: true, state: 'ADMITTED' });
        } else {
          lastTicket += 1;
          admitted.delete(userId);
          expect({ alreadyJoined, ticket: entry.ticket }).toEqual({
            alreadyJoined: false,
            ticket: lastTicket,
          });
          waiting.set(userId, { ticket: lastTicket, lastSeen: now, rejoined: now });
        }
        break;
      }
      case 'leave': {
        const userId = `u${command.user}`;
        const present = waiting.has(userId) || live(userId);
        const left = await room.leave({ saleId, userId });
        // A lapsed admission may or may not still be on record: only a present user must answer true.
        if (present) expect(left).toBe(true);
        waiting.delete(userId);
        admitted.delete(userId);
        break;
      }
      case 'heartbeat': {
        const userId = `u${command.user}`;
        const alive = await room.heartbeat({ saleId, userId, now });
        const entry = waiting.get(userId);
        if (entry) {
          entry.lastSeen = now;
          entry.rejoined = now;
        }
        expect(alive).toBe(entry !== undefined || live(userId));
        break;
      }
      case 'admit': {
        for (const [userId, entry] of admitted) if (entry.until <= now) admitted.delete(userId);
        const result = await room.admit({
          saleId,
          max: command.max,
          maxActive: MODEL_MAX_ACTIVE,
          sessionMs: MODEL_SESSION_MS,
          now,
        });
        const slots = Math.max(0, Math.min(command.max, MODEL_MAX_ACTIVE - admitted.size));
        const next = [...waiting.entries()].sort((a, b) => a[1].ticket - b[1].ticket).slice(0, slots);
        for (const [userId, entry] of next) {
          waiting.delete(userId);
          admitted.set(userId, { ticket: entry.ticket, until: now + MODEL_SESSION_MS });
          servedUpTo = Math.max(servedUpTo, entry.ticket);
        }
        expect(result.admitted.map((e) => e.userId)).toEqual(next.map(([userId]) => userId));
        expect(result).toMatchObject({ servedUpTo, active: admitted.size });
        break;
      }
      case 'advance':
        now += command.ms;
        break;
      case 'evict': {
        const silentSince = now - MODEL_SILENCE_MS;
        const surely = [...waiting.values()].filter((e) => Math.max(e.lastSeen, e.rejoined) < silentSince);
        const maybe = [...waiting.values()].filter((e) => e.lastSeen < silentSince);
        const evicted = await room.evictSilent({ saleId, silentSince, limit: command.limit });
        expect(evicted.length).toBeGreaterThanOrEqual(Math.min(command.limit, surely.length));
        expect(evicted.length).toBeLessThanOrEqual(Math.min(command.limit, maybe.length));
        for (const userId of evicted) {
          expect(
            waiting.get(userId)?.lastSeen ?? Number.POSITIVE_INFINITY,
            `${userId} was silent`,
          ).toBeLessThan(silentSince);
          waiting.delete(userId);
        }
        break;
      }
    }
    const activeNow = [...admitted.values()].filter((e) => e.until > now).length;
    expect(await room.stats({ saleId, now })).toEqual({
      waiting: waiting.size,
      active: activeNow,
      servedUpTo,
      lastTicket,
    });
    for (let u = 0; u < ROOM_USERS; u += 1) {
      const userId = `u${u}`;
      expect((await room.admission({ saleId, userId, now })).admitted, `${userId} admitted`).toBe(
        live(userId),
      );
    }
  }
}
