import { describe, expect, it } from 'vitest';
import { type QueueingMethod, ValidationError } from '../../src';
import { MemoryEventBus, MemoryWaitingRoomStore } from '../../src/subpaths/memory';
import { AdmissionTokens, Invitations, QueueingRoom, WaitingRoom } from '../../src/subpaths/services';
import { ManualClock } from '../../src/subpaths/testing';
import { generalSale, SECRET } from '../services/fixtures';
import { startInMemorySale } from '../services/harness';

const OPENS_AT = 2_000_000;
const INVITE_SECRET = 'invitation-secret-0123456789-abcdefghij';

function setup(
  options: { preQueue?: boolean; method?: QueueingMethod; maxActive?: number; now?: number } = {},
) {
  const clock = new ManualClock(options.now ?? OPENS_AT);
  const store = new MemoryWaitingRoomStore();
  const bus = new MemoryEventBus();
  const invitations = new Invitations({ secret: INVITE_SECRET });
  const room = new WaitingRoom({
    sale: generalSale({
      opensAt: OPENS_AT,
      admission: {
        usersPerInterval: 2,
        intervalMs: 1_000,
        maxActive: options.maxActive ?? 100,
        sessionMs: 600_000,
        heartbeatTimeoutMs: 30_000,
      },
    }),
    store,
    tokens: new AdmissionTokens({ secret: SECRET }),
    clock,
    publisher: bus,
    invitations,
    ...(options.preQueue === undefined ? {} : { preQueue: options.preQueue }),
    ...(options.method === undefined ? {} : { method: options.method }),
  });
  const saleId = room.sale.id;
  return { clock, store, bus, invitations, room, saleId };
}

describe('WaitingRoom: queueing methods', () => {
  it('keeps FIFO by default and switches method live: reject answers SOLD_OUT, fifo reopens', async () => {
    const { room } = setup();
    expect(await room.start()).toEqual({ method: 'fifo', preQueue: false, preQueued: 0 });
    expect(await room.join({ userId: 'a' })).toMatchObject({
      ok: true,
      status: { ticket: 1, state: 'WAITING' },
    });
    await room.setMethod('reject');
    expect(await room.join({ userId: 'b' })).toMatchObject({ ok: false, code: 'SOLD_OUT' });
    expect(await room.join({ userId: 'a' })).toMatchObject({ ok: true, alreadyJoined: true });
    await room.setMethod('fifo');
    expect(await room.join({ userId: 'b' })).toMatchObject({ ok: true, status: { ticket: 2 } });
    await expect(room.setMethod('lottery' as never)).rejects.toBeInstanceOf(ValidationError);
    expect((await room.config()).method).toBe('fifo');
  });

  it('passthrough admits a joining buyer at once with an admission token while under capacity', async () => {
    const { room } = setup({ method: 'passthrough', maxActive: 1 });
    await room.start();
    const first = await room.join({ userId: 'a' });
    expect(first).toMatchObject({ ok: true, status: { state: 'ADMITTED' } });
    if (!first.ok) throw new Error('unreachable');
    expect(room.verifyToken({ userId: 'a', token: first.status.admissionToken })).toMatchObject({ ok: true });
    expect(await room.join({ userId: 'b' })).toMatchObject({
      ok: true,
      status: { state: 'WAITING', ahead: 0 },
    });
  });
});

describe('WaitingRoom: scheduled sale with a pre-queue', () => {
  it('pre-queues arrivals before the opening, shuffles them at the first tick from opensAt, then FIFO', async () => {
    const { room, clock, bus } = setup({ preQueue: true, now: OPENS_AT - 60_000 });
    expect(await room.start()).toMatchObject({ preQueue: true });
    for (const userId of ['e1', 'e2', 'e3']) {
      expect(await room.join({ userId })).toMatchObject({
        ok: true,
        status: { lane: 'pre-queue', ticket: 0 },
      });
    }
    expect(await room.tick()).toMatchObject({ skipped: 'NOT_OPEN', admitted: [] });
    // pre-queued buyers keep heartbeating; one who vanished would lose the place when reached
    clock.set(OPENS_AT - 5_000);
    for (const userId of ['e1', 'e2', 'e3'])
      expect(await room.renew({ userId })).toEqual({ ok: true, state: 'WAITING' });
    clock.set(OPENS_AT);
    const opening = await room.tick();
    expect(opening.openedPreQueue).toEqual({ shuffled: 3, firstTicket: 1, lastTicket: 3 });
    expect(opening.admitted).toHaveLength(2);
    expect(bus.published().filter((e) => e.type === 'UserAdmitted')).toHaveLength(2);
    expect(await room.join({ userId: 'late' })).toMatchObject({ ok: true, status: { ticket: 4 } });
    // a second instance started after the opening must not turn the pre-queue back on
    expect(await room.start()).toMatchObject({ preQueue: false });
    expect((await room.tick()).openedPreQueue).toBeUndefined();
  });
});

