import { describe, expect, it } from 'vitest';
import { QueuePasses } from '../../src/queue/queue-passes';
import { MemoryWaitingRoomStore } from '../../src/subpaths/memory';
import { AdmissionTokens, type WaitingRoom } from '../../src/subpaths/services';
import { ManualClock } from '../../src/subpaths/testing';
import { SECRET } from '../services/fixtures';
import { roomOver } from './room';

// Issue 20: waiting buyers keep their place after the room's state is lost (a wiped Redis). Every
// join and status answer of a waiting buyer carries a signed queue pass; a join carrying it puts a
// buyer the room no longer knows back at their ticket, and the room's counters are restored.

/** Joins `users` in order and answers each one's queue pass (from the join's status). */
async function joined(room: WaitingRoom, users: string[]): Promise<Map<string, string>> {
  const passes = new Map<string, string>();
  for (const userId of users) {
    const outcome = await room.join({ userId });
    if (!outcome.ok || !outcome.status.queuePass) throw new Error(`${userId} got no pass`);
    passes.set(userId, outcome.status.queuePass);
  }
  return passes;
}

async function ticketOf(room: WaitingRoom, userId: string): Promise<number | undefined> {
  return (await room.status({ userId }))?.ticket;
}

describe('QueuePasses', () => {
  const passes = new QueuePasses({ secret: SECRET });
  const claims = {
    saleId: 'sale-ga',
    userId: 'ana',
    ticket: 7,
    servedUpTo: 3,
    lastTicket: 9,
    issuedAt: 1_000,
    until: 2_000,
  };

  it('verifies its own pass, refuses a forged, expired, other user or sale, and never mixes with tokens', () => {
    const pass = passes.issue(claims);
    expect(passes.verify({ pass, saleId: 'sale-ga', userId: 'ana', now: 1_500 })).toEqual({
      ok: true,
      claims,
    });
    const [prefix, payload] = pass.split('.');
    const forged = `${prefix}.${payload}.${'A'.repeat(43)}`;
    expect(passes.verify({ pass: forged, saleId: 'sale-ga', userId: 'ana', now: 1_500 })).toEqual({
      ok: false,
      code: 'BAD_SIGNATURE',
    });
    // a pass re-signed with another secret is forged too
    const other = new QueuePasses({ secret: `${SECRET}-other` }).issue(claims);
    expect(passes.verify({ pass: other, saleId: 'sale-ga', userId: 'ana', now: 1_500 })).toMatchObject({
      code: 'BAD_SIGNATURE',
    });
    expect(passes.verify({ pass, saleId: 'sale-ga', userId: 'ben', now: 1_500 })).toMatchObject({
      code: 'WRONG_USER',
    });
    expect(passes.verify({ pass, saleId: 'other', userId: 'ana', now: 1_500 })).toMatchObject({
      code: 'WRONG_SALE',
    });
    expect(passes.verify({ pass, saleId: 'sale-ga', userId: 'ana', now: 2_000 })).toMatchObject({
      code: 'EXPIRED',
    });
    for (const junk of [42, '', 'qp1.x', `${pass}.x`]) {
      expect(passes.verify({ pass: junk, saleId: 'sale-ga', userId: 'ana', now: 1_500 })).toMatchObject({
        code: 'MALFORMED',
      });
    }
    // same keys, different domains: an admission token is no pass, a pass no admission token
    const tokens = new AdmissionTokens({ secret: SECRET });
    const token = tokens.issue({ saleId: 'sale-ga', userId: 'ana', until: 2_000 });
    expect(passes.verify({ pass: token, saleId: 'sale-ga', userId: 'ana', now: 1_500 })).toMatchObject({
      code: 'MALFORMED',
    });
    expect(tokens.verify({ token: pass, saleId: 'sale-ga', userId: 'ana', now: 1_500 })).toMatchObject({
      ok: false,
    });
    expect(
      tokens.verify({
        token: `${payload}.${pass.split('.')[2]}`,
        saleId: 'sale-ga',
        userId: 'ana',
        now: 1_500,
      }),
    ).toMatchObject({
      ok: false,
      code: 'BAD_SIGNATURE',
    });
  });
});

