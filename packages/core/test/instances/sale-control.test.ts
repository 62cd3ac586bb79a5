import {
  ConfigurationError,
  createSeatRush,
  FakePaymentGateway,
  InfrastructureError,
  type SaleControlStore,
  UnknownSaleError,
} from '@seatrush/core';
import {
  MemoryAlertSink,
  MemoryEventBus,
  MemoryInventoryStore,
  MemoryReservationRepository,
  MemorySaleControlStore,
  MemoryWaitingRoomStore,
} from '@seatrush/core/memory';
import { SaleControlCache, SharedSaleLifecycle } from '@seatrush/core/services';
import { ManualClock } from '@seatrush/core/testing';
import { describe, expect, it } from 'vitest';
import { generalSale, SECRET } from '../services/fixtures';

const ADMISSION = { usersPerInterval: 50, intervalMs: 1_000, maxActive: 500 };

/** A store that counts its reads and can be made to fail, as a lost Redis does. */
function countingStore(inner: SaleControlStore = new MemorySaleControlStore()) {
  const counts = { read: 0, revision: 0 };
  let down = false;
  const guard = () => {
    if (down) throw new InfrastructureError('store down');
  };
  const store: SaleControlStore = {
    initialize: (input) => inner.initialize(input),
    read: async (saleId) => {
      guard();
      counts.read += 1;
      return inner.read(saleId);
    },
    revision: async (saleId) => {
      guard();
      counts.revision += 1;
      return inner.revision(saleId);
    },
    transition: (input) => inner.transition(input),
    configure: (input) => inner.configure(input),
    recordAdaptiveDecision: (input) => inner.recordAdaptiveDecision(input),
    revokeInvitation: (input) => inner.revokeInvitation(input),
    isInvitationRevoked: (input) => inner.isInvitationRevoked(input),
  };
  const setDown = (value: boolean) => {
    down = value;
  };
  return { store, counts, setDown };
}

/** A manual clock, and `store` initialized with sale s1 (in `state` when given). */
async function holdingS1(store: SaleControlStore, state?: 'READY' | 'OPEN'): Promise<ManualClock> {
  const clock = new ManualClock();
  await store.initialize({
    saleId: 's1',
    ...(state ? { state } : {}),
    admission: ADMISSION,
    now: clock.now(),
  });
  return clock;
}

describe('SaleControlCache', () => {
  it('answers from memory within its age bound and checks only the revision after it', async () => {
    const { store, counts } = countingStore();
    const clock = await holdingS1(store);
    const cache = new SaleControlCache({ store, clock, maxAgeMs: 500 });
    await cache.get('s1');
    for (let i = 0; i < 100; i += 1) await cache.get('s1');
    expect(counts).toEqual({ read: 1, revision: 0 });
    clock.advance(500);
    await cache.get('s1');
    expect(counts).toEqual({ read: 1, revision: 1 });
  });

  it('shows a change made on another instance within one admission interval', async () => {
    const shared = new MemorySaleControlStore();
    const clock = await holdingS1(shared, 'OPEN');
    // maxAgeMs above the interval: the interval is the bound
    const mine = new SaleControlCache({ store: shared, clock, maxAgeMs: 60_000 });
    expect(mine.maxAgeOf((await mine.get('s1'))!)).toBe(1_000);
    const otherInstance = new SharedSaleLifecycle({ store: shared, clock });
    await otherInstance.apply('s1', { type: 'PAUSE' });
    clock.advance(999);
    expect((await mine.get('s1')).state).toBe('OPEN');
    clock.advance(1);
    expect((await mine.get('s1')).state).toBe('PAUSED');
  });

  it('never answers from its copy once the store fails: the error reaches the caller', async () => {
    const { store, setDown } = countingStore();
    const clock = await holdingS1(store);
    const cache = new SaleControlCache({ store, clock });
    await cache.get('s1');
    setDown(true);
    clock.advance(1_000);
    await expect(cache.get('s1')).rejects.toThrow(InfrastructureError);
    await expect(cache.get('s1')).rejects.toThrow(InfrastructureError);
    setDown(false);
    expect((await cache.get('s1')).saleId).toBe('s1');
  });

  it('shares one refresh among concurrent callers', async () => {
    const { store, counts } = countingStore();
    const clock = await holdingS1(store);
    const cache = new SaleControlCache({ store, clock });
    await Promise.all(Array.from({ length: 50 }, () => cache.get('s1')));
    expect(counts.read).toBe(1);
  });

  it('refuses an unknown sale and a bad age bound', async () => {
    const store = new MemorySaleControlStore();
    await expect(new SaleControlCache({ store }).get('nope')).rejects.toThrow(UnknownSaleError);
    expect(() => new SaleControlCache({ store, maxAgeMs: 0 })).toThrow(ConfigurationError);
  });
});