describe('WaitingRoom: starting', () => {
  it('starts itself on the first join: a scheduled room pre-queues even if the host never called start', async () => {
    const { room } = setup({ preQueue: true, method: 'random', now: OPENS_AT - 1_000 });
    expect(await room.join({ userId: 'a' })).toMatchObject({ ok: true, status: { lane: 'pre-queue' } });
    expect(await room.config()).toEqual({ method: 'random', preQueue: true, preQueued: 1 });
  });
});

describe('WaitingRoom: sessions', () => {
  it('ends a session on checkout and hands the capacity to the next buyer at once', async () => {
    const { room, bus } = setup({ maxActive: 1 });
    await room.start();
    for (const userId of ['a', 'b']) await room.join({ userId });
    expect((await room.tick()).admitted.map((u) => u.userId)).toEqual(['a']);
    const ended = await room.endSession({ userId: 'a', reason: 'CHECKOUT' });
    expect(ended).toMatchObject({
      ended: true,
      reason: 'CHECKOUT',
      next: [{ userId: 'b', state: 'ADMITTED' }],
    });
    expect(room.verifyToken({ userId: 'b', token: ended.next[0]?.admissionToken })).toMatchObject({
      ok: true,
    });
    expect(await room.status({ userId: 'a' })).toBeNull();
    expect(
      bus
        .published()
        .filter((e) => e.type === 'UserAdmitted')
        .map((e) => e.key),
    ).toEqual(['a', 'b']);
    expect(await room.endSession({ userId: 'a', reason: 'CANCEL' })).toEqual({
      ended: false,
      reason: 'CANCEL',
      next: [],
    });
  });

  it('ends the session when the reservation is confirmed (an event handler on the bus)', async () => {
    const { room, saleId } = setup({ maxActive: 1 });
    await room.start();
    for (const userId of ['a', 'b']) await room.join({ userId });
    await room.tick();
    const ender = room.sessionEnder();
    const confirmed = {
      eventId: '7d1f3a8e-7a43-4c39-9b41-3c2a5b1f0a11',
      type: 'ReservationConfirmed' as const,
      version: 1 as const,
      saleId,
      key: 'r1',
      occurredAt: OPENS_AT,
      payload: {
        reservationId: 'r1',
        userId: 'a',
        quantity: 1,
        seatIds: [],
        paymentId: 'p1',
        amountCents: 100,
      },
    };
    await ender.handle({ ...confirmed, saleId: 'another-sale' }, { attempt: 1 });
    expect(await room.status({ userId: 'a' })).toMatchObject({ state: 'ADMITTED' });
    await ender.handle(confirmed, { attempt: 1 });
    expect(await room.status({ userId: 'a' })).toBeNull();
    expect(await room.status({ userId: 'b' })).toMatchObject({ state: 'ADMITTED' });
    // a replay changes nothing
    await ender.handle(confirmed, { attempt: 2 });
    expect(await room.status({ userId: 'b' })).toMatchObject({ state: 'ADMITTED' });
  });

  it('renews an admitted session while the buyer is active; a lapsed one is gone', async () => {
    const { room, clock } = setup();
    await room.start();
    await room.join({ userId: 'a' });
    await room.tick();
    clock.advance(500_000);
    expect(await room.renew({ userId: 'a' })).toEqual({ ok: true, state: 'ADMITTED' });
    clock.advance(500_000);
    expect(await room.status({ userId: 'a' })).toMatchObject({ state: 'ADMITTED' });
    clock.advance(600_001);
    expect(await room.renew({ userId: 'a' })).toEqual({ ok: false, code: 'NOT_IN_ROOM' });
  });

  it('keeps a silent buyer’s place during the grace period and gives it away after', async () => {
    const { room, clock } = setup();
    await room.start();
    for (const userId of ['gone', 'a', 'b']) await room.join({ userId });
    clock.advance(20_000);
    await room.renew({ userId: 'a' });
    await room.renew({ userId: 'b' });
    await room.renew({ userId: 'gone' });
    clock.advance(25_000);
    await room.renew({ userId: 'a' });
    await room.renew({ userId: 'b' });
    // 'gone' was last seen 25 s ago: within the 30 s grace, still first in line
    expect(await room.status({ userId: 'gone' })).toMatchObject({ ticket: 1, state: 'WAITING' });
    await room.setMethod('fifo');
    room.room.pause();
    clock.advance(10_000);
    room.room.resume();
    const tick = await room.tick();
    expect(tick.lapsed).toEqual(['gone']);
    expect(tick.admitted.map((u) => u.userId)).toEqual(['a', 'b']);
  });
});

