import { describe, expect, it } from 'vitest';
import { ConfigurationError, type Selection, StoreUnavailableError, ValidationError } from '../../src';
import { MemoryInventoryStore } from '../../src/subpaths/memory';
import { Reservations } from '../../src/subpaths/services';
import { generalSale, seatedSale } from './fixtures';
import { servicesFor, withOverrides } from './harness';

const one: Selection = { kind: 'quantity', quantity: 1 };

/** Alice's reserve request: `selection` (one unit unless said) under `idempotencyKey`, with her token. */
const aliceAsks = (
  admissionToken: string | undefined,
  selection: Selection = one,
  idempotencyKey = 'k1',
) => ({
  userId: 'alice',
  idempotencyKey,
  selection,
  admissionToken,
});

describe.each(['atomic', 'lock'] as const)('Reservations (%s strategy)', (strategy) => {
  it('holds the units, publishes ReservationRequested with a StockChanged audit and answers accepted', async () => {
    const s = await servicesFor(generalSale({ capacity: 10 }), { strategy });
    const tokens = await s.admit('alice');
    const result = await s.reservations.reserve(aliceAsks(tokens.alice, { kind: 'quantity', quantity: 2 }));
    expect(result).toMatchObject({ ok: true, code: 'ACCEPTED', amountCents: 10_000, replayed: false });
    if (!result.ok) return;
    expect(result.hold).toMatchObject({ userId: 'alice', quantity: 2, status: 'HELD', expiresAt: 1_060_000 });
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 8, held: 2, confirmed: 0 });
    const requested = s.requested(result.reservationId);
    expect(requested.payload).toMatchObject({
      userId: 'alice',
      quantity: 2,
      amountCents: 10_000,
      idempotencyKey: 'k1',
    });
    const audit = s
      .published('StockChanged')
      .filter((e) => e.type === 'StockChanged' && e.payload.reason === 'HELD');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      payload: { delta: -2, confirmedDelta: 0, reservationId: result.reservationId },
    });
  });

  it('answers the original outcome to a repeated idempotency key, without publishing twice', async () => {
    const s = await servicesFor(generalSale(), { strategy });
    const tokens = await s.admit('alice');
    const request = aliceAsks(tokens.alice);
    const first = await s.reservations.reserve(request);
    const again = await s.reservations.reserve(request);
    expect(again).toMatchObject({ ok: true, replayed: true });
    expect(first.ok && again.ok && again.reservationId === first.reservationId).toBe(true);
    expect(s.published('ReservationRequested')).toHaveLength(1);
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 9, held: 1 });
  });

  it('answers a double submit for the last unit with the same hold, never SOLD_OUT', async () => {
    const s = await servicesFor(generalSale({ capacity: 1 }), { strategy });
    const tokens = await s.admit('alice');
    const request = aliceAsks(tokens.alice, one, 'k-last');
    const [first, second] = await Promise.all([
      s.reservations.reserve(request),
      s.reservations.reserve(request),
    ]);
    expect(first).toMatchObject({ ok: true, code: 'ACCEPTED' });
    expect(second).toMatchObject({ ok: true, code: 'ACCEPTED' });
    expect(first.ok && second.ok && first.reservationId === second.reservationId).toBe(true);
    expect([first.ok && first.replayed, second.ok && second.replayed].sort()).toEqual([false, true]);
  });

  it('refuses an idempotency key reused for a different request', async () => {
    const s = await servicesFor(generalSale(), { strategy });
    const tokens = await s.admit('alice');
    const base = { userId: 'alice', idempotencyKey: 'k1', admissionToken: tokens.alice };
    await s.reservations.reserve({ ...base, selection: { kind: 'quantity', quantity: 1 } });
    expect(await s.reservations.reserve({ ...base, selection: { kind: 'quantity', quantity: 2 } })).toEqual({
      ok: false,
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
  });

  it('refuses users without a valid admission token, and users not admitted', async () => {
    const s = await servicesFor(generalSale(), { strategy });
    const tokens = await s.admit('alice');
    const selection = { kind: 'quantity', quantity: 1 } as const;
    expect(await s.reservations.reserve({ userId: 'bob', idempotencyKey: 'k', selection })).toEqual({
      ok: false,
      code: 'NOT_ADMITTED',
      tokenRefusal: 'MALFORMED',
    });
    // alice's token presented by bob
    expect(
      await s.reservations.reserve({
        userId: 'bob',
        idempotencyKey: 'k',
        selection,
        admissionToken: tokens.alice,
      }),
    ).toEqual({ ok: false, code: 'NOT_ADMITTED', tokenRefusal: 'WRONG_USER' });
    // a valid token whose admission was given up: the store's check still refuses
    await s.waitingRoom.leave({ userId: 'alice' });
    expect(
      await s.reservations.reserve({
        userId: 'alice',
        idempotencyKey: 'k',
        selection,
        admissionToken: tokens.alice,
      }),
    ).toEqual({ ok: false, code: 'NOT_ADMITTED' });
    expect(s.published('ReservationRequested')).toHaveLength(0);
  });

  it('answers SOLD_OUT when the stock is not enough, and LIMIT_EXCEEDED past the per-user limit', async () => {
    const s = await servicesFor(generalSale({ capacity: 3, limits: { ticketsPerUser: 2 } }), { strategy });
    const t = await s.admit('alice', 'bob');
    const reserve = (userId: string, key: string, quantity: number) =>
      s.reservations.reserve({
        userId,
        idempotencyKey: key,
        selection: { kind: 'quantity', quantity },
        admissionToken: t[userId],
      });
    expect((await reserve('alice', 'a1', 2)).ok).toBe(true);
    expect(await reserve('alice', 'a2', 1)).toEqual({ ok: false, code: 'LIMIT_EXCEEDED' });
    expect(await reserve('bob', 'b1', 2)).toEqual({ ok: false, code: 'SOLD_OUT' });
    expect((await reserve('bob', 'b2', 1)).ok).toBe(true);
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 0, held: 3 });
  });

  it('prices seats by their tier and refuses taken, unknown and wrongly selected seats', async () => {
    const s = await servicesFor(seatedSale(), { strategy });
    const t = await s.admit('alice', 'bob');
    const reserve = (userId: string, key: string, selection: object) =>
      s.reservations.reserve({
        userId,
        idempotencyKey: key,
        selection: selection as never,
        admissionToken: t[userId],
      });
    expect(await reserve('alice', 'a1', { kind: 'seats', seatIds: ['A1', 'A5'] })).toMatchObject({
      ok: true,
      amountCents: 13_000,
    });
    expect(await reserve('bob', 'b1', { kind: 'seats', seatIds: ['A5', 'A6'] })).toEqual({
      ok: false,
      code: 'SEAT_TAKEN',
      seatIds: ['A5'],
    });
    expect(await reserve('bob', 'b2', { kind: 'seats', seatIds: ['Z9'] })).toEqual({
      ok: false,
      code: 'UNKNOWN_SEAT',
      seatIds: ['Z9'],
    });
    expect(await reserve('bob', 'b3', { kind: 'quantity', quantity: 1 })).toEqual({
      ok: false,
      code: 'WRONG_SELECTION',
    });
    expect(await s.inventory.seatStates(s.saleId)).toMatchObject({ A1: 'HELD', A5: 'HELD', A6: 'AVAILABLE' });
  });

  it('keeps an acknowledged hold when the publish fails: the outbox hands it over later', async () => {
    const s = await servicesFor(seatedSale(), { strategy });
    const t = await s.admit('alice');
    const request = aliceAsks(t.alice, { kind: 'seats', seatIds: ['A1'] });
    s.bus.failNextPublishes(1);
    const first = await s.reservations.reserve(request);
    expect(first).toMatchObject({ ok: true, code: 'ACCEPTED', replayed: false, hold: { status: 'HELD' } });
    if (!first.ok) return;
    // nothing undone: the hold stands, and its entry waits in the outbox
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 7, held: 1 });
    expect(s.published('ReservationRequested')).toHaveLength(0);
    expect(await s.inventory.unrelayed({ saleId: s.saleId, enqueuedUpTo: s.clock.now(), limit: 10 })).toEqual(
      [
        {
          reservationId: first.reservationId,
          enqueuedAt: s.clock.now(),
          hold: expect.objectContaining({ status: 'HELD' }),
        },
      ],
    );
    // the double submit answers the same, durable hold
    expect(await s.reservations.reserve(request)).toMatchObject({
      ok: true,
      replayed: true,
      reservationId: first.reservationId,
    });
    s.clock.advance(1_000);
    expect(await s.reservations.relay.relayDue()).toBe(1);
    expect(s.requested(first.reservationId).payload).toMatchObject({ userId: 'alice', seatIds: ['A1'] });
    expect(await s.inventory.unrelayed({ saleId: s.saleId, enqueuedUpTo: s.clock.now(), limit: 10 })).toEqual(
      [],
    );
  });

  it('refuses new holds while the outbox is stalled past its limit, and still answers replays', async () => {
    const s = await servicesFor(generalSale({ capacity: 10 }), { strategy });
    const t = await s.admit('alice', 'bob');
    const alice = {
      userId: 'alice',
      idempotencyKey: 'ka',
      selection: { kind: 'quantity' as const, quantity: 1 },
      admissionToken: t.alice,
    };
    s.bus.failNextPublishes(1);
    expect(await s.reservations.reserve(alice)).toMatchObject({ ok: true });
    // the default limit: a quarter of the 60 s hold, at most 5 s
    s.clock.advance(5_001);
    const bob = { ...alice, userId: 'bob', idempotencyKey: 'kb', admissionToken: t.bob };
    expect(await s.reservations.reserve(bob)).toEqual({ ok: false, code: 'PIPELINE_STALLED' });
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 9, held: 1 });
    expect(await s.reservations.reserve(alice)).toMatchObject({ ok: true, replayed: true });
    await s.reservations.relay.relayDue();
    expect(await s.reservations.reserve(bob)).toMatchObject({ ok: true, replayed: false });
  });

  it('never answers HELD for a hold whose time has passed', async () => {
    const s = await servicesFor(generalSale(), { strategy });
    const t = await s.admit('alice');
    const request = aliceAsks(t.alice);
    expect(await s.reservations.reserve(request)).toMatchObject({ hold: { status: 'HELD' } });
    s.clock.advance(60_000);
    // not swept yet, but expired all the same
    expect(await s.reservations.reserve(request)).toMatchObject({
      ok: true,
      replayed: true,
      hold: { status: 'EXPIRED' },
    });
  });
  it('rejects bad input with every problem listed, and changes nothing', async () => {
    const s = await servicesFor(seatedSale(), { strategy });
    await s.admit('alice');
    const error = await s.reservations
      .reserve({ userId: 'al ice', idempotencyKey: '', selection: { kind: 'seats', seatIds: ['A1', 'A1'] } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path).sort()).toEqual([
      'idempotencyKey',
      'selection.seatIds',
      'userId',
    ]);
    await expect(s.reservations.reserve({} as never)).rejects.toBeInstanceOf(ValidationError);
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 8, held: 0 });
  });

  it('lets only the owner extend or release a hold, with a RELEASED audit event', async () => {
    const s = await servicesFor(generalSale(), { strategy });
    const reservationId = await s.holdFor('alice', { kind: 'quantity', quantity: 1 });
    s.clock.advance(30_000);
    expect(await s.reservations.extendHold({ userId: 'mallory', reservationId })).toEqual({
      ok: false,
      code: 'NOT_OWNER',
    });
    expect(await s.reservations.extendHold({ userId: 'alice', reservationId })).toMatchObject({
      ok: true,
      hold: { expiresAt: 1_090_000 },
    });
    expect(await s.reservations.releaseHold({ userId: 'mallory', reservationId })).toMatchObject({
      ok: false,
    });
    expect(await s.reservations.releaseHold({ userId: 'alice', reservationId })).toMatchObject({
      ok: true,
      hold: { status: 'RELEASED' },
    });
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 10, held: 0 });
    expect(
      s.published('StockChanged').some((e) => e.type === 'StockChanged' && e.payload.reason === 'RELEASED'),
    ).toBe(true);
    await expect(s.reservations.extendHold({ userId: 'alice', reservationId: 'x y' })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('cancels a live hold for its owner only, and refuses to cancel twice', async () => {
    const s = await servicesFor(generalSale(), { strategy });
    const reservationId = await s.holdFor('alice', { kind: 'quantity', quantity: 2 });
    expect(await s.reservations.cancel({ userId: 'bob', reservationId })).toEqual({
      ok: false,
      code: 'NOT_OWNER',
    });
    expect(await s.reservations.cancel({ userId: 'alice', reservationId })).toMatchObject({
      ok: true,
      code: 'RELEASED',
    });
    expect(await s.reservations.cancel({ userId: 'alice', reservationId })).toEqual({
      ok: false,
      code: 'ALREADY_CANCELLED',
    });
    expect(await s.reservations.cancel({ userId: 'alice', reservationId: 'nope' })).toEqual({
      ok: false,
      code: 'NOT_FOUND',
    });
  });
});

