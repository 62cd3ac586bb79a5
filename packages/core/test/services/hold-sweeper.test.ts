import { describe, expect, it } from 'vitest';
import { type InventoryStore, type Selection, type Timer, ValidationError } from '../../src';
import { HoldSweeper } from '../../src/subpaths/services';
import { generalSale, seatedSale } from './fixtures';
import { servicesFor, withOverrides } from './harness';

/** A timer the test fires by hand. */
class ManualTimer implements Timer {
  readonly callbacks = new Map<number, () => void>();
  private next = 1;
  setInterval(callback: () => void): unknown {
    const handle = this.next++;
    this.callbacks.set(handle, callback);
    return handle;
  }
  clearInterval(handle: unknown): void {
    this.callbacks.delete(handle as number);
  }
  fire(): void {
    for (const callback of this.callbacks.values()) callback();
  }
}

async function withHolds(count: number, sale = generalSale({ capacity: 20 })) {
  const s = await servicesFor(sale);
  const users = Array.from({ length: count }, (_, i) => `u${i}`);
  const tokens = await s.admit(...users);
  for (const [i, userId] of users.entries()) {
    const selection: Selection =
      sale.inventory.kind === 'assigned'
        ? { kind: 'seats', seatIds: [`A${i + 1}`] }
        : { kind: 'quantity', quantity: 1 };
    await s.holdFor(userId, selection, tokens[userId]);
    s.clock.advance(1_000); // holds expire one second apart
  }
  return s;
}

describe('HoldSweeper', () => {
  it('expires the holds due, returns their stock and seats, and publishes HoldExpired + StockChanged', async () => {
    const s = await withHolds(3, seatedSale());
    const sweeper = new HoldSweeper({ saleIds: [s.saleId], ...s, publisher: s.bus });
    // hold 0 expires at 1,060,000, hold 1 at 1,061,000, hold 2 at 1,062,000
    const report = await sweeper.sweepOnce(1_061_000);
    expect(report.expired.map((h) => h.userId)).toEqual(['u0', 'u1']);
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 7, held: 1 });
    expect(await s.inventory.seatStates(s.saleId)).toMatchObject({
      A1: 'AVAILABLE',
      A2: 'AVAILABLE',
      A3: 'HELD',
    });
    const expired = s.bus.published().filter((e) => e.type === 'HoldExpired');
    expect(expired.map((e) => e.payload.userId)).toEqual(['u0', 'u1']);
    const audit = s.bus
      .published()
      .filter((e) => e.type === 'StockChanged' && e.payload.reason === 'EXPIRED');
    expect(audit.map((e) => e.type === 'StockChanged' && e.payload.delta)).toEqual([1, 1]);
    expect((await sweeper.sweepOnce(1_061_000)).expired).toEqual([]);
  });

  it('sweeps in batches until nothing is due', async () => {
    const s = await withHolds(7);
    const sweeper = new HoldSweeper({ saleIds: [s.saleId], ...s, publisher: s.bus, batchSize: 2 });
    expect((await sweeper.sweepOnce(2_000_000)).expired).toHaveLength(7);
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 20, held: 0 });
  });

  it('expires each hold exactly once when several sweepers race', async () => {
    const s = await withHolds(10);
    const sweepers = Array.from(
      { length: 5 },
      () => new HoldSweeper({ saleIds: [s.saleId], ...s, publisher: s.bus, batchSize: 3 }),
    );
    const reports = await Promise.all(sweepers.map((sweeper) => sweeper.sweepOnce(2_000_000)));
    const expired = reports.flatMap((r) => r.expired.map((h) => h.reservationId));
    expect(expired).toHaveLength(10);
    expect(new Set(expired).size).toBe(10);
    expect(s.bus.published().filter((e) => e.type === 'HoldExpired')).toHaveLength(10);
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 20, held: 0 });
  });

  it('keeps the expiries, alerts, and publishes the events at the next sweep when they cannot be published', async () => {
    const s = await withHolds(1);
    const sweeper = new HoldSweeper({ saleIds: [s.saleId], ...s, publisher: s.bus });
    s.bus.failNextPublishes(1);
    const report = await sweeper.sweepOnce(2_000_000);
    expect(report.expired).toHaveLength(1);
    expect(report.publishError).toBeInstanceOf(Error);
    expect(s.alerts.byCode('EXPIRY_PUBLISH_FAILED')).toHaveLength(1);
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ held: 0 });
    expect(s.bus.published().filter((e) => e.type === 'HoldExpired')).toEqual([]);
    const next = await sweeper.sweepOnce(2_001_000);
    expect(next).toMatchObject({ expired: [] });
    expect(next.publishError).toBeUndefined();
    expect(s.bus.published().filter((e) => e.type === 'HoldExpired')).toHaveLength(1);
  });

  it('sweeps on its timer with the clock time between start and stop', async () => {
    const s = await withHolds(2);
    const timer = new ManualTimer();
    const sweeper = new HoldSweeper({ saleIds: [s.saleId], ...s, publisher: s.bus, timer, intervalMs: 500 });
    sweeper.start();
    expect(sweeper.running).toBe(true);
    s.clock.set(1_060_500);
    timer.fire();
    await sweeper.stop(); // waits for the sweep the timer started
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ held: 1 });
    expect(sweeper.running).toBe(false);
    expect(timer.callbacks.size).toBe(0);
  });

  it('alerts when a sweep fails and keeps the loop alive', async () => {
    const s = await withHolds(1);
    const timer = new ManualTimer();
    let calls = 0;
    const inventory = withOverrides<InventoryStore>(s.inventory, {
      expireDue: async (input) => {
        calls += 1;
        if (calls === 1) throw new Error('redis down');
        return s.inventory.expireDue(input);
      },
    });
    const sweeper = new HoldSweeper({ saleIds: [s.saleId], ...s, inventory, publisher: s.bus, timer });
    sweeper.start();
    s.clock.set(2_000_000);
    timer.fire();
    await sweeper.stop();
    expect(s.alerts.byCode('SWEEP_FAILED')).toHaveLength(1);
    sweeper.start();
    timer.fire();
    await sweeper.stop();
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ held: 0 });
  });

  it('rejects bad configuration and a bad sweep time', async () => {
    const s = await withHolds(0);
    expect(() => new HoldSweeper({ saleIds: [], ...s, publisher: s.bus })).toThrow(ValidationError);
    expect(() => new HoldSweeper({ saleIds: ['a b'], ...s, publisher: s.bus })).toThrow(ValidationError);
    const sweeper = new HoldSweeper({ saleIds: [s.saleId], ...s, publisher: s.bus });
    await expect(sweeper.sweepOnce(-1)).rejects.toBeInstanceOf(ValidationError);
  });
});
