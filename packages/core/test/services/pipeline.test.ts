import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  createInMemorySeatRush,
  createSeatRush,
  FakePaymentGateway,
  InfrastructureError,
  type InMemoryPorts,
  type InMemorySeatRushOptions,
  type ReservationRepository,
  type ReserveResult,
  type ReserveStrategy,
  type SaleDefinitionInput,
  SaleNotWarmError,
  type SeatRush,
  type Selection,
  ValidationError,
} from '../../src';
import { ManualClock } from '../../src/subpaths/testing';
import { generalSale, SECRET, seatedSale } from './fixtures';
import { startInMemorySale, withOverrides } from './harness';

/** A whole in-memory sale with the processor running on the bus; admission and sweeps by hand. */
const startSale = (sale: SaleDefinitionInput, options: Partial<InMemorySeatRushOptions> = {}) =>
  startInMemorySale(sale, { retry: { maxAttempts: 4, initialDelayMs: 1, maxDelayMs: 4 }, ...options });

/** Admission ticking every 100 ms on a real timer, with sessions and heartbeats outlasting a test. */
const admittingEvery100Ms = {
  usersPerInterval: 5,
  intervalMs: 100,
  maxActive: 10,
  sessionMs: 60_000,
  heartbeatTimeoutMs: 60_000,
};

const one: Selection = { kind: 'quantity', quantity: 1 };

function accepted(result: ReserveResult): string {
  if (!result.ok) throw new Error(`refused: ${result.code}`);
  return result.reservationId;
}

/**
 * Alice's reservation of `selection` in a sale of 5 units, the gateway set up by `prepare` before
 * she reserves, and the pipeline drained: the sale and her reservation's id.
 */
async function aliceReserves(prepare: (payments: FakePaymentGateway) => void, selection: Selection = one) {
  const sale = await startSale(generalSale({ capacity: 5 }));
  const tokens = await sale.admit(['alice']);
  prepare(sale.payments);
  const id = accepted(await sale.reserve('alice', tokens.get('alice'), selection));
  await sale.seatRush.drain();
  return { ...sale, id };
}

/** The reservation `id` failed for `reason` and was compensated: all 5 units are back on sale. */
async function expectCompensated(seatRush: SeatRush & { memory: InMemoryPorts }, id: string, reason: string) {
  expect(await seatRush.reservation(id)).toMatchObject({ status: 'COMPENSATED', failureReason: reason });
  expect(await seatRush.memory.inventory.counts(seatRush.sale.id)).toMatchObject({ available: 5, held: 0 });
}