describe('Reservations (lock strategy) under contention', () => {
  /** A lock-strategy service over `s` with `overrides`, and the sale's lock taken by another holder. */
  async function lockedOut(overrides: Partial<ConstructorParameters<typeof Reservations>[0]>) {
    const s = await servicesFor(generalSale(), { strategy: 'lock' });
    const t = await s.admit('alice');
    const reservations = new Reservations({
      sale: generalSale(),
      inventory: s.inventory,
      publisher: s.bus,
      clock: s.clock,
      alerts: s.alerts,
      strategy: 'lock',
      lock: s.lock,
      steps: s.inventory.steps(),
      waitingRoom: s.waitingRoomStore,
      ...overrides,
    });
    const other = await s.lock.acquire('sale:sale-ga', 60_000);
    expect(other).not.toBeNull();
    const request = aliceAsks(t.alice);
    return { s, reservations, request, release: () => s.lock.release(other!) };
  }

  it('answers BUSY and changes nothing when the sale lock stays taken', async () => {
    const { s, reservations, request, release } = await lockedOut({ lockAttempts: 3 });
    expect(await reservations.reserve(request)).toEqual({ ok: false, code: 'BUSY' });
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 10, held: 0 });
    await release();
    expect(await reservations.reserve(request)).toMatchObject({ ok: true, code: 'ACCEPTED' });
  });

  it('answers BUSY and holds nothing once the answer bound passes while the lock stays taken', async () => {
    const { s, reservations, request, release } = await lockedOut({
      lockAttempts: 1_000_000,
      answerWithinMs: 100,
    });
    expect(await reservations.reserve(request)).toEqual({ ok: false, code: 'BUSY' });
    await release();
    // the attempt gave up: nothing is held late behind the answer
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 10, held: 0 });
  });
});

