import { describe, expect, it } from 'vitest';
import { type DomainEvent, type JoinGuard, type QueueBroadcast, ValidationError } from '../../src';
import { MemoryEventBus, MemoryWaitingRoomStore } from '../../src/subpaths/memory';
import { AdmissionTokens, WaitingRoom } from '../../src/subpaths/services';
import { ManualClock } from '../../src/subpaths/testing';
import { generalSale, SECRET } from './fixtures';

function setup(
  options: { guard?: JoinGuard; opensAt?: number; usersPerInterval?: number; maxActive?: number } = {},
) {
  const clock = new ManualClock(1_000_000);
  const store = new MemoryWaitingRoomStore();
  const bus = new MemoryEventBus();
  const tokens = new AdmissionTokens({ secret: SECRET });
  const room = new WaitingRoom({
    sale: generalSale({
      opensAt: options.opensAt ?? 0,
      admission: {
        usersPerInterval: options.usersPerInterval ?? 2,
        intervalMs: 1_000,
        maxActive: options.maxActive ?? 100,
        sessionMs: 600_000,
        heartbeatTimeoutMs: 30_000,
      },
    }),
    store,
    tokens,
    clock,
    publisher: bus,
    ...(options.guard ? { guard: options.guard } : {}),
  });
  return { clock, store, bus, tokens, room };
}

async function joinAll(room: WaitingRoom, users: string[]) {
  for (const userId of users) await room.join({ userId });
}

