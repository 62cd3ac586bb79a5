import { afterEach, describe, expect, it } from 'vitest';
import {
  createInMemorySeatRush,
  type InMemorySeatRushOptions,
  type QueueingTickReport,
  type SaleHookPayloads,
  type SeatRush,
  type Timer,
  ValidationError,
} from '../../src';
import { Invitations } from '../../src/subpaths/services';
import { ManualClock } from '../../src/subpaths/testing';
import { generalSale } from './fixtures';

const OPENS_AT = 1_010_000;
const INVITATION_SECRET = 'invitation-secret-0123456789-abcdefghij';

/** The loops' timer, fired by the test: each fire is one iteration of every loop it scheduled. */
class ManualTimer implements Timer {
  readonly #callbacks = new Map<number, () => void>();
  #next = 1;
  setInterval(callback: () => void): unknown {
    const handle = this.#next++;
    this.#callbacks.set(handle, callback);
    return handle;
  }
  clearInterval(handle: unknown): void {
    this.#callbacks.delete(handle as number);
  }
  fire(): void {
    for (const callback of this.#callbacks.values()) callback();
  }
}

interface Sale {
  seatRush: SeatRush & ReturnType<typeof createInMemorySeatRush>;
  clock: ManualClock;
  /** Fires the SDK's admission loop once and answers the report of the tick it ran. */
  tick(): Promise<QueueingTickReport>;
  /** Every `admitted` hook fired so far (after the handlers settled). */
  admittedHooks(): Promise<Array<SaleHookPayloads['admitted']>>;
  state(userId: string): Promise<string | undefined>;
}

const running: SeatRush[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((seatRush) => seatRush.stop()));
});

/**
 * A sale whose only loop is the admission loop (plus the processor), on a manual timer and clock:
 * every tick is the SDK's own, and the test sees its report by watching `queue.tick`.
 */
