import { afterEach, describe, expect, it } from 'vitest';
import {
  createSeatRushRuntime,
  FakePaymentGateway,
  InfrastructureError,
  memoryPorts,
  type SeatRushRuntime,
  SimulatedPaymentProvider,
  ValidationError,
  WebhookSignatureError,
} from '../../src';
import { MemoryAlertSink } from '../../src/memory/alert-sink';
import { MemoryCheckoutStore } from '../../src/memory/checkout-store';
import { MemoryNotificationOutbox } from '../../src/memory/notification-outbox';
import type { ReservationRepository } from '../../src/ports/reservation-repository';
import { nextAdmission } from '../../src/queue/adaptive-admission';
import { CircuitOpenError, DependencyBreaker, RuntimeBreakers } from '../../src/resilience/breakers';
import { admitted } from '../runtime/admitted';
import { adaptivePolicy, generalSale, SECRET } from '../services/fixtures';
import { readmeBreakersExample } from './readme-breakers-example';

const boom = () => Promise.reject(new Error('connection refused'));

describe('DependencyBreaker', () => {
  it('opens after `failures` consecutive failures and then refuses without calling', async () => {
    const changes: string[] = [];
    const breaker = new DependencyBreaker('repository', { failures: 3, halfOpenAfterMs: 60_000 }, (c) =>
      changes.push(`${c.from}->${c.to}`),
    );
    for (let i = 0; i < 3; i++) await expect(breaker.execute(boom)).rejects.toThrow('connection refused');
    expect(breaker.view()).toMatchObject({ state: 'open', failures: 3, opened: 1 });
    expect(breaker.view().lastFailure).toContain('connection refused');
    let called = false;
    const refused = await breaker
      .execute(async () => {
        called = true;
      })
      .catch((error: unknown) => error);
    expect(called).toBe(false);
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect(refused).toBeInstanceOf(InfrastructureError);
    expect(refused).toMatchObject({ code: 'INFRASTRUCTURE', breaker: 'repository' });
    expect((refused as CircuitOpenError).retryAfterMs).toBeGreaterThan(0);
    expect((refused as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(changes).toEqual(['closed->open']);
  });

  it('a success resets the count: only consecutive failures open it', async () => {
    const breaker = new DependencyBreaker('publisher', { failures: 2 });
    await expect(breaker.execute(boom)).rejects.toThrow();
    await breaker.execute(async () => 'ok');
    await expect(breaker.execute(boom)).rejects.toThrow();
    expect(breaker.view()).toMatchObject({ state: 'closed', failures: 1 });
  });

  it('does not count a call that was wrong (bad input) rather than a dependency that failed', async () => {
    const breaker = new DependencyBreaker('payments', { failures: 1 });
    const invalid = () => Promise.reject(new ValidationError('payment', [{ path: 'x', message: 'bad' }]));
    await expect(breaker.execute(invalid)).rejects.toBeInstanceOf(ValidationError);
    await expect(breaker.execute(invalid)).rejects.toBeInstanceOf(ValidationError);
    expect(breaker.view()).toMatchObject({ state: 'closed', failures: 0 });
  });

  it('bounds each call by timeoutMs: a late call rejects with InfrastructureError and counts', async () => {
    const breaker = new DependencyBreaker('payments', {
      failures: 1,
      timeoutMs: 20,
      halfOpenAfterMs: 60_000,
    });
    const hanging = () => new Promise<never>(() => {});
    const error = await breaker.execute(hanging).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect(error).not.toBeInstanceOf(CircuitOpenError);
    expect(String(error)).toContain('did not answer within 20 ms');
    expect(breaker.view().state).toBe('open');
  });

  it('half-open once halfOpenAfterMs passed: a successful trial closes it, a failed one opens it again', async () => {
    const breaker = new DependencyBreaker('repository', { failures: 1, halfOpenAfterMs: 30 });
    await expect(breaker.execute(boom)).rejects.toThrow();
    expect(breaker.state).toBe('open');
    await expect.poll(() => breaker.state).toBe('half-open');
    await expect(breaker.execute(boom)).rejects.toThrow('connection refused');
    expect(breaker.view()).toMatchObject({ state: 'open', opened: 2 });
    await expect.poll(() => breaker.state).toBe('half-open');
    expect(await breaker.execute(async () => 42)).toBe(42);
    expect(breaker.view()).toMatchObject({ state: 'closed', failures: 0, opened: 2 });
  });

  it('refuses a setting that is not a positive integer, naming it', () => {
    expect(() => new DependencyBreaker('publisher', { timeoutMs: 0 })).toThrow(
      'breakers.publisher.timeoutMs',
    );
  });
});

describe('RuntimeBreakers decorators', () => {
  it('guard the provider calls, keep verifyWebhook and the name local, and keep the class', async () => {
    const breakers = new RuntimeBreakers({ payments: { failures: 2, halfOpenAfterMs: 60_000 } });
    const simulator = new SimulatedPaymentProvider({ clock: { now: () => 0 } });
    const provider = breakers.provider(simulator);
    expect(provider).toBeInstanceOf(SimulatedPaymentProvider);
    expect(provider.name).toBe(simulator.name);
    // a payment that does not exist is an answer about the call, not an outage: not counted
    await expect(provider.getPayment('pi_missing')).rejects.toThrow();
    await expect(provider.getPayment('pi_missing')).rejects.toThrow();
    expect(breakers.views().payments).toMatchObject({ state: 'closed', failures: 0 });
    simulator.fail(2);
    for (let i = 0; i < 2; i++)
      await expect(provider.getPayment('pi_missing')).rejects.toMatchObject({
        code: 'PAYMENT_UNAVAILABLE',
      });
    expect(breakers.open()).toEqual(['payments']);
    await expect(provider.getPayment('pi_missing')).rejects.toBeInstanceOf(CircuitOpenError);
    // verifyWebhook is local work, never refused by the breaker
    expect(() => provider.verifyWebhook({ payload: '{}', headers: {} })).toThrow(WebhookSignatureError);
  });

  it("does not count a provider SDK's 4xx answer; counts its 5xx, 408 and 429", async () => {
    const breaker = new DependencyBreaker('payments', { failures: 10 });
    const withStatus = (statusCode: number) => () =>
      Promise.reject(Object.assign(new Error(`HTTP ${statusCode}`), { statusCode }));
    for (const status of [400, 402, 404]) await expect(breaker.execute(withStatus(status))).rejects.toThrow();
    expect(breaker.view().failures).toBe(0);
    for (const status of [500, 408, 429]) await expect(breaker.execute(withStatus(status))).rejects.toThrow();
    expect(breaker.view().failures).toBe(3);
  });

  it("guard the checkout's records and the notification outbox with the source of truth's breaker", async () => {
    const breakers = new RuntimeBreakers({ repository: { failures: 2, halfOpenAfterMs: 60_000 } });
    const outbox = new MemoryNotificationOutbox();
    const store = new MemoryCheckoutStore(memoryPorts().repository, outbox);
    const down = { value: false };
    const payment = store.payment.bind(store);
    store.payment = (reservationId) => (down.value ? boom() : payment(reservationId));
    const guardedStore = breakers.checkoutStore(store);
    const guardedOutbox = breakers.notificationOutbox(outbox);
    expect(await guardedStore.payment('r-none')).toBeNull();
    down.value = true;
    for (let i = 0; i < 2; i++)
      await expect(guardedStore.payment('r-none')).rejects.toThrow('connection refused');
    // one server, one breaker: the outbox beside the records is refused too, without a call
    expect(breakers.open()).toEqual(['repository']);
    await expect(guardedOutbox.claim({ now: 0, limit: 1, leaseMs: 1_000 })).rejects.toBeInstanceOf(
      CircuitOpenError,
    );
    down.value = false;
    await expect(guardedStore.payment('r-none')).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('a breaker set to false is off: the port is used as given', () => {
    const breakers = new RuntimeBreakers({ repository: false, publisher: false, payments: false });
    const ports = memoryPorts();
    expect(breakers.repository(ports.repository)).toBe(ports.repository);
    expect(breakers.publisher(ports.publisher)).toBe(ports.publisher);
    const outbox = new MemoryNotificationOutbox();
    expect(breakers.notificationOutbox(outbox)).toBe(outbox);
    expect(breakers.views()).toEqual({});
  });
});

describe('adaptive admission and the breakers', () => {
  const policy = adaptivePolicy({ minUsersPerInterval: 1 });

  it('an open breaker is critical: admission pauses; with none open, the pause lifts at the minimum rate', () => {
    const open = nextAdmission(
      { usersPerInterval: 50, paused: false },
      { openBreakers: ['payments'] },
      policy,
    );
    expect(open).toEqual({
      usersPerInterval: 1,
      paused: true,
      health: 'critical',
      reasons: ['payments circuit breaker open'],
    });
    expect(nextAdmission({ usersPerInterval: 1, paused: true }, { openBreakers: [] }, policy)).toMatchObject({
      paused: false,
      usersPerInterval: 1,
      health: 'healthy',
    });
  });
});

/** A memory repository that fails every call while `down.value` is true (PostgreSQL unreachable). */
function failingRepository(
  repository: ReservationRepository,
  down: { value: boolean },
): ReservationRepository {
  return new Proxy(repository, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        down.value
          ? Promise.reject(new InfrastructureError('ECONNREFUSED 127.0.0.1:1'))
          : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
}

describe('createSeatRushRuntime with breakers', () => {
  const running: SeatRushRuntime[] = [];
  afterEach(async () => {
    for (const runtime of running.splice(0)) await runtime.close();
  });

  it('opens the repository breaker while the source of truth is down, shows it, pauses adaptive admission, and loses no acknowledged hold', async () => {
    const down = { value: false };
    const base = memoryPorts();
    const alerts = new MemoryAlertSink();
    const changes: string[] = [];
    const runtime = createSeatRushRuntime({
      ports: { ...base, repository: failingRepository(base.repository, down) },
      payments: new FakePaymentGateway(),
      admissionSecret: SECRET,
      alerts,
      adaptiveIntervalMs: 20,
      discoverIntervalMs: 50,
      // the worker keeps retrying through the outage (its retries are what the breaker refuses)
      workerRetry: { maxAttempts: 100, initialDelayMs: 20, maxDelayMs: 50 },
      breakers: {
        repository: { failures: 3, halfOpenAfterMs: 100 },
        onStateChange: (c) => changes.push(`${c.breaker}:${c.from}->${c.to}`),
      },
    });
    running.push(runtime);
    await runtime.start();
    const sale = await runtime.define(generalSale());
    await sale.adaptive.configure({ enabled: true });
    expect((await runtime.health()).breakers.repository).toMatchObject({ state: 'closed', failures: 0 });

    const token = await admitted(sale, 'ana');
    down.value = true;
    const held = await sale.reservations.reserve({
      userId: 'ana',
      idempotencyKey: 'k1',
      selection: { kind: 'quantity', quantity: 2 },
      admissionToken: token,
    });
    // acknowledged: the hold is made in the store; PostgreSQL being down does not change that
    expect(held).toMatchObject({ ok: true, code: 'ACCEPTED' });

    await expect.poll(async () => (await runtime.health()).breakers.repository?.state).not.toBe('closed');
    expect(runtime.breakers().repository?.opened).toBeGreaterThanOrEqual(1);
    expect(alerts.alerts.map((a) => a.code)).toContain('BREAKER_OPEN');
    // adaptive admission (on the loop that decides for the sale) pauses for the open breaker
    await expect.poll(() => sale.adaptive.view().pausedByController).toBe(true);
    expect(sale.waitingRoom.admissionRate.paused).toBe(true);
    expect(sale.adaptive.view().lastDecision?.reasons).toContain('repository circuit breaker open');

    down.value = false;
    await runtime.drain(20_000);
    await expect.poll(() => runtime.breakers().repository?.state).toBe('closed');
    expect(await sale.reservation(held.ok ? held.reservationId : '')).toMatchObject({ status: 'CONFIRMED' });
    // closed again: the controller lifts its own pause
    await expect.poll(() => sale.adaptive.view().pausedByController).toBe(false);
    expect(sale.waitingRoom.admissionRate.paused).toBe(false);
    expect(changes).toContain('repository:closed->open');
    expect(changes.at(-1)).toBe('repository:half-open->closed');
  });

  it('with breakers: false, the ports are used as given and health shows no breaker', async () => {
    const ports = memoryPorts();
    const runtime = createSeatRushRuntime({
      ports,
      payments: new FakePaymentGateway(),
      admissionSecret: SECRET,
      loops: { admission: false },
      breakers: false,
    });
    running.push(runtime);
    expect(runtime.ports.repository).toBe(ports.repository);
    expect(runtime.breakers()).toEqual({});
    expect((await runtime.health()).breakers).toEqual({});
  });

  it('guards the auto-pay gateway: an outage opens the payments breaker, the hold is confirmed once it is back', async () => {
    const gateway = new FakePaymentGateway().fail({ times: 4 });
    const runtime = createSeatRushRuntime({
      ports: memoryPorts(),
      payments: gateway,
      admissionSecret: SECRET,
      loops: { admission: false },
      workerRetry: { maxAttempts: 100, initialDelayMs: 20, maxDelayMs: 50 },
      breakers: { payments: { failures: 2, halfOpenAfterMs: 50 } },
    });
    running.push(runtime);
    await runtime.start();
    const sale = await runtime.define(generalSale());
    const held = await sale.reservations.reserve({
      userId: 'ben',
      idempotencyKey: 'k2',
      selection: { kind: 'quantity', quantity: 1 },
      admissionToken: await admitted(sale, 'ben'),
    });
    expect(held).toMatchObject({ ok: true, code: 'ACCEPTED' });
    await runtime.drain(20_000);
    expect(await sale.reservation(held.ok ? held.reservationId : '')).toMatchObject({ status: 'CONFIRMED' });
    expect(runtime.breakers().payments).toMatchObject({ state: 'closed' });
    expect(runtime.breakers().payments?.opened).toBeGreaterThanOrEqual(1);
  });
});

describe('the README example', () => {
  it('runs: health shows the breakers that are on, a refusal answers 503 with when to retry', async () => {
    const { breakers, refused } = await readmeBreakersExample();
    expect(Object.keys(breakers).sort()).toEqual(['payments', 'repository']);
    expect(breakers.payments).toMatchObject({ state: 'closed', failures: 0, opened: 0, lastFailure: null });
    expect(refused).toEqual({ status: 503, retryAfterSeconds: 2 });
  });
});

describe('a guarded port', () => {
  it('calls the method the port has at call time (a host may replace one later)', async () => {
    const gateway = new FakePaymentGateway();
    const guarded = new RuntimeBreakers().gateway(gateway);
    const input = { reservationId: 'r1', userId: 'u1', amountCents: 100, idempotencyKey: 'k1' };
    expect(await guarded.charge(input)).toMatchObject({ ok: true });
    gateway.charge = async () => ({ ok: false, code: 'DECLINED' });
    expect(await guarded.charge({ ...input, idempotencyKey: 'k2' })).toEqual({ ok: false, code: 'DECLINED' });
  });
});