describe('WaitingRoom.rejoin: waiting buyers keep their place after the room is lost', () => {
  it('buyers coming back in any order wait at their old tickets, in FIFO order; new joiners queue behind them', async () => {
    const clock = new ManualClock(1_000_000);
    const before = roomOver(new MemoryWaitingRoomStore(), clock);
    const passes = await joined(before, ['a1', 'a2', 'w3', 'w4', 'w5', 'w6']);
    expect((await before.tick()).admitted.map((u) => u.userId)).toEqual(['a1', 'a2']);
    // the pass the buyers keep is the latest one: their status after the tick
    for (const userId of ['w3', 'w4', 'w5', 'w6'])
      passes.set(userId, (await before.status({ userId }))!.queuePass!);

    // the room's state is lost, and the instance too (a new process over an empty store)
    clock.advance(2_000);
    const store = new MemoryWaitingRoomStore();
    const room = roomOver(store, clock);
    expect(await room.status({ userId: 'w5' })).toBeNull();
    const back5 = await room.join({ userId: 'w5', queuePass: passes.get('w5')! });
    expect(back5).toMatchObject({
      ok: true,
      rejoined: true,
      status: { ticket: 5, state: 'WAITING', servedUpTo: 2 },
    });
    // a fresh buyer after the first pass came back: behind every ticket ever handed out
    const fresh = await room.join({ userId: 'f1' });
    expect(fresh).toMatchObject({ ok: true, status: { ticket: 7 } });
    for (const userId of ['w3', 'w6', 'w4']) {
      expect(await room.join({ userId, queuePass: passes.get(userId)! })).toMatchObject({
        ok: true,
        rejoined: true,
      });
    }
    expect(await Promise.all(['w3', 'w4', 'w5', 'w6', 'f1'].map((u) => ticketOf(room, u)))).toEqual([
      3, 4, 5, 6, 7,
    ]);
    const w3 = await room.status({ userId: 'w3' });
    expect(w3).toMatchObject({ servedUpTo: 2, ahead: 0 });
    // joining again with the pass keeps the place (the room knows the buyer now)
    expect(await room.join({ userId: 'w3', queuePass: passes.get('w3')! })).toMatchObject({
      ok: true,
      alreadyJoined: true,
      status: { ticket: 3 },
    });
    // admission in the old order
    expect((await room.tick()).admitted.map((u) => u.userId)).toEqual(['w3', 'w4']);
    expect((await room.tick()).admitted.map((u) => u.userId)).toEqual(['w5', 'w6']);
    expect((await room.tick()).admitted.map((u) => u.userId)).toEqual(['f1']);
  });

  it('an instance that lived through the loss gives new joiners tickets behind every ticket it saw, before any pass came back', async () => {
    const clock = new ManualClock(1_000_000);
    let store = new MemoryWaitingRoomStore();
    // the room reads its store through this indirection: the same instance over a wiped store
    const indirect = new Proxy({} as MemoryWaitingRoomStore, {
      get(_, property) {
        const value = Reflect.get(store, property, store);
        return typeof value === 'function' ? value.bind(store) : value;
      },
    });
    const room = roomOver(indirect, clock);
    const passes = await joined(room, ['u1', 'u2', 'u3']);
    clock.advance(1_000);
    store = new MemoryWaitingRoomStore();
    expect(await room.join({ userId: 'new' })).toMatchObject({ ok: true, status: { ticket: 4 } });
    expect(await room.join({ userId: 'u2', queuePass: passes.get('u2')! })).toMatchObject({
      rejoined: true,
      status: { ticket: 2 },
    });
    expect((await room.tick()).admitted.map((u) => u.userId)).toEqual(['u2', 'new']);
    // u3 comes back after a later ticket was admitted: the room had not served u3 before the loss
    expect(await room.join({ userId: 'u3', queuePass: passes.get('u3')! })).toMatchObject({
      rejoined: true,
      status: { ticket: 3 },
    });
    expect((await room.tick()).admitted.map((u) => u.userId)).toEqual(['u3']);
  });

  it("a forged, expired or other buyer's pass restores nothing: the join queues at the back", async () => {
    const clock = new ManualClock(1_000_000);
    const passes = await joined(roomOver(new MemoryWaitingRoomStore(), clock, { queuePassMs: 60_000 }), [
      'p1',
      'p2',
      'p3',
    ]);
    clock.advance(1_000);
    const room = roomOver(new MemoryWaitingRoomStore(), clock, { queuePassMs: 60_000 });
    expect(await room.rejoin({ userId: 'p3', pass: passes.get('p1') })).toEqual({
      ok: false,
      code: 'NOT_RESTORED',
      reason: 'WRONG_USER',
    });
    const [prefix, payload] = passes.get('p1')!.split('.');
    expect(await room.rejoin({ userId: 'p1', pass: `${prefix}.${payload}.${'B'.repeat(43)}` })).toMatchObject(
      {
        reason: 'BAD_SIGNATURE',
      },
    );
    // the other buyer's pass gave p3 nothing: p3 queues at the back
    expect(await room.join({ userId: 'p3', queuePass: passes.get('p1')! })).toMatchObject({
      ok: true,
      status: { ticket: 1 },
    });
    // p1 comes back at ticket 1: p3, who joined after the loss with a ticket of the forgotten
    // counter (this instance had seen none), is moved behind every ticket the pass knew of
    expect(await room.join({ userId: 'p1', queuePass: passes.get('p1')! })).toMatchObject({
      rejoined: true,
      status: { ticket: 1 },
    });
    expect(await ticketOf(room, 'p3')).toBe(2);
    clock.advance(60_000);
    expect(await room.rejoin({ userId: 'p2', pass: passes.get('p2') })).toMatchObject({ reason: 'EXPIRED' });
    const p2 = await room.join({ userId: 'p2', queuePass: passes.get('p2')! });
    expect(p2).toMatchObject({ ok: true, status: { ticket: 3 } });
    expect(p2).not.toHaveProperty('rejoined');
  });

  it('a room that was not lost gives no place back: a buyer who left or was served rejoins at the back', async () => {
    const clock = new ManualClock(1_000_000);
    const room = roomOver(new MemoryWaitingRoomStore(), clock);
    const passes = await joined(room, ['x1', 'x2', 'x3']);
    clock.advance(1_000);
    await room.leave({ userId: 'x2' });
    expect(await room.rejoin({ userId: 'x2', pass: passes.get('x2') })).toEqual({
      ok: false,
      code: 'NOT_RESTORED',
      reason: 'NOT_LOST',
    });
    expect(await room.join({ userId: 'x2', queuePass: passes.get('x2')! })).toMatchObject({
      status: { ticket: 4 },
    });
  });

  it("never ahead of a ticket already served: a pass older than another buyer's shows its place was served", async () => {
    const clock = new ManualClock(1_000_000);
    const before = roomOver(new MemoryWaitingRoomStore(), clock);
    const early = await joined(before, ['s1', 's2', 's3', 's4']);
    clock.advance(1_000);
    await before.tick(); // s1, s2 admitted: served up to 2
    const late = (await before.status({ userId: 's4' }))!.queuePass!;
    clock.advance(1_000);
    const room = roomOver(new MemoryWaitingRoomStore(), clock);
    expect(await room.join({ userId: 's4', queuePass: late })).toMatchObject({
      rejoined: true,
      status: { servedUpTo: 2 },
    });
    // s2's pass is from before its admission: its ticket was served (its admission token brings it back)
    expect(await room.rejoin({ userId: 's2', pass: early.get('s2') })).toMatchObject({ reason: 'SERVED' });
    expect(await room.join({ userId: 's3', queuePass: early.get('s3')! })).toMatchObject({
      rejoined: true,
      status: { ticket: 3, ahead: 0 },
    });
  });
});
