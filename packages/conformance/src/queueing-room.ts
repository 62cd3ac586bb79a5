import type { DomainEvent, EventPublisher, QueueingRoomOptions, QueueingStore } from '@seatrush/core';
import { AdmissionTokens, Invitations, QueueingRoom } from '@seatrush/core/services';
import { ManualClock } from '@seatrush/core/testing';
import { expect } from 'vitest';
import { freshId, generalSaleDefinition } from './fixtures';
import { type Check, type Factory, registerChecks } from './harness';

/** What `describeQueueingRoom` tests: the `QueueingRoom` service over one shared store. */
export interface QueueingRoomSubject {
  store: QueueingStore;
}

type Subject = QueueingRoomSubject;

const TOKEN_SECRET = 'conformance-admission-secret-0123456789';
const INVITATION_SECRET = 'conformance-invitation-secret-012345678';

/** Keeps every event published, so a check sees which admissions were announced. */
class RecordingPublisher implements EventPublisher {
  readonly events: DomainEvent[] = [];
  async publish(events: DomainEvent[]): Promise<void> {
    this.events.push(...events);
  }
  async close(): Promise<void> {}
  admittedUsers(): string[] {
    return this.events.flatMap((event) => (event.type === 'UserAdmitted' ? [event.payload.userId] : []));
  }
}

/**
 * `count` service instances (API servers) of one sale over the same store, each with its own
 * clock set to the same instant, as separate processes would be.
 */
function instances(
  store: QueueingStore,
  count: number,
  options: { opensAt: number; now: number; usersPerInterval?: number; maxActive?: number } & Partial<
    Pick<QueueingRoomOptions, 'preQueue' | 'method'>
  >,
) {
  const saleId = freshId('qr');
  const sale = generalSaleDefinition(saleId, { opensAt: options.opensAt });
  sale.admission = {
    usersPerInterval: options.usersPerInterval ?? 10,
    intervalMs: 1_000,
    maxActive: options.maxActive ?? 50,
    sessionMs: 600_000,
    heartbeatTimeoutMs: 60_000,
  };
  const tokens = new AdmissionTokens({ secret: TOKEN_SECRET });
  const invitations = new Invitations({ secret: INVITATION_SECRET });
  const publisher = new RecordingPublisher();
  const rooms = Array.from({ length: count }, () => {
    const clock = new ManualClock(options.now);
    const room = new QueueingRoom({
      sale,
      store,
      tokens,
      clock,
      invitations,
      publisher,
      ...(options.preQueue === undefined ? {} : { preQueue: options.preQueue }),
      ...(options.method === undefined ? {} : { method: options.method }),
    });
    return { room, clock };
  });
  const setTime = (now: number) => {
    for (const { clock } of rooms) clock.set(now);
  };
  return { saleId, rooms: rooms.map((r) => r.room), setTime, invitations, publisher };
}

