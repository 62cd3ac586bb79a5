import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  type DomainEvent,
  type EventHandler,
  type RateLimitPolicy,
  type ReservationRow,
  ValidationError,
} from '../../src';
import {
  MemoryDistributedLock,
  MemoryEventBus,
  MemoryRateLimiter,
  MemoryReservationRepository,
} from '../../src/subpaths/memory';
import { retryDelayMs } from '../../src/subpaths/ports';
import { ManualClock } from '../../src/subpaths/testing';

// Behaviour specific to the in-memory adapters, beyond what the conformance suites ask of all.

const event = (id: string, key = 'u1'): DomainEvent => ({
  eventId: id,
  type: 'UserAdmitted',
  version: 1,
  saleId: 's1',
  key,
  occurredAt: 1,
  payload: { userId: key, ticket: 1, until: 2 },
});

const until = async (probe: () => boolean | Promise<boolean>) => {
  for (let i = 0; i < 500 && !(await probe()); i += 1) await new Promise((r) => setTimeout(r, 5));
  expect(await probe()).toBe(true);
};

describe('MemoryEventBus', () => {
  it('backs off exponentially, capped at maxDelayMs', () => {
    const policy = { maxAttempts: 10, initialDelayMs: 100, maxDelayMs: 500 };
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(policy, attempt))).toEqual([100, 200, 400, 500]);
  });

  it('redelivers an event whose retries were cut short by stop (at least once)', async () => {
    const bus = new MemoryEventBus();
    const attempts: number[] = [];
    const failing: EventHandler = {
      async handle(_event, { attempt }) {
        attempts.push(attempt);
        throw new Error('not yet');
      },
    };
    const first = bus.consumer('g');
    await first.start({
      types: ['UserAdmitted'],
      handler: failing,
      retry: { maxAttempts: 5, initialDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    await bus.publish([event('e1')]);
    await until(() => attempts.length === 1);
    await first.stop();
    expect(await first.lag()).toBe(1);
    const handled: string[] = [];
    const second = bus.consumer('g');
    await second.start({
      types: ['UserAdmitted'],
      handler: { handle: async (e) => void handled.push(e.eventId) },
    });
    await until(() => handled.length === 1);
    await second.stop();
    expect(handled).toEqual(['e1']);
  });

  it('lets a standing-by consumer of the same group take over when the first stops', async () => {
    const bus = new MemoryEventBus();
    const seen: Array<[string, string]> = [];
    const handler = (name: string): EventHandler => ({
      handle: async (e) => void seen.push([name, e.eventId]),
    });
    const a = bus.consumer('g');
    const b = bus.consumer('g');
    await a.start({ types: ['UserAdmitted'], handler: handler('a') });
    await b.start({ types: ['UserAdmitted'], handler: handler('b') });
    await bus.publish([event('e1')]);
    await until(() => seen.length === 1);
    await a.stop();
    await bus.publish([event('e2')]);
    await until(() => seen.length === 2);
    await b.stop();
    expect(seen).toEqual([
      ['a', 'e1'],
      ['b', 'e2'],
    ]);
  });

  it('keeps dead letters on its log even when the hook keeps failing, and goes on', async () => {
    const bus = new MemoryEventBus();
    const handled: string[] = [];
    let hookCalls = 0;
    const consumer = bus.consumer('g');
    await consumer.start({
      types: ['UserAdmitted'],
      retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 },
      handler: {
        async handle(e) {
          if (e.eventId === 'bad') throw Object.assign(new Error('boom'), { code: 'BOOM' });
          handled.push(e.eventId);
        },
        async onDeadLetter() {
          hookCalls += 1;
          throw new Error('alerting is down');
        },
      },
    });
    await bus.publish([event('bad'), event('good')]);
    await until(() => handled.length === 1);
    await consumer.stop();
    expect(hookCalls).toBe(2);
    expect(bus.deadLetters()).toEqual([
      expect.objectContaining({
        attempts: 2,
        error: { code: 'BOOM', message: 'boom' },
        source: 'memory:g:0',
      }),
    ]);
  });

  it('refuses to start a consumer twice and a group name outside the safe alphabet', async () => {
    const bus = new MemoryEventBus();
    const consumer = bus.consumer('g');
    const handler: EventHandler = { handle: async () => {} };
    await consumer.start({ types: ['UserAdmitted'], handler });
    await expect(consumer.start({ types: ['UserAdmitted'], handler })).rejects.toBeInstanceOf(
      ConfigurationError,
    );
    await consumer.stop();
    expect(() => bus.consumer('a b')).toThrow(ValidationError);
  });
});