describe('Reservations when the store does not answer', () => {
  async function withStore(
    reserve: (real: MemoryInventoryStore['reserve']) => MemoryInventoryStore['reserve'],
  ) {
    const s = await servicesFor(generalSale());
    const t = await s.admit('alice');
    const inventory = withOverrides(s.inventory, { reserve: reserve(s.inventory.reserve.bind(s.inventory)) });
    const reservations = new Reservations({
      sale: generalSale(),
      inventory,
      publisher: s.bus,
      clock: s.clock,
      alerts: s.alerts,
      answerWithinMs: 50,
    });
    const request = { ...aliceAsks(t.alice), reservationId: 'r-first' };
    return { s, reservations, request };
  }

  it('answers OUTCOME_UNKNOWN within its bound, and the late hold still reaches the pipeline', async () => {
    let finish: () => void = () => {};
    const { s, reservations, request } = await withStore(
      (real) => (r) => new Promise((resolve) => (finish = () => resolve(real(r)))),
    );
    const started = performance.now();
    expect(await reservations.reserve(request)).toEqual({
      ok: false,
      code: 'OUTCOME_UNKNOWN',
      reservationId: 'r-first',
    });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(s.alerts.byCode('RESERVE_OUTCOME_UNKNOWN')).toHaveLength(1);
    // the store answers at last: the hold is in the outbox, and the relay hands it over
    finish();
    await new Promise((resolve) => setTimeout(resolve, 10));
    s.clock.advance(1_000);
    expect(await reservations.relay.relayDue()).toBe(1);
    expect(s.requested('r-first').payload).toMatchObject({ userId: 'alice' });
    // the retry with the same key learns the outcome
    expect(await s.reservations.reserve({ ...request, reservationId: 'r-retry' })).toMatchObject({
      ok: true,
      replayed: true,
      reservationId: 'r-first',
    });
  });

  it('answers OUTCOME_UNKNOWN, not a failure, when the call fails mid-flight', async () => {
    const { s, reservations, request } = await withStore(() => async () => {
      throw new Error('Connection is closed.');
    });
    expect(await reservations.reserve(request)).toMatchObject({ ok: false, code: 'OUTCOME_UNKNOWN' });
    expect(s.alerts.byCode('RESERVE_OUTCOME_UNKNOWN')[0]?.context).toMatchObject({
      error: expect.objectContaining({ message: 'Connection is closed.' }),
    });
  });

  it('refuses with StoreUnavailableError, not OUTCOME_UNKNOWN, when the call never reached the store', async () => {
    const { s, reservations, request } = await withStore(() => async () => {
      throw new StoreUnavailableError('Redis is not reachable (reconnecting): script reserve not sent');
    });
    await expect(reservations.reserve(request)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(s.alerts.byCode('RESERVE_OUTCOME_UNKNOWN')).toHaveLength(0);
    // nothing was held: the retry with the same key reserves afresh
    expect(await s.reservations.reserve({ ...request, reservationId: 'r-retry' })).toMatchObject({
      ok: true,
      reservationId: 'r-retry',
    });
  });
});

describe('Reservations configuration', () => {
  it('needs the lock, the steps and the waiting room for the lock strategy', () => {
    const inventory = new MemoryInventoryStore();
    const base = {
      sale: generalSale(),
      inventory,
      publisher: { publish: async () => {}, close: async () => {} },
      clock: { now: () => 0 },
      alerts: { alert: async () => {} },
    };
    expect(() => new Reservations({ ...base, strategy: 'lock' })).toThrow(ConfigurationError);
    expect(() => new Reservations({ ...base, holdMs: 0 })).toThrow(ConfigurationError);
    expect(() => new Reservations({ ...base, sale: { ...generalSale(), id: 'bad id' } })).toThrow(
      ValidationError,
    );
  });
});