async function startSale(
  options: Partial<InMemorySeatRushOptions> & {
    now?: number;
    opensAt?: number;
    usersPerInterval?: number;
    maxActive?: number;
  },
): Promise<Sale> {
  const { now = 1_000_000, opensAt = 0, usersPerInterval = 2, maxActive = 100, ...rest } = options;
  const clock = new ManualClock(now);
  const timer = new ManualTimer();
  const seatRush = createInMemorySeatRush({
    sale: generalSale({
      opensAt,
      admission: {
        usersPerInterval,
        intervalMs: 1_000,
        maxActive,
        sessionMs: 600_000,
        heartbeatTimeoutMs: 30_000,
      },
    }),
    clock,
    timer,
    loops: { sweeper: false, reconciler: false },
    ...rest,
  });
  const admitted: Array<SaleHookPayloads['admitted']> = [];
  seatRush.hooks.on('admitted', (payload) => void admitted.push(payload));
  // the loop calls `queue.tick()` on the object: recording each call gives the test its report
  const reports: Array<Promise<QueueingTickReport>> = [];
  const tick = seatRush.queue.tick.bind(seatRush.queue);
  seatRush.queue.tick = () => {
    const report = tick();
    reports.push(report);
    return report;
  };
  await seatRush.start();
  running.push(seatRush);
  return {
    seatRush,
    clock,
    async tick() {
      const before = reports.length;
      // the previous iteration may still be settling (the loop skips a fire while one runs):
      // fire until an iteration starts, yielding to the event loop in between
      const deadline = Date.now() + 10_000;
      for (timer.fire(); reports.length === before; timer.fire()) {
        if (Date.now() > deadline) throw new Error('the admission loop never ran a tick');
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(reports).toHaveLength(before + 1);
      return reports[before]!;
    },
    async admittedHooks() {
      await seatRush.hooks.idle();
      return admitted;
    },
    async state(userId) {
      return (await seatRush.queue.status({ userId }))?.state;
    },
  };
}

const users = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

async function joinAll(seatRush: SeatRush, userIds: string[]) {
  const outcomes = [];
  for (const userId of userIds) outcomes.push(await seatRush.queue.join({ userId }));
  return outcomes;
}

/** The admitted buyer reserves one unit with their admission token, and the pipeline settles it. */
async function checkOut(seatRush: SeatRush, admitted: { userId: string; admissionToken: string }) {
  const reserved = await seatRush.reservations.reserve({
    userId: admitted.userId,
    idempotencyKey: `${admitted.userId}-1`,
    selection: { kind: 'quantity', quantity: 1 },
    admissionToken: admitted.admissionToken,
  });
  expect(reserved).toMatchObject({ ok: true });
  await seatRush.drain();
}

describe('createSeatRush: the admission loop follows the queueing room', () => {
  it('exposes the queueing room, whose base room is `waitingRoom`', async () => {
    const { seatRush } = await startSale({});
    expect(seatRush.waitingRoom).toBe(seatRush.queue.room);
    expect(await seatRush.queue.config()).toEqual({ method: 'fifo', preQueue: false, preQueued: 0 });
  });

  it('random: the loop draws among the waiting users (a scripted draw makes the order known)', async () => {
    // the draw always answers 0: the first waiting user, then the last ones moved into its slot
    const { seatRush, tick } = await startSale({
      queueing: { method: 'random' },
      random: () => 0,
      usersPerInterval: 3,
    });
    await joinAll(seatRush, users('u', 10));
    const report = await tick();
    expect(report.admitted.map((u) => u.userId)).toEqual(['u0', 'u9', 'u8']);
    expect((await seatRush.queue.status({ userId: 'u9' }))?.state).toBe('ADMITTED');
    expect((await seatRush.queue.status({ userId: 'u1' }))?.state).toBe('WAITING');
  });

  it('reject: new arrivals are refused, those already waiting are still admitted FIFO', async () => {
    const { seatRush, tick, state } = await startSale({ queueing: { rejectCode: 'SALE_CLOSED' } });
    await joinAll(seatRush, ['a', 'b', 'c']);
    await seatRush.queue.setMethod('reject');
    expect(await seatRush.queue.join({ userId: 'late' })).toMatchObject({ ok: false, code: 'SALE_CLOSED' });
    expect((await tick()).admitted.map((u) => u.userId)).toEqual(['a', 'b']);
    expect(await state('late')).toBeUndefined();
    expect((await tick()).admitted.map((u) => u.userId)).toEqual(['c']);
  });

  it('passthrough: joins are admitted at once up to maxActive, fire `admitted`, and the rest queue for the loop', async () => {
    const { seatRush, tick, state, admittedHooks } = await startSale({
      queueing: { method: 'passthrough' },
      maxActive: 2,
    });
    const [a, b, c] = await joinAll(seatRush, ['a', 'b', 'c']);
    expect(a).toMatchObject({ ok: true, status: { state: 'ADMITTED' } });
    expect(b).toMatchObject({ ok: true, status: { state: 'ADMITTED' } });
    expect(c).toMatchObject({ ok: true, status: { state: 'WAITING' } });
    expect((await admittedHooks()).map((hook) => hook.userId)).toEqual(['a', 'b']);
    expect((await tick()).admitted).toEqual([]); // full
    await seatRush.queue.room.leave({ userId: 'a' });
    expect((await tick()).admitted.map((u) => u.userId)).toEqual(['c']);
    expect(await state('c')).toBe('ADMITTED');
    expect((await admittedHooks()).map((hook) => hook.userId)).toEqual(['a', 'b', 'c']);
  });

  it('opens a pre-queue at opensAt: pre-queued users shuffled ahead, later arrivals FIFO behind them', async () => {
    const { seatRush, clock, tick, state } = await startSale({
      now: 1_000_000,
      opensAt: OPENS_AT,
      queueing: { preQueue: true },
      // Fisher–Yates drawing 0 every time turns [p0 p1 p2 p3] into [p1 p2 p3 p0]
      random: () => 0,
    });
    expect(seatRush.state).toBe('READY');
    expect(await seatRush.queue.config()).toMatchObject({ preQueue: true });
    const early = await joinAll(seatRush, users('p', 4));
    for (const outcome of early) {
      expect(outcome).toMatchObject({ ok: true, status: { state: 'WAITING', lane: 'pre-queue', ticket: 0 } });
    }
    expect(await tick()).toMatchObject({ skipped: 'NOT_OPEN', admitted: [] });
    expect(await seatRush.queue.config()).toMatchObject({ preQueue: true, preQueued: 4 });

    clock.set(OPENS_AT);
    const opening = await tick();
    expect(seatRush.state).toBe('OPEN');
    expect(opening.openedPreQueue).toEqual({ shuffled: 4, firstTicket: 1, lastTicket: 4 });
    expect(opening.admitted.map((u) => [u.userId, u.ticket])).toEqual([
      ['p1', 1],
      ['p2', 2],
    ]);
    const late = await joinAll(seatRush, ['late0', 'late1']);
    expect(late.map((outcome) => outcome.ok && outcome.status.ticket)).toEqual([5, 6]);
    expect((await tick()).admitted.map((u) => [u.userId, u.ticket])).toEqual([
      ['p3', 3],
      ['p0', 4],
    ]);
    expect((await tick()).admitted.map((u) => u.userId)).toEqual(['late0', 'late1']);
    expect(await state('late1')).toBe('ADMITTED');
  });

  it('a paused sale admits nobody, even under passthrough or with a bypass invitation; resuming lets them in', async () => {
    const invitations = new Invitations({ secret: INVITATION_SECRET });
    const { seatRush, tick, state, admittedHooks, clock } = await startSale({
      queueing: { method: 'passthrough', invitations },
    });
    expect(seatRush.state).toBe('OPEN');
    expect(await seatRush.pause()).toEqual({ ok: true, state: 'PAUSED' });
    expect(await seatRush.queue.join({ userId: 'walk-in' })).toMatchObject({
      ok: true,
      status: { state: 'WAITING' },
    });
    const invitation = invitations.issue({
      saleId: seatRush.sale.id,
      userId: 'vip',
      lane: 'bypass',
      expiresAt: clock.now() + 60_000,
    });
    expect(await seatRush.queue.join({ userId: 'vip', invitation })).toMatchObject({
      ok: true,
      status: { state: 'WAITING', lane: 'priority' },
    });
    expect(await tick()).toMatchObject({ skipped: 'PAUSED', admitted: [] });
    expect(await state('walk-in')).toBe('WAITING');
    expect(await admittedHooks()).toEqual([]);

    expect(await seatRush.resume()).toEqual({ ok: true, state: 'OPEN' });
    // the invited buyer first (the priority lane), then the walk-in
    expect((await tick()).admitted.map((u) => u.userId)).toEqual(['vip', 'walk-in']);
    expect((await admittedHooks()).map((hook) => hook.userId)).toEqual(['vip', 'walk-in']);
  });

  it('before opensAt a passthrough join queues; the loop admits it once the sale opens', async () => {
    const { seatRush, clock, tick, state } = await startSale({
      now: 1_000_000,
      opensAt: OPENS_AT,
      queueing: { method: 'passthrough' },
    });
    expect(await seatRush.queue.join({ userId: 'early' })).toMatchObject({
      ok: true,
      status: { state: 'WAITING' },
    });
    clock.set(OPENS_AT);
    expect((await tick()).admitted.map((u) => u.userId)).toEqual(['early']);
    expect(await state('early')).toBe('ADMITTED');
    // open now and nobody waits: the next passthrough join is admitted at once
    expect(await seatRush.queue.join({ userId: 'now' })).toMatchObject({
      ok: true,
      status: { state: 'ADMITTED' },
    });
  });

  it('a confirmed checkout ends the buyer session and hands the place to the next buyer at once', async () => {
    const { seatRush, tick, state, admittedHooks } = await startSale({ maxActive: 1 });
    await joinAll(seatRush, ['alice', 'bob']);
    const [admitted] = (await tick()).admitted;
    expect(admitted?.userId).toBe('alice');
    await checkOut(seatRush, admitted!);
    // the `confirmed` hook ended alice's session; no tick ran since
    expect((await admittedHooks()).map((hook) => hook.userId)).toEqual(['alice', 'bob']);
    expect(await state('alice')).toBeUndefined();
    expect(await state('bob')).toBe('ADMITTED');
  });

  it('keeps the session after checkout with endSessionOnCheckout: false', async () => {
    const { seatRush, tick, state, admittedHooks } = await startSale({
      maxActive: 1,
      endSessionOnCheckout: false,
    });
    await joinAll(seatRush, ['alice', 'bob']);
    const [admitted] = (await tick()).admitted;
    await checkOut(seatRush, admitted!);
    const rows = seatRush.memory.repository.rowsOf(seatRush.sale.id);
    expect(rows.map((row) => row.status)).toEqual(['CONFIRMED']);
    expect((await admittedHooks()).map((hook) => hook.userId)).toEqual(['alice']);
    expect(await state('alice')).toBe('ADMITTED');
    expect(await state('bob')).toBe('WAITING');
  });

  it('refuses bad queueing options with a ValidationError', () => {
    const sale = generalSale();
    expect(() => createInMemorySeatRush({ sale, queueing: { method: 'lifo' as never } })).toThrow(
      ValidationError,
    );
    expect(() => createInMemorySeatRush({ sale, queueing: { graceMs: -1 } })).toThrow(ValidationError);
    expect(() =>
      createInMemorySeatRush({ sale, queueing: { invitations: { verify: () => null } as never } }),
    ).toThrow(ValidationError);
  });
});
