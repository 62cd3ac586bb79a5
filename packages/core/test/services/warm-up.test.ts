import { describe, expect, it } from 'vitest';
import { type InventoryStore, SaleNotWarmError, UnknownSaleError, ValidationError } from '../../src';
import {
  MemoryAlertSink,
  MemoryEventBus,
  MemoryInventoryStore,
  MemoryReservationRepository,
} from '../../src/subpaths/memory';
import { WarmUp } from '../../src/subpaths/services';
import { ManualClock } from '../../src/subpaths/testing';
import { generalSale, seatedSale } from './fixtures';
import { withOverrides } from './harness';

async function setup(inventory?: InventoryStore) {
  const clock = new ManualClock(5_000);
  const repository = new MemoryReservationRepository();
  const store = inventory ?? new MemoryInventoryStore();
  const alerts = new MemoryAlertSink();
  const bus = new MemoryEventBus();
  const warmUp = new WarmUp({ repository, inventory: store, clock, alerts, publisher: bus });
  return { clock, repository, inventory: store, alerts, bus, warmUp };
}

describe('WarmUp', () => {
  it('loads a sale from the repository, verifies it and publishes the WARMED baseline', async () => {
    const s = await setup();
    await s.repository.saveSale(seatedSale());
    await s.repository.insertMany([
      {
        reservationId: 'r1',
        saleId: 'sale-seated',
        userId: 'alice',
        idempotencyKey: 'k1',
        quantity: 1,
        seatIds: ['A2'],
        amountCents: 9_000,
        status: 'CONFIRMED',
        paymentId: 'pay_1',
        failureReason: null,
        createdAt: 1,
        updatedAt: 1,
      },
    ]);
    const report = await s.warmUp.warm('sale-seated');
    expect(report).toMatchObject({
      saleId: 'sale-seated',
      warm: true,
      problems: [],
      counts: { initialStock: 8, available: 7, held: 0, confirmed: 1 },
      warmedAt: 5_000,
    });
    expect((await s.inventory.seatStates('sale-seated')).A2).toBe('CONFIRMED');
    expect(s.bus.published()).toEqual([
      expect.objectContaining({
        type: 'StockChanged',
        payload: expect.objectContaining({ reason: 'WARMED', delta: 7, confirmedDelta: 1 }),
      }),
    ]);
  });

  it('refuses an unknown sale and a bad sale id', async () => {
    const s = await setup();
    await expect(s.warmUp.warm('nope')).rejects.toBeInstanceOf(UnknownSaleError);
    await expect(s.warmUp.warm('no pe')).rejects.toBeInstanceOf(ValidationError);
  });

  it('says a sale that was never loaded is not warm, and refuses to open it', async () => {
    const s = await setup();
    await s.repository.saveSale(generalSale());
    expect(await s.warmUp.health('sale-ga')).toMatchObject({
      warm: false,
      counts: null,
      problems: ['the sale is not loaded in the store'],
    });
    const error = await s.warmUp.assertReady('sale-ga').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SaleNotWarmError);
    expect(error).toMatchObject({ code: 'SALE_NOT_WARM', saleId: 'sale-ga' });
    await s.warmUp.warm('sale-ga');
    expect(await s.warmUp.assertReady('sale-ga')).toMatchObject({ warm: true, warmedAt: 5_000 });
  });

  it('fails the warm-up, alerts and refuses to open when the store does not hold what was loaded', async () => {
    const real = new MemoryInventoryStore();
    // a store that silently drops part of the stock on load (a full Redis, a wrong script)
    const lossy = withOverrides<InventoryStore>(real, {
      load: (snapshot) => real.load({ ...snapshot, available: snapshot.available - 1 }),
    });
    const s = await setup(lossy);
    await s.repository.saveSale(generalSale({ capacity: 10 }));
    const error = await s.warmUp.warm('sale-ga').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SaleNotWarmError);
    expect((error as SaleNotWarmError).problems).toContain('available is 9, loaded 10');
    expect(s.alerts.byCode('WARM_UP_FAILED')).toHaveLength(1);
  });

  it('reports a loaded store whose counts do not add up as not warm', async () => {
    const real = new MemoryInventoryStore();
    const drifting = withOverrides<InventoryStore>(real, {
      counts: async (saleId) => ({ ...(await real.counts(saleId)), held: 3 }),
    });
    const s = await setup(drifting);
    await s.repository.saveSale(generalSale({ capacity: 10 }));
    await real.load((await s.repository.loadSnapshot('sale-ga'))!);
    const report = await s.warmUp.health('sale-ga');
    expect(report.warm).toBe(false);
    expect(report.problems[0]).toMatch(/not the initial stock 10/);
  });
});
