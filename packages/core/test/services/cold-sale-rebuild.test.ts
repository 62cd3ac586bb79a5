import { describe, expect, it } from 'vitest';
import { createSeatRush, FakePaymentGateway, SaleNotWarmError } from '../../src';
import {
  MemoryAlertSink,
  MemoryEventBus,
  MemoryReservationRepository,
  MemoryWaitingRoomStore,
} from '../../src/subpaths/memory';
import { ColdSaleRebuilder, RebuildService, watchNotWarm } from '../../src/subpaths/services';
import { generalSale } from './fixtures';
import { servicesFor, wipeableStore, withOverrides } from './harness';

describe('a sale the store lost is rebuilt without an operator (issue 20)', () => {
  it('a reserve answered SALE_NOT_WARM starts the rebuild at once; the next reserve is served', async () => {
    const { store, wipe } = wipeableStore();
    const repository = new MemoryReservationRepository();
    const alerts = new MemoryAlertSink();
    const bus = new MemoryEventBus();
    const sale = createSeatRush({
      sale: generalSale({ capacity: 10 }),
      admissionSecret: 'x'.repeat(32),
      requireAdmissionToken: false,
      requireAdmission: false,
      loops: { admission: false, sweeper: false, reconciler: false },
      ports: {
        waitingRoom: new MemoryWaitingRoomStore(),
        inventory: store,
        publisher: bus,
        consumer: bus.consumer('worker'),
        repository,
        payments: new FakePaymentGateway(),
        alerts,
      },
    });
    // before it runs, a cold store starts nothing: warming a DRAFT sale is its operator's job
    expect(await sale.rebuildIfCold()).toBeNull();
    await sale.start();
    const reserve = (userId: string) =>
      sale.reservations.reserve({
        userId,
        idempotencyKey: `k-${userId}`,
        selection: { kind: 'quantity', quantity: 2 },
      });
    expect(await reserve('paid')).toMatchObject({ ok: true });
    await sale.drain();
    expect(await repository.totals('sale-ga')).toMatchObject({ confirmedUnits: 2 });

    wipe();
    expect(await reserve('during')).toEqual({ ok: false, code: 'SALE_NOT_WARM' });
    // the refusal started the rebuild: this call shares it (or finds the store warm again)
    await sale.rebuildIfCold();
    expect(await store.isWarm('sale-ga')).toBe(true);
    expect(alerts.alerts.filter((a) => a.code === 'SALE_REBUILT')).toHaveLength(1);
    expect(await store.counts('sale-ga')).toEqual({
      saleId: 'sale-ga',
      initialStock: 10,
      available: 8,
      held: 0,
      confirmed: 2,
    });
    expect(await reserve('during')).toMatchObject({ ok: true });
    await sale.drain();

    // the reconciler rebuilds a wiped sale on its own run too, and finds it consistent
    wipe();
    expect(await sale.reconciler.reconcile('sale-ga')).toMatchObject({ consistent: true });
    expect(await store.counts('sale-ga')).toMatchObject({ available: 6, confirmed: 4 });
    await sale.stop();
    // stopped, it no longer rebuilds
    wipe();
    expect(await sale.rebuildIfCold()).toBeNull();
  });

  it('the processor retries a hold missing from a cold sale instead of failing it, then confirms it', async () => {
    const s = await servicesFor(generalSale({ capacity: 10 }));
    const reservationId = await s.holdFor('alice', { kind: 'quantity', quantity: 1 });
    const { store, wipe } = wipeableStore(s.inventory);
    const processor = s.processorOver(store);
    wipe();
    const event = s.requested(reservationId);
    await expect(processor.handle(event)).rejects.toBeInstanceOf(SaleNotWarmError);
    // recorded, not failed, not charged, nothing published: the consumer retries it
    expect(await s.repository.get(reservationId)).toMatchObject({ status: 'PAYMENT_PENDING' });
    expect(s.payments.charges()).toEqual([]);
    expect(s.published('ReservationFailed')).toEqual([]);

    const report = await new RebuildService({
      repository: s.repository,
      inventory: store,
      clock: s.clock,
    }).rebuildIfCold('sale-ga');
    expect(report).toMatchObject({ outcome: 'RESTORED', holdsRestored: 1 });
    await processor.handle(event);
    expect(await s.repository.get(reservationId)).toMatchObject({ status: 'CONFIRMED' });
    expect(await store.counts('sale-ga')).toMatchObject({ available: 9, held: 0, confirmed: 1 });
  });

  it('a confirm refused SALE_NOT_WARM after the charge is retried, charged once, not refunded', async () => {
    const s = await servicesFor(generalSale({ capacity: 10 }));
    const reservationId = await s.holdFor('bob', { kind: 'quantity', quantity: 1 });
    let wiped = true;
    const processor = s.processorOver(
      // the store is lost between the charge and the confirm
      withOverrides(s.inventory, {
        confirm: async (input) => (wiped ? { ok: false, code: 'SALE_NOT_WARM' } : s.inventory.confirm(input)),
      }),
    );
    const event = s.requested(reservationId);
    await expect(processor.handle(event)).rejects.toMatchObject({ code: 'SALE_NOT_WARM' });
    expect(await s.repository.get(reservationId)).toMatchObject({ status: 'PAYMENT_PENDING' });
    wiped = false;
    await processor.handle(event);
    expect(await s.repository.get(reservationId)).toMatchObject({ status: 'CONFIRMED' });
    expect(s.payments.refunds()).toEqual([]);
    expect(new Set(s.payments.charges().map((c) => c.idempotencyKey))).toEqual(new Set([reservationId]));
  });

  it('one rebuild per sale however many answers trigger it; a failure is alerted and paused', async () => {
    const s = await servicesFor(generalSale({ capacity: 10 }));
    const { store, wipe } = wipeableStore(s.inventory);
    let restores = 0;
    let failing = false;
    const counted = withOverrides(store, {
      restore: async (snapshot) => {
        restores++;
        return store.restore!(snapshot);
      },
    });
    const repository = withOverrides(s.repository, {
      listInFlight: async (saleId) => {
        if (failing) throw new Error('PostgreSQL is away');
        return s.repository.listInFlight(saleId);
      },
    });
    const rebuilder = new ColdSaleRebuilder({
      rebuild: new RebuildService({ repository, inventory: counted, clock: s.clock }),
      alerts: s.alerts,
      clock: s.clock,
      serving: (saleId) => saleId === 'sale-ga',
    });
    const watched = watchNotWarm(counted, (saleId) => void rebuilder.trigger(saleId));
    wipe();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        watched.reserve({
          saleId: 'sale-ga',
          userId: `u${i}`,
          reservationId: `r${i}`,
          idempotencyKey: `k${i}`,
          selection: { kind: 'quantity', quantity: 1 },
          holdMs: 60_000,
          requireAdmission: false,
          now: s.clock.now(),
        }),
      ),
    );
    expect(new Set(answers.map((a) => a.code))).toEqual(new Set(['SALE_NOT_WARM']));
    await rebuilder.trigger('sale-ga');
    expect(restores).toBe(1);
    expect(await store.isWarm('sale-ga')).toBe(true);
    expect(await rebuilder.trigger('other-sale')).toBeNull(); // not served here

    wipe();
    failing = true;
    expect(await rebuilder.trigger('sale-ga')).toBeNull();
    expect(s.alerts.alerts.map((a) => a.code)).toContain('SALE_REBUILD_FAILED');
    failing = false;
    expect(await rebuilder.trigger('sale-ga')).toBeNull(); // paused a second after a failure
    s.clock.advance(1_000);
    expect(await rebuilder.trigger('sale-ga')).toMatchObject({ outcome: 'RESTORED' });
    expect(restores).toBe(2);
  });
});