describe('the whole pipeline in memory', () => {
  it('join → admit → reserve → publish → process → pay → confirmed', async () => {
    const { seatRush, admit, reserve, payments, results } = await startSale(seatedSale());
    const joined = await seatRush.waitingRoom.join({ userId: 'alice' });
    expect(joined).toMatchObject({ ok: true, status: { state: 'WAITING', ticket: 1 } });
    const tokens = await admit(['alice']);
    const id = accepted(
      await reserve('alice', tokens.get('alice'), { kind: 'seats', seatIds: ['A1', 'A2'] }),
    );
    await seatRush.drain();
    expect(await seatRush.reservation(id)).toMatchObject({
      status: 'CONFIRMED',
      seatIds: ['A1', 'A2'],
      amountCents: 18_000,
      paymentId: 'pay_1',
    });
    expect(payments.charges()).toHaveLength(1);
    expect(await seatRush.memory.inventory.seatStates(seatRush.sale.id)).toMatchObject({
      A1: 'CONFIRMED',
      A2: 'CONFIRMED',
      A3: 'AVAILABLE',
    });
    expect(results('ReservationConfirmed')).toEqual([
      expect.objectContaining({ payload: expect.objectContaining({ reservationId: id }) }),
    ]);
    expect((await seatRush.reconciler.reconcile(seatRush.sale.id)).consistent).toBe(true);
    await seatRush.stop();
  });

  describe('compensation (docs/design.md §Failure handling)', () => {
    it('publish fails after the hold: the answer stands, and the outbox brings it to the processor', async () => {
      const { seatRush, admit, reserve, clock } = await startSale(generalSale({ capacity: 5 }));
      const tokens = await admit(['alice']);
      seatRush.memory.bus.failNextPublishes(1);
      // scenario 1's compensation (docs/design.md §Failure handling) is for requests never
      // acknowledged; this one was, durably
      const id = accepted(await reserve('alice', tokens.get('alice'), one));
      expect(await seatRush.memory.inventory.counts(seatRush.sale.id)).toMatchObject({
        available: 4,
        held: 1,
      });
      expect(await seatRush.reservation(id)).toBeNull();
      clock.advance(1_000);
      expect(await seatRush.relay.relayDue()).toBe(1);
      await seatRush.drain();
      expect(await seatRush.reservation(id)).toMatchObject({ status: 'CONFIRMED' });
      await seatRush.stop();
    });

    it('payment declined: FAILED, units back, ReservationFailed(compensated)', async () => {
      const { seatRush, id, results } = await aliceReserves((payments) => payments.decline(), {
        kind: 'quantity',
        quantity: 2,
      });
      await expectCompensated(seatRush, id, 'PAYMENT_DECLINED');
      expect(results('ReservationFailed')).toEqual([
        expect.objectContaining({
          payload: expect.objectContaining({ reservationId: id, compensated: true }),
        }),
      ]);
      await seatRush.stop();
    });

    it('payment gateway down: the consumer retries with backoff and the buyer is charged once', async () => {
      const { seatRush, id, payments } = await aliceReserves((payments) => payments.fail({ times: 2 }));
      expect(await seatRush.reservation(id)).toMatchObject({ status: 'CONFIRMED' });
      expect(payments.chargeCalls).toBe(3);
      expect(payments.charges()).toHaveLength(1);
      expect(seatRush.memory.bus.deadLetters()).toEqual([]);
      await seatRush.stop();
    });

    it('retries exhausted: dead letter, compensation and an operator alert', async () => {
      const { seatRush, id, payments } = await aliceReserves((payments) => payments.fail({ times: 100 }));
      expect(seatRush.memory.bus.deadLetters()).toEqual([
        expect.objectContaining({
          attempts: 4,
          error: expect.objectContaining({ code: 'PAYMENT_UNAVAILABLE' }),
        }),
      ]);
      await expectCompensated(seatRush, id, 'PROCESSING_FAILED');
      expect(seatRush.memory.alerts.byCode('DEAD_LETTER')).toEqual([
        expect.objectContaining({
          severity: 'critical',
          context: expect.objectContaining({ reservationId: id, paymentAttempted: true }),
        }),
      ]);
      expect(payments.charges()).toEqual([]);
      await seatRush.stop();
    });

    it('database down for a while: the consumer retries, the reservation is stored and confirmed once', async () => {
      const { memory } = createInMemorySeatRush({ sale: generalSale() });
      let outages = 2;
      const repository = withOverrides<ReservationRepository>(memory.repository, {
        insertMany: async (rows) => {
          if (outages-- > 0) throw new InfrastructureError('database unreachable');
          return memory.repository.insertMany(rows);
        },
      });
      const payments = new FakePaymentGateway();
      const seatRush = createSeatRush({
        sale: generalSale(),
        admissionSecret: SECRET,
        clock: new ManualClock(1_000_000),
        loops: { admission: false, sweeper: false, reconciler: false },
        retry: { maxAttempts: 4, initialDelayMs: 1, maxDelayMs: 4 },
        ports: {
          waitingRoom: memory.waitingRoom,
          inventory: memory.inventory,
          publisher: memory.bus,
          consumer: memory.bus.consumer('processor'),
          repository,
          payments,
          alerts: memory.alerts,
        },
      });
      await seatRush.start();
      await seatRush.waitingRoom.join({ userId: 'alice' });
      const { admitted } = await seatRush.waitingRoom.tick();
      const id = accepted(
        await seatRush.reservations.reserve({
          userId: 'alice',
          idempotencyKey: 'k',
          selection: one,
          admissionToken: admitted[0]!.admissionToken,
        }),
      );
      await seatRush.drain();
      expect(await seatRush.reservation(id)).toMatchObject({ status: 'CONFIRMED' });
      expect(memory.repository.rowsOf(seatRush.sale.id)).toHaveLength(1);
      expect(payments.charges()).toHaveLength(1);
      expect(memory.bus.deadLetters()).toEqual([]);
      await seatRush.stop();
    });

    it('hold expired before payment: FAILED HOLD_EXPIRED, never charged', async () => {
      const { seatRush, admit, reserve, payments, clock } = await startSale(generalSale({ capacity: 5 }), {
        loops: { admission: false, sweeper: false, reconciler: false, processor: false },
      });
      const tokens = await admit(['alice']);
      const id = accepted(await reserve('alice', tokens.get('alice'), one));
      clock.advance(seatRush.sale.holdMs);
      expect((await seatRush.sweeper.sweepOnce()).expired).toHaveLength(1);
      // the processor comes up late (a consumer outage) and finds the hold gone
      const consumer = seatRush.memory.bus.consumer('late-processor');
      await consumer.start({ types: ['ReservationRequested'], handler: seatRush.processor });
      while ((await consumer.lag()) > 0) await new Promise((resolve) => setTimeout(resolve, 2));
      await consumer.stop();
      expect(await seatRush.reservation(id)).toMatchObject({
        status: 'COMPENSATED',
        failureReason: 'HOLD_EXPIRED',
      });
      expect(payments.chargeCalls).toBe(0);
      expect(await seatRush.memory.inventory.counts(seatRush.sale.id)).toMatchObject({
        available: 5,
        held: 0,
      });
      await seatRush.stop();
    });

    it('consumer crash and replay: no double insert, no double charge', async () => {
      const { seatRush, admit, reserve, payments, results } = await startSale(generalSale({ capacity: 5 }));
      const tokens = await admit(['alice']);
      const id = accepted(await reserve('alice', tokens.get('alice'), one));
      // the processor's result publish fails once (it "crashes" after paying); then the broker
      // redelivers the same message (at least once)
      seatRush.memory.bus.failNextPublishes(1);
      await seatRush.drain();
      const requested = results('ReservationRequested')[0]!;
      await seatRush.memory.bus.publishRaw(JSON.stringify(requested), requested.key);
      await seatRush.drain();
      expect(seatRush.memory.repository.rowsOf(seatRush.sale.id)).toEqual([
        expect.objectContaining({ reservationId: id, status: 'CONFIRMED' }),
      ]);
      expect(payments.charges()).toHaveLength(1);
      expect(await seatRush.memory.inventory.counts(seatRush.sale.id)).toMatchObject({
        confirmed: 1,
        available: 4,
      });
      await seatRush.stop();
    });

    it('duplicate request with the same idempotency key: the original outcome, processed once', async () => {
      const { seatRush, admit, reserve, payments } = await startSale(generalSale({ capacity: 5 }));
      const tokens = await admit(['alice']);
      const [first, second] = await Promise.all([
        reserve('alice', tokens.get('alice'), one, 'same-key'),
        reserve('alice', tokens.get('alice'), one, 'same-key'),
      ]);
      await seatRush.drain();
      const third = await reserve('alice', tokens.get('alice'), one, 'same-key');
      const ids = [first, second, third].map(accepted);
      expect(new Set(ids).size).toBe(1);
      expect([first, second, third].filter((r) => r.ok && r.replayed)).toHaveLength(2);
      expect(seatRush.memory.repository.rowsOf(seatRush.sale.id)).toHaveLength(1);
      expect(payments.charges()).toHaveLength(1);
      await seatRush.stop();
    });

    it('a drifted store is repaired from the source of truth by the reconciler', async () => {
      const { seatRush, admit, reserve } = await startSale(generalSale({ capacity: 5 }));
      const tokens = await admit(['alice', 'bob']);
      accepted(await reserve('alice', tokens.get('alice'), { kind: 'quantity', quantity: 2 }));
      accepted(await reserve('bob', tokens.get('bob'), one));
      await seatRush.drain();
      // the store restarts empty-handed, as if nothing had been sold
      await seatRush.memory.inventory.load({
        saleId: seatRush.sale.id,
        initialStock: 5,
        available: 5,
        seatIds: [],
        confirmedSeatIds: [],
        ticketsPerUser: 4,
        confirmedPerUser: {},
      });
      const report = await seatRush.reconciler.reconcile(seatRush.sale.id);
      expect(report).toMatchObject({ consistent: false, repaired: true, truthConfirmed: 3 });
      expect(await seatRush.memory.inventory.counts(seatRush.sale.id)).toMatchObject({
        available: 2,
        confirmed: 3,
      });
      expect((await seatRush.health()).warmUp.warm).toBe(true);
      await seatRush.stop();
    });
  });

  describe.each(['atomic', 'lock'] as const)('under load (%s strategy)', (strategy: ReserveStrategy) => {
    const users = strategy === 'atomic' ? 500 : 200;

    it(`${users} concurrent buyers on 50 units: exactly 50 confirmed, nothing sold twice, every request final once`, async () => {
      const { seatRush, admit, reserve, payments } = await startSale(
        generalSale({ capacity: 50, limits: { ticketsPerUser: 1 } }),
        { strategy },
      );
      const ids = Array.from({ length: users }, (_, i) => `user-${i}`);
      const tokens = await admit(ids);
      const outcomes = await Promise.all(ids.map((userId) => reserve(userId, tokens.get(userId), one)));
      await seatRush.drain(30_000);
      const acceptedIds = outcomes.flatMap((r) => (r.ok ? [r.reservationId] : []));
      expect(acceptedIds).toHaveLength(50);
      expect(outcomes.filter((r) => !r.ok).every((r) => r.code === 'SOLD_OUT')).toBe(true);
      const rows = seatRush.memory.repository.rowsOf(seatRush.sale.id);
      expect(rows.map((row) => row.reservationId).sort()).toEqual([...acceptedIds].sort());
      expect(rows.every((row) => row.status === 'CONFIRMED')).toBe(true);
      expect(new Set(rows.map((row) => row.userId)).size).toBe(50);
      expect(payments.charges()).toHaveLength(50);
      expect(await seatRush.memory.inventory.counts(seatRush.sale.id)).toEqual({
        saleId: seatRush.sale.id,
        initialStock: 50,
        available: 0,
        held: 0,
        confirmed: 50,
      });
      await seatRush.stop();
    });
  });

  it('500 concurrent buyers fighting over 50 seats (10 per seat), 1 in 5 payments declined: no seat sold twice', async () => {
    const seats = Array.from({ length: 50 }, (_, i) => ({ id: `S${i}`, label: `S${i}`, tier: 'std' }));
    const sale = seatedSale({
      inventory: { kind: 'assigned', sections: [{ id: 'A', name: 'A', rows: [{ id: '1', seats }] }] },
      limits: { ticketsPerUser: 1 },
    });
    const { seatRush, admit, payments } = await startSale(sale);
    const ids = Array.from({ length: 500 }, (_, i) => `user-${i}`);
    const tokens = await admit(ids);
    const outcomes = await Promise.all(
      ids.map((userId, i) => {
        if (i % 50 < 10) payments.decline({ reservationId: `res-${i}` });
        return seatRush.reservations.reserve({
          userId,
          idempotencyKey: `key-${i}`,
          reservationId: `res-${i}`,
          selection: { kind: 'seats', seatIds: [`S${i % 50}`] },
          admissionToken: tokens.get(userId),
        });
      }),
    );
    await seatRush.drain(30_000);
    const acceptedIds = outcomes.flatMap((r) => (r.ok ? [r.reservationId] : []));
    expect(acceptedIds).toHaveLength(50); // the first of each seat's ten buyers
    expect(outcomes.filter((r) => !r.ok).every((r) => r.code === 'SEAT_TAKEN')).toBe(true);
    const rows = seatRush.memory.repository.rowsOf(seatRush.sale.id);
    // every accepted request ends in exactly one final state
    expect(rows.map((row) => row.reservationId).sort()).toEqual([...acceptedIds].sort());
    expect(rows.every((row) => row.status === 'CONFIRMED' || row.status === 'COMPENSATED')).toBe(true);
    const confirmed = rows.filter((row) => row.status === 'CONFIRMED');
    const soldSeats = confirmed.flatMap((row) => row.seatIds);
    expect(new Set(soldSeats).size).toBe(soldSeats.length);
    expect(payments.charges()).toHaveLength(confirmed.length);
    const counts = await seatRush.memory.inventory.counts(seatRush.sale.id);
    expect(counts).toMatchObject({ held: 0, confirmed: confirmed.length, available: 50 - confirmed.length });
    const states = await seatRush.memory.inventory.seatStates(seatRush.sale.id);
    expect(
      Object.entries(states)
        .filter(([, state]) => state === 'CONFIRMED')
        .map(([id]) => id)
        .sort(),
    ).toEqual([...soldSeats].sort());
    await seatRush.stop();
  });
});

