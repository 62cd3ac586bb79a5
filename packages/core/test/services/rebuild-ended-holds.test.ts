import { describe, expect, it } from 'vitest';
import { type HoldRecord, type ReservationRow, type Selection, SimulatedPaymentProvider } from '../../src';
import {
  MemoryAlertSink,
  MemoryCheckoutStore,
  MemoryEventBus,
  MemoryInventoryStore,
  MemoryNotificationOutbox,
  MemoryReservationRepository,
} from '../../src/subpaths/memory';
import { Checkout, HoldSweeper, RebuildService, ReservationProcessor } from '../../src/subpaths/services';
import { ManualClock } from '../../src/subpaths/testing';
import { generalSale, seatedSale } from './fixtures';

const T0 = 1_000_000;
const HOLD_MS = 60_000;

function rowOf(hold: HoldRecord, createdAt = hold.heldAt): ReservationRow {
  return {
    reservationId: hold.reservationId,
    saleId: hold.saleId,
    userId: hold.userId,
    idempotencyKey: hold.idempotencyKey,
    quantity: hold.quantity,
    seatIds: hold.seatIds,
    amountCents: 4_000 * hold.quantity,
    status: 'REQUESTED',
    paymentId: null,
    failureReason: null,
    createdAt,
    updatedAt: createdAt,
  };
}

/** A sale in memory, its source of truth, and the moves of the story below. */
async function world(sale: ReturnType<typeof seatedSale>) {
  const clock = new ManualClock(T0);
  const repository = new MemoryReservationRepository();
  await repository.saveSale(sale);
  let inventory = new MemoryInventoryStore();
  await inventory.load((await repository.loadSnapshot(sale.id))!);
  const saleId = sale.id;
  const reserve = async (userId: string, selection: Selection) => {
    const outcome = await inventory.reserve({
      saleId,
      userId,
      reservationId: `r-${userId}`,
      idempotencyKey: `k-${userId}`,
      selection,
      holdMs: HOLD_MS,
      requireAdmission: false,
      now: clock.now(),
    });
    if (!outcome.ok) throw new Error(`${userId}: ${outcome.code}`);
    await repository.insertMany([rowOf(outcome.hold)]);
    return outcome.hold;
  };
  const confirm = async (hold: HoldRecord) => {
    const ref = { saleId, reservationId: hold.reservationId, userId: hold.userId, now: clock.now() };
    expect(await inventory.confirm(ref)).toMatchObject({ ok: true });
    for (const [from, to] of [
      ['REQUESTED', 'PAYMENT_PENDING'],
      ['PAYMENT_PENDING', 'CONFIRMED'],
    ] as const) {
      await repository.transition({ reservationId: hold.reservationId, from: [from], to, now: clock.now() });
    }
  };
  return {
    clock,
    repository,
    saleId,
    reserve,
    confirm,
    get inventory() {
      return inventory;
    },
    /** The store loses everything (a wiped Redis). */
    wipe: () => {
      inventory = new MemoryInventoryStore();
      return inventory;
    },
  };
}