describe('MemoryDistributedLock', () => {
  it('lets a lease lapse when its injected clock passes the ttl', async () => {
    const clock = new ManualClock(5_000);
    const lock = new MemoryDistributedLock({ clock });
    const first = await lock.acquire('sale', 1_000);
    expect(first).toMatchObject({ fencingToken: 1, validUntil: 6_000 });
    expect(await lock.acquire('sale', 1_000)).toBeNull();
    clock.advance(1_000);
    expect(await lock.acquire('sale', 1_000)).toMatchObject({ fencingToken: 2 });
  });
});

describe('MemoryRateLimiter', () => {
  it('rejects a cost the policy could never allow, instead of refusing it forever', async () => {
    const limiter = new MemoryRateLimiter();
    const policies: RateLimitPolicy[] = [
      { kind: 'token-bucket', capacity: 2, refillPerSecond: 1 },
      { kind: 'sliding-window', limit: 2, windowMs: 1_000 },
    ];
    for (const policy of policies) {
      await expect(limiter.consume({ key: 'k', policy, now: 0, cost: 3 })).rejects.toBeInstanceOf(
        ValidationError,
      );
    }
  });
});

describe('MemoryReservationRepository', () => {
  const row = (overrides: Partial<ReservationRow>): ReservationRow => ({
    reservationId: 'r1',
    saleId: 's1',
    userId: 'u1',
    idempotencyKey: 'k1',
    quantity: 1,
    seatIds: [],
    amountCents: 100,
    status: 'REQUESTED',
    paymentId: null,
    failureReason: null,
    createdAt: 1,
    updatedAt: 1,
    ...overrides,
  });

  it('fills the defaults of a sale given in input form, and counts pending units in the per-user totals', async () => {
    const repository = new MemoryReservationRepository();
    await repository.saveSale({
      id: 's1',
      name: 'Sale',
      inventory: { kind: 'general', capacity: 10, tier: 'std' },
      tiers: [{ id: 'std', name: 'Standard', priceCents: 100 }],
      opensAt: 0,
      admission: { usersPerInterval: 5, maxActive: 10 },
    });
    expect((await repository.getSale('s1'))?.limits.ticketsPerUser).toBe(4);
    await repository.insertMany([
      row({ reservationId: 'r1', idempotencyKey: 'k1', quantity: 2, status: 'CONFIRMED' }),
      row({ reservationId: 'r2', idempotencyKey: 'k2', quantity: 1, status: 'PAYMENT_PENDING' }),
      row({ reservationId: 'r3', idempotencyKey: 'k3', quantity: 3, status: 'FAILED' }),
    ]);
    expect(await repository.loadSnapshot('s1')).toMatchObject({ available: 7, confirmedPerUser: { u1: 3 } });
    expect(repository.rowsOf('s1').map((r) => r.reservationId)).toEqual(['r1', 'r2', 'r3']);
  });

  it('keeps the reconciliations it records readable, per sale', async () => {
    const repository = new MemoryReservationRepository();
    const record = {
      saleId: 's1',
      ranAt: 10,
      storeAvailable: 1,
      storeHeld: 0,
      storeConfirmed: 9,
      truthConfirmed: 9,
      truthPending: 0,
      consistent: true,
      repaired: false,
    };
    await repository.recordReconciliation(record);
    await repository.recordReconciliation({ ...record, saleId: 's2' });
    expect(repository.reconciliations('s1')).toEqual([record]);
    expect(repository.reconciliations()).toHaveLength(2);
  });
});