describe('WaitingRoom', () => {
  it('queues users first come first served and keeps the place of a user who joins again', async () => {
    const { room } = setup();
    const first = await room.join({ userId: 'u1' });
    await room.join({ userId: 'u2' });
    const again = await room.join({ userId: 'u1' });
    expect(first).toMatchObject({ ok: true, alreadyJoined: false, status: { ticket: 1, state: 'WAITING' } });
    expect(again).toMatchObject({ ok: true, alreadyJoined: true, status: { ticket: 1 } });
    expect(await room.status({ userId: 'u2' })).toMatchObject({ ticket: 2, ahead: 1, state: 'WAITING' });
  });

  it('rejects bad input with every problem listed, and changes nothing', async () => {
    const { room, store } = setup();
    await expect(room.join({ userId: 'bad user{1}' })).rejects.toBeInstanceOf(ValidationError);
    await expect(room.join({ userId: '', context: { ip: '' } } as never)).rejects.toMatchObject({
      issues: [expect.objectContaining({ path: 'userId' }), expect.objectContaining({ path: 'context.ip' })],
    });
    expect((await store.stats({ saleId: 'sale-ga', now: 0 })).lastTicket).toBe(0);
    expect(() => room.setAdmissionRate({})).toThrow(ValidationError);
    expect(() => room.setAdmissionRate({ usersPerInterval: -1 })).toThrow(ValidationError);
  });

  it('asks the guard first and keeps a refused user out of the queue', async () => {
    const seen: string[] = [];
    const guard: JoinGuard = async (request) => {
      seen.push(`${request.saleId}/${request.userId}/${request.context?.ip}`);
      return request.userId === 'bot'
        ? {
            allowed: false,
            code: 'CHALLENGE_REQUIRED',
            challenge: { id: 'c1', prompt: { bits: 8 }, expiresAt: 1 },
          }
        : { allowed: true };
    };
    const { room } = setup({ guard });
    expect(await room.join({ userId: 'bot', context: { ip: '10.0.0.1' } })).toEqual({
      ok: false,
      code: 'CHALLENGE_REQUIRED',
      challenge: { id: 'c1', prompt: { bits: 8 }, expiresAt: 1 },
    });
    expect(await room.status({ userId: 'bot' })).toBeNull();
    expect((await room.join({ userId: 'human' })).ok).toBe(true);
    expect(seen).toEqual(['sale-ga/bot/10.0.0.1', 'sale-ga/human/undefined']);
  });

  it('admits usersPerInterval per tick, in order, and issues a token bound to each user', async () => {
    const { room, bus, tokens } = setup({ usersPerInterval: 2 });
    await joinAll(room, ['u1', 'u2', 'u3']);
    const report = await room.tick();
    expect(report.admitted.map((a) => a.userId)).toEqual(['u1', 'u2']);
    expect(report.servedUpTo).toBe(2);
    const token = report.admitted[0]!.admissionToken;
    expect(tokens.verify({ token, saleId: 'sale-ga', userId: 'u1', now: 1_000_000 }).ok).toBe(true);
    expect(tokens.verify({ token, saleId: 'sale-ga', userId: 'u2', now: 1_000_000 })).toMatchObject({
      code: 'WRONG_USER',
    });
    const admittedEvents = bus.published().filter((e: DomainEvent) => e.type === 'UserAdmitted');
    expect(admittedEvents.map((e) => e.key)).toEqual(['u1', 'u2']);
    const status = await room.status({ userId: 'u1' });
    expect(status).toMatchObject({ state: 'ADMITTED', estimate: { etaMs: 0 } });
    expect(room.verifyToken({ userId: 'u1', token: status!.admissionToken }).ok).toBe(true);
    expect(await room.status({ userId: 'u3' })).toMatchObject({ state: 'WAITING', ahead: 0 });
  });

  it('never admits more than maxActive at once, and admits again when an admitted user leaves', async () => {
    const { room } = setup({ usersPerInterval: 10, maxActive: 2 });
    await joinAll(room, ['u1', 'u2', 'u3']);
    expect((await room.tick()).admitted).toHaveLength(2);
    expect((await room.tick()).admitted).toHaveLength(0);
    expect(await room.leave({ userId: 'u1' })).toEqual({ left: true });
    expect((await room.tick()).admitted.map((a) => a.userId)).toEqual(['u3']);
  });

  it('admits nobody before the sale opens, nor while paused', async () => {
    const { room, clock } = setup({ opensAt: 1_010_000 });
    await joinAll(room, ['u1']);
    expect(await room.tick()).toMatchObject({ skipped: 'NOT_OPEN', admitted: [] });
    clock.set(1_010_000);
    room.pause();
    expect(await room.tick()).toMatchObject({ skipped: 'PAUSED', admitted: [] });
    room.resume();
    expect((await room.tick()).admitted).toHaveLength(1);
  });

  it('applies a new admission rate from the next tick', async () => {
    const { room } = setup({ usersPerInterval: 1 });
    await joinAll(room, ['u1', 'u2', 'u3', 'u4']);
    expect((await room.tick()).admitted).toHaveLength(1);
    room.setAdmissionRate({ usersPerInterval: 3 });
    expect(room.admissionRate.usersPerInterval).toBe(3);
    expect((await room.tick()).admitted).toHaveLength(3);
  });

  it('estimates the wait from the measured admission rate, not the configured one', async () => {
    const { room, clock } = setup({ usersPerInterval: 2 });
    await joinAll(
      room,
      Array.from({ length: 30 }, (_, i) => `u${i + 1}`),
    );
    // before any measure: the configured 2 users per second
    expect((await room.status({ userId: 'u11' }))!.estimate).toEqual({ etaMs: 5_500, basis: 'configured' });
    // the operator slows admission to 1 per second: the estimate follows the measure
    room.setAdmissionRate({ usersPerInterval: 1 });
    for (let i = 0; i < 4; i++) {
      await room.tick();
      clock.advance(1_000);
    }
    await room.tick(); // the serving counter went from 1 to 5 in 4 s
    const status = await room.status({ userId: 'u11' });
    expect(status).toMatchObject({ ahead: 5, estimate: { basis: 'measured' } });
    // 5 ahead + itself at the measured 1 ticket per second
    expect(status!.estimate.etaMs).toBe(6_000);
  });

  it('says the wait is unknown when admission has stopped moving', async () => {
    const { room, clock } = setup({ usersPerInterval: 1, maxActive: 1 });
    await joinAll(room, ['u1', 'u2']);
    await room.tick();
    for (let i = 0; i < 4; i++) {
      clock.advance(20_000);
      await room.heartbeat({ userId: 'u2' });
      await room.tick(); // full: u1 is still active, so nothing moves for a whole window
    }
    expect((await room.status({ userId: 'u2' }))!.estimate).toEqual({ etaMs: null, basis: 'measured' });
  });

  it('gives the exact rank on request, counting users who left', async () => {
    const { room } = setup();
    await joinAll(room, ['u1', 'u2', 'u3']);
    await room.leave({ userId: 'u2' });
    expect(await room.status({ userId: 'u3' })).toMatchObject({ ahead: 2 });
    expect(await room.status({ userId: 'u3', exact: true })).toMatchObject({ exactRank: 1 });
  });

  it('evicts waiting users who stopped sending heartbeats, and keeps those who did', async () => {
    const { room, clock } = setup({ maxActive: 1 });
    await joinAll(room, ['first', 'quiet', 'alive']);
    await room.tick(); // admits "first"; the room is then full
    clock.advance(20_000);
    expect(await room.heartbeat({ userId: 'alive' })).toEqual({ ok: true, state: 'WAITING' });
    clock.advance(20_000);
    const report = await room.tick();
    expect(report.evicted).toEqual(['quiet']);
    expect(await room.status({ userId: 'quiet' })).toBeNull();
    expect(await room.status({ userId: 'alive' })).toMatchObject({ state: 'WAITING' });
    expect(await room.heartbeat({ userId: 'quiet' })).toEqual({ ok: false, code: 'NOT_IN_ROOM' });
  });

  it('broadcasts the serving counter to subscribers after a tick, until they unsubscribe', async () => {
    const { room } = setup();
    const updates: QueueBroadcast[] = [];
    const unsubscribe = room.subscribe((update) => updates.push(update));
    await joinAll(room, ['u1', 'u2', 'u3']);
    await room.tick();
    expect(updates).toEqual([
      expect.objectContaining({ saleId: 'sale-ga', servedUpTo: 2, waiting: 1, active: 2 }),
    ]);
    unsubscribe();
    await room.tick();
    expect(updates).toHaveLength(1);
  });

  it('keeps the admissions when UserAdmitted cannot be published, and reports the failure', async () => {
    const { room, bus } = setup();
    await joinAll(room, ['u1']);
    bus.failNextPublishes(1);
    const report = await room.tick();
    expect(report.admitted).toHaveLength(1);
    expect(report.publishError).toBeInstanceOf(Error);
    expect(await room.status({ userId: 'u1' })).toMatchObject({ state: 'ADMITTED' });
  });

  it('renews an admitted user on heartbeat', async () => {
    const { room, clock } = setup();
    await joinAll(room, ['u1']);
    await room.tick();
    clock.advance(500_000);
    expect(await room.heartbeat({ userId: 'u1' })).toEqual({ ok: true, state: 'ADMITTED' });
    clock.advance(500_000);
    expect(await room.status({ userId: 'u1' })).toMatchObject({ state: 'ADMITTED' });
  });
});