// docs/simulation.md §Findings, "a rebuild that can never succeed": a row still in flight whose
// hold had expired (its HoldExpired lost) while its seat was sold on made RebuildService refuse
// its own snapshot at every try, and the worker that would fail the row needs the store.
describe('RebuildService: rows in flight whose hold has ended', () => {
  it('rebuilds a sale whose expired row claims a seat sold since, leaving that row out', async () => {
    const w = await world(seatedSale());
    const lapsed = await w.reserve('lapsed', { kind: 'seats', seatIds: ['A5'] });
    // the hold expires; its HoldExpired is lost, so its row stays REQUESTED
    w.clock.advance(HOLD_MS + 1);
    expect(await w.inventory.expireDue({ saleId: w.saleId, now: w.clock.now(), limit: 10 })).toHaveLength(1);
    // the seat is sold to another buyer
    await w.confirm(await w.reserve('next', { kind: 'seats', seatIds: ['A5'] }));
    // and a third buyer holds a seat, still live
    const live = await w.reserve('live', { kind: 'seats', seatIds: ['A6'] });

    const store = w.wipe();
    const alerts = new MemoryAlertSink();
    const rebuild = new RebuildService({
      repository: w.repository,
      inventory: store,
      clock: w.clock,
      alerts,
    });
    expect(await rebuild.rebuildIfCold(w.saleId)).toMatchObject({
      outcome: 'RESTORED',
      holdsRestored: 1,
      holdsLeftOut: 1,
    });
    expect(await store.counts(w.saleId)).toEqual({
      saleId: w.saleId,
      initialStock: 8,
      available: 6,
      held: 1,
      confirmed: 1,
    });
    expect(await store.seatStates(w.saleId)).toMatchObject({ A5: 'CONFIRMED', A6: 'HELD', A1: 'AVAILABLE' });
    expect(await store.getHold(w.saleId, lapsed.reservationId)).toBeNull();
    expect(await store.getHold(w.saleId, live.reservationId)).toMatchObject({
      status: 'HELD',
      userId: 'live',
    });
    // the lapsed buyer's unit no longer counts against their limit; the row waits for its failure
    expect(await store.steps().unitsOfUser(w.saleId, 'lapsed')).toBe(0);
    expect(await store.steps().unitsOfUser(w.saleId, 'live')).toBe(1);
    expect((await w.repository.get(lapsed.reservationId))?.status).toBe('REQUESTED');
  });

  it('of two rows in flight claiming one seat, holds it for the later one (the earlier hold ended)', async () => {
    const w = await world(seatedSale());
    const first = await w.reserve('first', { kind: 'seats', seatIds: ['A1'] });
    w.clock.advance(HOLD_MS + 1);
    await w.inventory.expireDue({ saleId: w.saleId, now: w.clock.now(), limit: 10 });
    const second = await w.reserve('second', { kind: 'seats', seatIds: ['A1', 'A2'] });
    // the first row is written late (a slow worker): by its derived expiry it is still live
    await w.repository.transition({
      reservationId: first.reservationId,
      from: ['REQUESTED'],
      to: 'PAYMENT_PENDING',
      now: w.clock.now(),
    });
    const store = w.wipe();
    const report = await new RebuildService({
      repository: w.repository,
      inventory: store,
      clock: w.clock,
    }).rebuild(w.saleId);
    expect(report).toMatchObject({ outcome: 'RESTORED', holdsRestored: 1, holdsLeftOut: 1 });
    expect(await store.getHold(w.saleId, second.reservationId)).toMatchObject({ status: 'HELD' });
    expect(await store.getHold(w.saleId, first.reservationId)).toBeNull();
    expect(await store.counts(w.saleId)).toMatchObject({ available: 6, held: 2, confirmed: 0 });
  });

  it('in general admission, gives back the units of an expired row instead of counting them twice', async () => {
    const w = await world(generalSale({ capacity: 4 }));
    await w.reserve('lapsed', { kind: 'quantity', quantity: 3 });
    w.clock.advance(HOLD_MS + 1);
    await w.inventory.expireDue({ saleId: w.saleId, now: w.clock.now(), limit: 10 });
    await w.confirm(await w.reserve('next', { kind: 'quantity', quantity: 3 }));
    const store = w.wipe();
    await new RebuildService({ repository: w.repository, inventory: store, clock: w.clock }).rebuild(
      w.saleId,
    );
    // 3 sold, 1 free: the lapsed row's 3 units are not held again (its hold ended)
    expect(await store.counts(w.saleId)).toMatchObject({ available: 1, held: 0, confirmed: 3 });
    // nothing comes back to sell a fourth time
    expect(await store.expireDue({ saleId: w.saleId, now: w.clock.now() + HOLD_MS * 10, limit: 10 })).toEqual(
      [],
    );
    expect(await store.counts(w.saleId)).toMatchObject({ available: 1, confirmed: 3 });
  });

  it('the left-out row is failed by the normal path: the sweeper publishes its HoldExpired, the worker fails it', async () => {
    const w = await world(seatedSale());
    const lapsed = await w.reserve('lapsed', { kind: 'seats', seatIds: ['A5'] });
    w.clock.advance(HOLD_MS + 1);
    await w.inventory.expireDue({ saleId: w.saleId, now: w.clock.now(), limit: 10 });
    await w.confirm(await w.reserve('next', { kind: 'seats', seatIds: ['A5'] }));
    const store = w.wipe();
    await new RebuildService({ repository: w.repository, inventory: store, clock: w.clock }).rebuild(
      w.saleId,
    );

    const bus = new MemoryEventBus();
    const alerts = new MemoryAlertSink();
    const sweeper = new HoldSweeper({
      saleIds: [w.saleId],
      inventory: store,
      repository: w.repository,
      publisher: bus,
      alerts,
      clock: w.clock,
      strandedGraceMs: 5_000,
    });
    w.clock.advance(5_000);
    expect((await sweeper.sweepOnce()).stranded).toEqual([lapsed.reservationId]);
    const expired = bus.published().filter((e) => e.type === 'HoldExpired');
    expect(expired.map((e) => e.eventId)).toEqual([`expired-${lapsed.reservationId}`]);
    // no stock went back in the store for it: no StockChanged
    expect(bus.published().filter((e) => e.type === 'StockChanged')).toEqual([]);
    expect(alerts.byCode('HOLD_EXPIRY_REPUBLISHED')).toHaveLength(1);

    const checkout = new Checkout({
      provider: new SimulatedPaymentProvider({ clock: w.clock }),
      store: new MemoryCheckoutStore(w.repository, new MemoryNotificationOutbox()),
      inventory: store,
      repository: w.repository,
      publisher: bus,
      alerts,
      clock: w.clock,
    });
    const worker = new ReservationProcessor({
      inventory: store,
      repository: w.repository,
      checkout,
      publisher: bus,
      alerts,
      clock: w.clock,
    });
    for (const event of expired) await worker.handle(event);
    expect(await w.repository.get(lapsed.reservationId)).toMatchObject({
      status: 'FAILED',
      failureReason: 'HOLD_EXPIRED',
    });
    // the sold seat stays sold
    expect(await store.seatStates(w.saleId)).toMatchObject({ A5: 'CONFIRMED' });
    expect(await store.counts(w.saleId)).toMatchObject({ available: 7, held: 0, confirmed: 1 });
  });
});