describe('SharedSaleLifecycle', () => {
  it('lets exactly one of many instances racing apply a pause; the others are refused from PAUSED', async () => {
    const store = new MemorySaleControlStore();
    const clock = await holdingS1(store, 'OPEN');
    const instances = Array.from({ length: 10 }, () => new SharedSaleLifecycle({ store, clock }));
    const results = await Promise.all(instances.map((lifecycle) => lifecycle.apply('s1', { type: 'PAUSE' })));
    const applied = results.filter((r) => r.ok);
    expect(applied).toHaveLength(1);
    expect(applied[0]).toMatchObject({ from: 'OPEN', state: 'PAUSED', effects: ['STOP_ADMISSION'] });
    for (const refused of results.filter((r) => !r.ok))
      expect(refused).toMatchObject({ code: 'INVALID_TRANSITION', from: 'PAUSED' });
    const control = await store.read('s1');
    expect(control?.state).toBe('PAUSED');
    expect(control?.revision).toBe(2);
  });

  it('decides again on the fresh state after losing a race, and updates its own cache at once', async () => {
    const store = new MemorySaleControlStore();
    const clock = await holdingS1(store, 'OPEN');
    const cache = new SaleControlCache({ store, clock, maxAgeMs: 60_000 });
    expect((await cache.get('s1')).state).toBe('OPEN');
    const lifecycle = new SharedSaleLifecycle({ store, cache, clock });
    // a CLOSE racing a PAUSE: both are legal from OPEN, and CLOSE stays legal from PAUSED
    const [pause, close] = await Promise.all([
      lifecycle.apply('s1', { type: 'PAUSE' }),
      lifecycle.apply('s1', { type: 'CLOSE' }),
    ]);
    expect(pause.ok && close.ok).toBe(true);
    expect(close).toMatchObject({ from: 'PAUSED', state: 'CLOSED', effects: ['CLOSE_WAITING_ROOM'] });
    expect((await cache.get('s1')).state).toBe('CLOSED');
  });

  it('refuses what the machine refuses and changes nothing', async () => {
    const store = new MemorySaleControlStore();
    const clock = await holdingS1(store, 'READY');
    const lifecycle = new SharedSaleLifecycle({ store, clock });
    const refused = await lifecycle.apply('s1', { type: 'OPEN', at: 0, opensAt: 0, warm: false });
    expect(refused).toMatchObject({ ok: false, code: 'SALE_NOT_WARM', from: 'READY' });
    expect((await store.read('s1'))?.revision).toBe(1);
    await expect(lifecycle.apply('nope', { type: 'PAUSE' })).rejects.toThrow(UnknownSaleError);
  });
});

describe('an instance following the shared state', () => {
  // issue 23, seed 10712: another instance's admission loop opened the sale and an operator paused
  // it between two of this instance's follows; READY had no way to PAUSED, so it stayed READY
  // through the whole pause
  it('a READY instance follows a sale opened and paused elsewhere since its last look', async () => {
    const clock = new ManualClock(1_000_000);
    const follows: Array<() => void> = [];
    const timer = {
      setInterval: (callback: () => void) => follows.push(callback),
      clearInterval: () => undefined,
    };
    const sale = generalSale({ opensAt: 1_010_000 });
    const repository = new MemoryReservationRepository();
    const shared = {
      waitingRoom: new MemoryWaitingRoomStore(),
      inventory: new MemoryInventoryStore(),
      saleControl: new MemorySaleControlStore(),
      repository,
      publisher: new MemoryEventBus(),
      payments: new FakePaymentGateway(),
      alerts: new MemoryAlertSink(),
    };
    const instance = () =>
      createSeatRush({
        sale,
        admissionSecret: SECRET,
        clock,
        timer,
        loops: { admission: false, sweeper: false, reconciler: false, processor: false, relay: false },
        ports: { ...shared, consumer: shared.publisher.consumer('worker') },
      });
    const [first, second] = [instance(), instance()];
    await first.start();
    await second.start();
    expect([first.state, second.state]).toEqual(['READY', 'READY']);
    clock.set(sale.opensAt);
    expect(await first.open()).toMatchObject({ ok: true, state: 'OPEN' });
    expect(await first.pause()).toMatchObject({ ok: true, state: 'PAUSED' });
    clock.advance(1_000);
    for (const follow of follows) follow();
    await expect.poll(() => second.state).toBe('PAUSED');
    expect(second.waitingRoom.admissionRate.paused).toBe(true);
    await Promise.all([first.stop(), second.stop()]);
  });
});