describe('createSeatRush', () => {
  it('refuses to start a sale that is not warm, and says so in health', async () => {
    const seatRush = createInMemorySeatRush({
      sale: generalSale(),
      clock: new ManualClock(),
      warmUp: 'never',
    });
    const error = await seatRush.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SaleNotWarmError);
    expect(seatRush.running).toBe(false);
    expect(await seatRush.health()).toMatchObject({
      running: false,
      warmUp: { warm: false },
      consumerLag: null,
    });
  });

  it('follows the sale lifecycle: queue before opening, sell while OPEN, not while PAUSED or CLOSED', async () => {
    const clock = new ManualClock(1_000_000);
    const seatRush = createInMemorySeatRush({
      sale: generalSale({ opensAt: 1_010_000 }),
      clock,
      loops: { admission: false, sweeper: false, reconciler: false },
      // alice reserves twice on one admission, across the pause: her first checkout must not end it
      endSessionOnCheckout: false,
    });
    expect(seatRush.state).toBe('DRAFT');
    await seatRush.start();
    expect(seatRush.state).toBe('READY');
    await seatRush.waitingRoom.join({ userId: 'alice' });
    expect(await seatRush.waitingRoom.tick()).toMatchObject({ admitted: [] });
    expect(await seatRush.open()).toEqual({ ok: false, code: 'TOO_EARLY', state: 'READY' });
    const early = await seatRush.reservations.reserve({
      userId: 'alice',
      idempotencyKey: 'k',
      selection: { kind: 'quantity', quantity: 1 },
    });
    expect(early).toEqual({ ok: false, code: 'SALE_NOT_OPEN' });
    clock.set(1_010_000);
    expect(await seatRush.open()).toEqual({ ok: true, state: 'OPEN' });
    const { admitted } = await seatRush.waitingRoom.tick();
    const token = admitted[0]!.admissionToken;
    const reserve = (key: string) =>
      seatRush.reservations.reserve({
        userId: 'alice',
        idempotencyKey: key,
        selection: { kind: 'quantity', quantity: 1 },
        admissionToken: token,
      });
    expect(await reserve('k1')).toMatchObject({ ok: true });
    expect(await seatRush.pause()).toEqual({ ok: true, state: 'PAUSED' });
    expect(await reserve('k2')).toEqual({ ok: false, code: 'SALE_NOT_OPEN' });
    await seatRush.waitingRoom.join({ userId: 'bob' });
    expect(await seatRush.waitingRoom.tick()).toMatchObject({ skipped: 'PAUSED' });
    expect(await seatRush.resume()).toEqual({ ok: true, state: 'OPEN' });
    expect(await reserve('k2')).toMatchObject({ ok: true });
    expect(await seatRush.close()).toEqual({ ok: true, state: 'CLOSED' });
    expect(await reserve('k3')).toEqual({ ok: false, code: 'SALE_NOT_OPEN' });
    expect(await seatRush.resume()).toEqual({ ok: false, code: 'INVALID_TRANSITION', state: 'CLOSED' });
    await seatRush.drain(); // the reservations accepted before closing are still processed
    expect(seatRush.memory.repository.rowsOf(seatRush.sale.id).map((row) => row.status)).toEqual([
      'CONFIRMED',
      'CONFIRMED',
    ]);
    await seatRush.stop();
  });

  it('opens lazily on an instance that does not run the admission loop', async () => {
    const { seatRush, clock } = await startSale(generalSale({ opensAt: 1_010_000 }));
    const attempt = () =>
      seatRush.reservations.reserve({
        userId: 'alice',
        idempotencyKey: 'k',
        selection: { kind: 'quantity', quantity: 1 },
      });
    expect(await attempt()).toEqual({ ok: false, code: 'SALE_NOT_OPEN' });
    clock.set(1_010_000);
    expect(await attempt()).toMatchObject({ ok: false, code: 'NOT_ADMITTED' });
    expect(seatRush.state).toBe('OPEN');
    await seatRush.stop();
  });

  it('goes back to DRAFT when the warm-up fails', async () => {
    const seatRush = createInMemorySeatRush({
      sale: generalSale(),
      clock: new ManualClock(),
      warmUp: 'never',
    });
    await expect(seatRush.start()).rejects.toBeInstanceOf(SaleNotWarmError);
    expect(seatRush.state).toBe('DRAFT');
    expect(seatRush.memory.alerts.alerts).toEqual([]);
  });

  it('opens on schedule from the admission loop', async () => {
    const seatRush = createInMemorySeatRush({
      sale: generalSale({ opensAt: Date.now() + 150, admission: admittingEvery100Ms }),
    });
    await seatRush.start();
    expect(seatRush.state).toBe('READY');
    while (seatRush.state !== 'OPEN') await new Promise((resolve) => setTimeout(resolve, 20));
    await seatRush.stop();
  });

  it('runs the admission tick on its own loop once started, and stops it', async () => {
    const seatRush = createInMemorySeatRush({
      sale: generalSale({ admission: admittingEvery100Ms }),
    });
    await seatRush.start();
    await seatRush.waitingRoom.join({ userId: 'alice' });
    while ((await seatRush.waitingRoom.status({ userId: 'alice' }))?.state !== 'ADMITTED') {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await seatRush.health()).toMatchObject({
      running: true,
      warmUp: { warm: true },
      queue: { servedUpTo: 1 },
    });
    await seatRush.stop();
    expect(seatRush.running).toBe(false);
  });

  it('rejects an invalid sale and a lock strategy without its ports', async () => {
    expect(() => createInMemorySeatRush({ sale: { ...generalSale(), holdMs: 1 } })).toThrow(ValidationError);
    const { memory } = createInMemorySeatRush({ sale: generalSale() });
    const ports = {
      waitingRoom: memory.waitingRoom,
      inventory: memory.inventory,
      publisher: memory.bus,
      consumer: memory.bus.consumer('g'),
      repository: memory.repository,
      payments: memory.payments,
      alerts: memory.alerts,
    };
    expect(() =>
      createSeatRush({ sale: generalSale(), ports, admissionSecret: SECRET, strategy: 'lock' }),
    ).toThrow(ConfigurationError);
    expect(() => createSeatRush({ sale: generalSale(), ports, admissionSecret: 'short' })).toThrow(
      ConfigurationError,
    );
  });
});