/** Every check of `describeQueueingRoom`. */
export const queueingRoomChecks: readonly Check<Subject>[] = [
  {
    category: 'concurrency',
    name: 'three instances ticking at the opening open the pre-queue once and admit each buyer once',
    timeoutMs: 60_000,
    async run({ store }, { now }) {
      const { rooms, setTime } = instances(store, 3, { opensAt: now + 60_000, now, preQueue: true });
      await Promise.all(rooms.map((room) => room.start()));
      await Promise.all(Array.from({ length: 120 }, (_, i) => rooms[i % 3]!.join({ userId: `b${i}` })));
      setTime(now + 60_000);
      const reports = await Promise.all(rooms.map((room) => room.tick()));
      expect(reports.filter((r) => r.openedPreQueue)).toHaveLength(1);
      expect(reports.find((r) => r.openedPreQueue)?.openedPreQueue).toEqual({
        shuffled: 120,
        firstTicket: 1,
        lastTicket: 120,
      });
      const admitted = reports.flatMap((r) => r.admitted);
      expect(admitted).toHaveLength(30);
      expect(new Set(admitted.map((u) => u.userId)).size).toBe(30);
      // each tick admitted the lowest tickets left at its turn: together, tickets 1..30
      expect(admitted.map((u) => u.ticket).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
      // a buyer arriving after the opening queues behind every pre-queued buyer
      const late = await rooms[1]!.join({ userId: 'late' });
      expect(late).toMatchObject({ ok: true, status: { ticket: 121 } });
    },
  },
  {
    category: 'concurrency',
    name: '50 buyers checking out at once hand their 50 places to 50 distinct next buyers, never over maxActive',
    timeoutMs: 60_000,
    async run({ store }, { now }) {
      const { rooms } = instances(store, 2, { opensAt: 0, now, usersPerInterval: 50, maxActive: 50 });
      await Promise.all(rooms.map((room) => room.start()));
      for (let i = 0; i < 150; i += 1) await rooms[i % 2]!.join({ userId: `u${i}` });
      const first = await rooms[0]!.tick();
      expect(first.admitted).toHaveLength(50);
      const ends = await Promise.all(
        first.admitted.map((u, i) => rooms[i % 2]!.endSession({ userId: u.userId, reason: 'CHECKOUT' })),
      );
      expect(ends.every((e) => e.ended)).toBe(true);
      const next = ends.flatMap((e) => e.next);
      expect(next).toHaveLength(50);
      expect(new Set(next.map((u) => u.userId)).size).toBe(50);
      for (const u of next) {
        expect(rooms[0]!.verifyToken({ userId: u.userId, token: u.admissionToken }).ok).toBe(true);
        expect(first.admitted.some((f) => f.userId === u.userId)).toBe(false);
      }
      const stats = await store.stats({ saleId: rooms[0]!.room.sale.id, now });
      expect(stats).toMatchObject({ active: 50, waiting: 50 });
    },
  },
  {
    category: 'behaviour',
    name: 'a method switched on one instance applies to joins on every other instance',
    async run({ store }, { now }) {
      const { rooms } = instances(store, 2, { opensAt: 0, now });
      await rooms[0]!.start();
      await rooms[0]!.setMethod('reject');
      expect(await rooms[1]!.join({ userId: 'x' })).toMatchObject({ ok: false, code: 'SOLD_OUT' });
      await rooms[1]!.setMethod('passthrough');
      expect(await rooms[0]!.join({ userId: 'x' })).toMatchObject({
        ok: true,
        status: { state: 'ADMITTED' },
      });
      expect((await rooms[1]!.config()).method).toBe('passthrough');
    },
  },
  {
    category: 'behaviour',
    name: 'an instance starting later keeps the method the operator switched to live',
    async run({ store }, { now }) {
      const { rooms } = instances(store, 2, { opensAt: 0, now, method: 'passthrough' });
      expect((await rooms[0]!.start()).method).toBe('passthrough');
      await rooms[0]!.setMethod('reject');
      expect((await rooms[1]!.start()).method).toBe('reject');
    },
  },
  {
    category: 'behaviour',
    name: 'passthrough and bypass joins queue while paused or before opensAt; an at-once admission publishes UserAdmitted',
    async run({ store }, { now }) {
      // well within the grace period (the sale's heartbeatTimeoutMs), so nobody lapses meanwhile
      const opensAt = now + 10_000;
      const { rooms, setTime, invitations, saleId, publisher } = instances(store, 2, {
        opensAt,
        now,
        method: 'passthrough',
      });
      const [room, other] = [rooms[0]!, rooms[1]!];
      const bypass = (userId: string) =>
        invitations.issue({ saleId, userId, lane: 'bypass', expiresAt: opensAt + 600_000 });
      // before the opening: nobody gets in at join time
      expect(await room.join({ userId: 'early' })).toMatchObject({ ok: true, status: { state: 'WAITING' } });
      expect(await room.join({ userId: 'vip1', invitation: bypass('vip1') })).toMatchObject({
        ok: true,
        status: { state: 'WAITING', lane: 'priority' },
      });
      setTime(opensAt);
      // open, but this instance's admission is paused (an incident): still nobody
      room.room.pause();
      expect(await room.join({ userId: 'paused' })).toMatchObject({ ok: true, status: { state: 'WAITING' } });
      expect(await room.join({ userId: 'vip2', invitation: bypass('vip2') })).toMatchObject({
        ok: true,
        status: { state: 'WAITING', lane: 'priority' },
      });
      expect(await room.tick()).toMatchObject({ skipped: 'PAUSED', admitted: [] });
      expect(publisher.admittedUsers()).toEqual([]);
      expect(await store.stats({ saleId, now: opensAt })).toMatchObject({ active: 0, waiting: 4 });
      // resumed: the tick admits the invited buyers first, then the others in arrival order
      room.room.resume();
      const tick = await room.tick();
      expect(tick.admitted.map((u) => u.userId)).toEqual(['vip1', 'vip2', 'early', 'paused']);
      // admission runs and nobody waits: a passthrough join on either instance is let in at once,
      // and announced like a tick's admission
      const walkIn = await other.join({ userId: 'walk-in' });
      expect(walkIn).toMatchObject({ ok: true, alreadyJoined: false, status: { state: 'ADMITTED' } });
      const vip3 = await room.join({ userId: 'vip3', invitation: bypass('vip3') });
      expect(vip3).toMatchObject({ ok: true, status: { state: 'ADMITTED' } });
      expect(publisher.admittedUsers()).toEqual(['vip1', 'vip2', 'early', 'paused', 'walk-in', 'vip3']);
      // joining again announces nothing new
      expect(await other.join({ userId: 'walk-in' })).toMatchObject({ ok: true, alreadyJoined: true });
      expect(publisher.admittedUsers()).toHaveLength(6);
    },
  },
  {
    category: 'concurrency',
    name: 'only buyers with their own invitation pass 100 concurrent normal arrivals',
    timeoutMs: 60_000,
    async run({ store }, { now }) {
      const { rooms, invitations, saleId } = instances(store, 1, { opensAt: 0, now, maxActive: 5 });
      const room = rooms[0]!;
      const invite = (userId: string) =>
        invitations.issue({ saleId, userId, lane: 'priority', expiresAt: now + 60_000 });
      const results = await Promise.all([
        ...Array.from({ length: 100 }, (_, i) => room.join({ userId: `n${i}` })),
        ...Array.from({ length: 5 }, (_, i) => room.join({ userId: `v${i}`, invitation: invite(`v${i}`) })),
        // a shared invitation: its holder's friends get nothing from it
        ...Array.from({ length: 5 }, (_, i) => room.join({ userId: `f${i}`, invitation: invite('v0') })),
      ]);
      expect(results.slice(105).every((r) => !r.ok && r.code === 'INVITATION_REFUSED')).toBe(true);
      const tick = await room.tick();
      expect(tick.admitted.map((u) => u.userId).sort()).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    },
  },
];

/**
 * Registers the `QueueingRoom` service suite: several service instances over ONE store (as
 * several API servers share Redis) opening a pre-queue, handing over sessions, switching methods
 * and admitting invited buyers, under concurrency.
 */
export function describeQueueingRoom(name: string, factory: Factory<QueueingRoomSubject>): void {
  registerChecks(`QueueingRoom conformance: ${name}`, factory, queueingRoomChecks);
}
