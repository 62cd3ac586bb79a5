import { describe, expect, it } from 'vitest';
import { createSeatRush, FakePaymentGateway, InfrastructureError, type InventoryStore } from '../../src';
import {
  MemoryAlertSink,
  MemoryEventBus,
  MemoryInventoryStore,
  MemoryReservationRepository,
  MemoryWaitingRoomStore,
} from '../../src/subpaths/memory';
import { ManualClock } from '../../src/subpaths/testing';
import { generalSale } from './fixtures';
import { withOverrides } from './harness';

const T0 = 1_000_000;

function instance(ports: {
  inventory: InventoryStore;
  repository: MemoryReservationRepository;
  alerts: MemoryAlertSink;
  bus: MemoryEventBus;
  clock: ManualClock;
}) {
  return createSeatRush({
    sale: generalSale({ capacity: 10 }),
    admissionSecret: 'x'.repeat(32),
    requireAdmissionToken: false,
    requireAdmission: false,
    clock: ports.clock,
    loops: { admission: false, sweeper: false, reconciler: false, processor: false, relay: false },
    ports: {
      waitingRoom: new MemoryWaitingRoomStore(),
      inventory: ports.inventory,
      publisher: ports.bus,
      consumer: ports.bus.consumer('worker'),
      repository: ports.repository,
      payments: new FakePaymentGateway(),
      alerts: ports.alerts,
    },
  });
}

async function world() {
  const clock = new ManualClock(T0);
  const repository = new MemoryReservationRepository();
  await repository.saveSale(generalSale({ capacity: 10 }));
  return { clock, repository, alerts: new MemoryAlertSink(), bus: new MemoryEventBus() };
}

// docs/simulation.md §Findings, read in the code: a process starting while the store had lost the
// sale warmed it up (`warmUp: 'if-cold'`) with `load` — the warm-up's snapshot, without the holds
// in flight — after a separate `isWarm`, instead of the rebuild's atomic `restore`.
describe("createSeatRush's if-cold warm-up", () => {
  it('a process starting while the store has lost an open sale holds its reservations in flight again', async () => {
    const w = await world();
    // the sale was open: one buyer holds 2 units (recorded REQUESTED), then the store lost it all
    await w.repository.insertMany([
      {
        reservationId: 'r-held',
        saleId: 'sale-ga',
        userId: 'held',
        idempotencyKey: 'k-held',
        quantity: 2,
        seatIds: [],
        amountCents: 10_000,
        status: 'REQUESTED',
        paymentId: null,
        failureReason: null,
        createdAt: T0 - 10_000,
        updatedAt: T0 - 10_000,
      },
    ]);
    const inventory = new MemoryInventoryStore();
    const sale = instance({ ...w, inventory });
    await sale.start();
    expect(await inventory.getHold('sale-ga', 'r-held')).toMatchObject({
      status: 'HELD',
      userId: 'held',
      expiresAt: T0 - 10_000 + 60_000,
    });
    expect(await inventory.counts('sale-ga')).toMatchObject({ available: 8, held: 2, confirmed: 0 });
    // the store was lost: the operator is told, as for any rebuild
    expect(w.alerts.byCode('SALE_REBUILT')).toHaveLength(1);
    await sale.stop();
  });

  it('a first warm-up loads the sale without a rebuild alert and publishes the baseline', async () => {
    const w = await world();
    const inventory = new MemoryInventoryStore();
    const sale = instance({ ...w, inventory });
    await sale.start();
    expect(await inventory.counts('sale-ga')).toMatchObject({ available: 10, held: 0, confirmed: 0 });
    expect(w.alerts.byCode('SALE_REBUILT')).toEqual([]);
    expect(
      w.bus.published().filter((e) => e.type === 'StockChanged' && e.payload.reason === 'WARMED'),
    ).toEqual([
      expect.objectContaining({ payload: expect.objectContaining({ delta: 10, confirmedDelta: 0 }) }),
    ]);
    await sale.stop();
  });

  it('two instances starting at once load the sale once: the second never resets a hold the first made', async () => {
    const w = await world();
    const inventory = new MemoryInventoryStore();
    const first = instance({ ...w, inventory });
    let raced = false;
    // the second instance asks whether the store is warm; before its answer arrives, the first
    // instance warms the sale up and a buyer holds 3 units there
    const slow = withOverrides<InventoryStore>(inventory, {
      isWarm: async (saleId) => {
        const warm = await inventory.isWarm(saleId);
        if (!raced) {
          raced = true;
          await first.start();
          const held = await first.reservations.reserve({
            userId: 'early',
            idempotencyKey: 'k-early',
            selection: { kind: 'quantity', quantity: 3 },
          });
          expect(held).toMatchObject({ ok: true });
        }
        return warm;
      },
    });
    const second = instance({ ...w, inventory: slow });
    await second.start();
    expect(raced).toBe(true);
    expect(await inventory.counts('sale-ga')).toMatchObject({ available: 7, held: 3 });
    await Promise.all([first.stop(), second.stop()]);
  });

  // issue 23, seed 606: a restart's discovery and the periodic one started the same sale at once;
  // the second found it WARMING and went on as if warmed, the first one's warm-up failed, and the
  // sale was left running in DRAFT for good (it never followed the other instances' pause)
  it('a start while one is in flight joins it: a failed warm-up leaves the sale to start again, not running in DRAFT', async () => {
    const w = await world();
    const inventory = new MemoryInventoryStore();
    await instance({ ...w, inventory }).start(); // another instance loaded the sale
    let failFirst!: () => void;
    const storeBlinks = new Promise<void>((resolve) => {
      failFirst = resolve;
    });
    let asked = 0;
    const blinking = withOverrides<InventoryStore>(inventory, {
      isWarm: async (saleId) => {
        if (asked++ === 0) {
          await storeBlinks;
          throw new InfrastructureError('the store blinked');
        }
        return inventory.isWarm(saleId);
      },
    });
    const sale = instance({ ...w, inventory: blinking });
    const starts = [sale.start(), sale.start()];
    failFirst();
    expect((await Promise.allSettled(starts)).map((start) => start.status)).toEqual(['rejected', 'rejected']);
    expect(sale.running).toBe(false);
    await sale.start();
    expect({ running: sale.running, state: sale.state }).toEqual({ running: true, state: 'OPEN' });
    await sale.stop();
  });
});
