import { ManualClock } from '@seatrush/core/testing';
import { RedisWaitingRoomStore } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { isolatedPrefix, waitingRoomOver } from './helpers';

// Issue 20: waiting buyers keep their place after the room's keys are lost. A join carrying the
// buyer's signed queue pass puts them back at their ticket (rejoin.lua, one script), the room's
// counters come back, and buyers who join for the first time meanwhile queue behind every ticket
// restored: many rejoins and fresh joins at once keep FIFO order and unique tickets.

const SECRET = 'rejoin-secret-0123456789-abcdefghijklmnop';
const redis = new Redis(inject('services').redisUrl);
afterAll(async () => void (await redis.quit()));

function room(store: RedisWaitingRoomStore, clock: ManualClock) {
  const sale = { id: 'rejoin', name: 'Rejoin', secret: SECRET, usersPerInterval: 20, maxActive: 10_000 };
  return waitingRoomOver(store, clock, { ...sale, sessionMs: 600_000 });
}

async function deleteUnder(prefix: string): Promise<number> {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  return keys.length;
}

/** Fisher-Yates with a fixed seed, so a failure can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('RedisWaitingRoomStore.rejoin (a wiped room)', () => {
  it('180 rejoins and 60 fresh joins at once, on three instances: old tickets back, fresh ones behind, FIFO kept', async () => {
    const prefix = isolatedPrefix();
    const clock = new ManualClock(1_000_000);
    const before = room(new RedisWaitingRoomStore(redis, { keyPrefix: prefix }), clock);
    const users = Array.from({ length: 200 }, (_, i) => `w${String(i + 1).padStart(3, '0')}`);
    for (const userId of users) await before.join({ userId });
    expect((await before.tick()).admitted.map((u) => u.userId)).toEqual(users.slice(0, 20));
    const waiting = users.slice(20);
    const passes = new Map<string, string>();
    const tickets = new Map<string, number>();
    for (const userId of waiting) {
      const status = (await before.status({ userId }))!;
      passes.set(userId, status.queuePass!);
      tickets.set(userId, status.ticket);
    }
    expect(tickets.get('w021')).toBe(21);

    // the room's keys are lost; three instances that never saw the room serve the comeback
    expect(await deleteUnder(prefix)).toBeGreaterThan(0);
    clock.advance(5_000);
    const clients = [0, 1, 2].map(() => new Redis(inject('services').redisUrl));
    const instances = clients.map((client) =>
      room(new RedisWaitingRoomStore(client, { keyPrefix: prefix }), clock),
    );
    // one buyer joins before any pass came back: a ticket of the forgotten counter
    expect(await instances[0]!.join({ userId: 'early' })).toMatchObject({ ok: true, status: { ticket: 1 } });
    const fresh = Array.from({ length: 60 }, (_, i) => `f${String(i + 1).padStart(3, '0')}`);
    const arrivals = shuffled(
      [
        ...waiting.map((userId) => ({ userId, pass: passes.get(userId)! })),
        ...fresh.map((userId) => ({ userId, pass: undefined })),
      ],
      20,
    );
    const outcomes = await Promise.all(
      arrivals.map(({ userId, pass }, i) =>
        instances[i % 3]!.join(pass === undefined ? { userId } : { userId, queuePass: pass }),
      ),
    );
    for (const [i, outcome] of outcomes.entries()) {
      expect(outcome.ok, arrivals[i]!.userId).toBe(true);
      if (arrivals[i]!.pass !== undefined) expect(outcome).toMatchObject({ rejoined: true });
    }

    const r = instances[0]!;
    // every returning buyer waits at their old ticket; every fresh one behind all of them; unique
    for (const userId of waiting)
      expect((await r.status({ userId }))?.ticket, userId).toBe(tickets.get(userId));
    const freshTickets = await Promise.all(fresh.map(async (userId) => (await r.status({ userId }))!.ticket));
    expect(Math.min(...freshTickets)).toBeGreaterThan(200);
    expect(new Set(freshTickets).size).toBe(fresh.length);
    // the early one was moved behind every restored ticket, onto a ticket of its own
    const early = (await r.status({ userId: 'early' }))!.ticket;
    expect(early).toBeGreaterThan(200);
    expect(freshTickets.filter((t) => t === early)).toEqual([]);
    // the serving counter is back: the first waiting buyer is next
    expect(await r.status({ userId: 'w021' })).toMatchObject({ servedUpTo: 20, ahead: 0 });

    // admission in FIFO order: the returning buyers in their old order, then the fresh ones
    r.setAdmissionRate({ usersPerInterval: 1_000 });
    const admitted = (await r.tick()).admitted;
    expect(admitted.map((u) => u.userId).slice(0, 180)).toEqual(waiting);
    expect(
      admitted
        .map((u) => u.userId)
        .slice(180)
        .sort(),
    ).toEqual(['early', ...fresh].sort());
    const order = admitted.map((u) => u.ticket);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    for (const client of clients) await client.quit();
    await deleteUnder(prefix);
  });

  it("a forged, expired or other buyer's pass, or a place the room still knows it ended, restores nothing", async () => {
    const prefix = isolatedPrefix();
    const clock = new ManualClock(1_000_000);
    const store = new RedisWaitingRoomStore(redis, { keyPrefix: prefix });
    const before = room(store, clock);
    const passes = new Map<string, string>();
    for (const userId of ['a', 'b', 'c']) {
      const outcome = await before.join({ userId });
      if (outcome.ok) passes.set(userId, outcome.status.queuePass!);
    }
    // not lost: a buyer who left gets no place back
    clock.advance(1_000);
    await before.leave({ userId: 'b' });
    expect(await before.rejoin({ userId: 'b', pass: passes.get('b') })).toEqual({
      ok: false,
      code: 'NOT_RESTORED',
      reason: 'NOT_LOST',
    });
    expect(await before.join({ userId: 'b', queuePass: passes.get('b')! })).toMatchObject({
      status: { ticket: 4 },
    });

    await deleteUnder(prefix);
    clock.advance(1_000);
    const after = room(store, clock);
    expect(await after.rejoin({ userId: 'c', pass: passes.get('a') })).toMatchObject({
      reason: 'WRONG_USER',
    });
    const [head, payload] = passes.get('a')!.split('.');
    expect(await after.rejoin({ userId: 'a', pass: `${head}.${payload}.${'C'.repeat(43)}` })).toMatchObject({
      reason: 'BAD_SIGNATURE',
    });
    expect(await after.status({ userId: 'a' })).toBeNull();
    clock.advance(2 * 3_600_000);
    expect(await after.rejoin({ userId: 'a', pass: passes.get('a') })).toMatchObject({ reason: 'EXPIRED' });
    expect(await after.status({ userId: 'a' })).toBeNull();
    await deleteUnder(prefix);
  });
});