describe('WaitingRoom: bypass and priority lanes', () => {
  it('opens a lane only with a valid invitation bound to the buyer and the sale', async () => {
    const { room, invitations, saleId, clock } = setup({ maxActive: 1 });
    await room.start();
    await room.join({ userId: 'n1' });
    /** An invitation to `lane` for `userId`, valid for `validMs`, to this sale unless another is named. */
    const invite = (userId: string, lane: 'bypass' | 'priority', validMs: number, forSale = saleId) =>
      invitations.issue({ saleId: forSale, userId, lane, expiresAt: clock.now() + validMs });
    const bypass = invite('vip', 'bypass', 60_000);
    expect(await room.join({ userId: 'vip', invitation: bypass })).toMatchObject({
      ok: true,
      status: { state: 'ADMITTED' },
    });
    // forwarded to someone else, forged or expired: refused, and nobody moves ahead
    expect(await room.join({ userId: 'friend', invitation: bypass })).toMatchObject({
      ok: false,
      code: 'INVITATION_REFUSED',
      reason: 'WRONG_USER',
    });
    const forged = `${bypass.split('.')[0]}.${'A'.repeat(43)}`;
    expect(await room.join({ userId: 'vip2', invitation: forged })).toMatchObject({
      reason: 'BAD_SIGNATURE',
    });
    const expired = invite('p2', 'priority', 0);
    expect(await room.join({ userId: 'p2', invitation: expired })).toMatchObject({ reason: 'EXPIRED' });
    const other = invite('p3', 'priority', 1, 'other-sale');
    expect(await room.join({ userId: 'p3', invitation: other })).toMatchObject({ reason: 'WRONG_SALE' });
    const priority = invite('p1', 'priority', 60_000);
    expect(await room.join({ userId: 'p1', invitation: priority })).toMatchObject({
      ok: true,
      status: { state: 'WAITING', lane: 'priority', ahead: 0 },
    });
    await room.endSession({ userId: 'vip', reason: 'CHECKOUT' }).then((r) => {
      expect(r.next.map((u) => u.userId)).toEqual(['p1']);
    });
    expect(await room.status({ userId: 'n1' })).toMatchObject({ state: 'WAITING', ticket: 1 });
  });

  it('refuses every invitation when the room has no Invitations verifier', async () => {
    const clock = new ManualClock(OPENS_AT);
    const room = new WaitingRoom({
      sale: generalSale({ opensAt: OPENS_AT }),
      store: new MemoryWaitingRoomStore(),
      tokens: new AdmissionTokens({ secret: SECRET }),
      clock,
    });
    const invitation = new Invitations({ secret: INVITE_SECRET }).issue({
      saleId: room.room.sale.id,
      userId: 'u',
      lane: 'bypass',
      expiresAt: OPENS_AT + 1_000,
    });
    expect(await room.join({ userId: 'u', invitation })).toMatchObject({
      ok: false,
      reason: 'BAD_SIGNATURE',
    });
  });
});

describe('WaitingRoom: one room, one join', () => {
  it('the runtime answers one room by both names, whose join follows the method whichever is used', async () => {
    const { seatRush } = await startInMemorySale(generalSale({ opensAt: 0 }));
    try {
      expect(seatRush.waitingRoom).toBe(seatRush.queue);
      // the former name builds the same room
      expect(QueueingRoom).toBe(WaitingRoom);
      expect(await seatRush.waitingRoom.join({ userId: 'a' })).toMatchObject({ ok: true });
      await seatRush.queue.setMethod('reject');
      // the trap of issue 22: the base room's join queued this buyer under `reject`
      expect(await seatRush.waitingRoom.join({ userId: 'b' })).toMatchObject({ ok: false, code: 'SOLD_OUT' });
      expect(await seatRush.waitingRoom.status({ userId: 'b' })).toBeNull();
      await seatRush.queue.setMethod('passthrough');
      // passthrough while nobody waits is admitted at once: 'a' is still waiting, so 'c' queues
      expect(await seatRush.waitingRoom.join({ userId: 'c' })).toMatchObject({
        ok: true,
        status: { state: 'WAITING', ticket: 2 },
      });
      // an invitation is checked on this join too (the room has no verifier: refused, not queued)
      expect(await seatRush.waitingRoom.join({ userId: 'd', invitation: 'forged.token' })).toMatchObject({
        ok: false,
        code: 'INVITATION_REFUSED',
        reason: 'BAD_SIGNATURE',
      });
    } finally {
      await seatRush.stop();
    }
  });
});
