import type { EventConsumer } from '@seatrush/core';
import { memoryPorts } from '@seatrush/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../src/server';
import { Buyer, Client, generalSale, openSale, operator, startTestApp } from './support/harness';
import { joinWith, queueOf } from './support/queueing';

/**
 * The worker's consumer with a backlog the test sets: a pipeline that falls behind, without
 * having to slow a real one down. Everything else is the in-memory consumer's.
 */
function withSimulatedLag(consumer: EventConsumer, backlog: { lag: number }): EventConsumer {
  return new Proxy(consumer, {
    get(target, property) {
      if (property === 'lag') return async () => backlog.lag + (await target.lag());
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * The lag a decision names (its only reason). The worker's own lag is added to the simulated
 * backlog, and it is briefly above 0 while the worker catches up with an event, so "at least".
 */
function lagIn(reasons: string[]): number {
  expect(reasons).toHaveLength(1);
  const match = /^consumer lag (\d+)$/.exec(reasons[0] ?? '');
  expect(match).not.toBeNull();
  return Number(match?.[1]);
}

describe('adaptive admission, steered by the operator over HTTP', () => {
  const backlog = { lag: 0 };
  let app: RunningApp;
  beforeAll(async () => {
    const ports = memoryPorts();
    const consumer = ports.consumer.bind(ports);
    app = await startTestApp(
      // no periodic adjustment during the tests: each one is asked for, so every step is known
      { DEMO_SALE: 'none', ADAPTIVE_INTERVAL_MS: '3600000' },
      { ports: { ...ports, consumer: (group) => withSimulatedLag(consumer(group), backlog) } },
    );
  });
  afterAll(async () => {
    await app?.close();
  });

  const path = (sale: string) => `/api/operator/sales/${sale}/adaptive`;

  it('is off until turned on; bad bounds are refused and change nothing', async () => {
    await openSale(
      app.url,
      generalSale('ad-off', 5, { admission: { usersPerInterval: 20, intervalMs: 100, maxActive: 1_000 } }),
    );
    const op = operator(app.url);
    expect((await new Client(app.url).request('GET', path('ad-off'))).status).toBe(401);
    const initial = await op.request('GET', path('ad-off'));
    expect(initial.status).toBe(200);
    expect(initial.body.adaptive).toMatchObject({
      enabled: false,
      rate: { usersPerInterval: 20, paused: false },
      lastDecision: null,
      decisions: 0,
    });
    const off = await op.request('POST', `${path('ad-off')}/adjust`);
    expect(off.status).toBe(409);
    expect(off.body.error.code).toBe('ADAPTIVE_OFF');

    for (const body of [
      { enabled: true, minUsersPerInterval: 60, maxUsersPerInterval: 50 },
      { enabled: true, targetConsumerLag: 5_000, pauseConsumerLag: 1_000 },
      { enabled: 'yes' },
      { enabled: true, speed: 3 },
    ]) {
      const bad = await op.request('PUT', path('ad-off'), { body });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('INVALID_INPUT');
    }
    expect((await op.request('GET', path('ad-off'))).body.adaptive).toEqual(initial.body.adaptive);
  });

  it('slows down and pauses admission as the pipeline backs up, then climbs back, always within the bounds', async () => {
    await openSale(
      app.url,
      generalSale('ad', 50, { admission: { usersPerInterval: 20, intervalMs: 100, maxActive: 1_000 } }),
    );
    const op = operator(app.url);
    const on = await op.request('PUT', path('ad'), {
      body: {
        enabled: true,
        minUsersPerInterval: 5,
        maxUsersPerInterval: 50,
        targetConsumerLag: 100,
        pauseConsumerLag: 1_000,
        increaseStep: 10,
        decreaseFactor: 0.5,
      },
    });
    expect(on.status).toBe(200);
    expect(on.body.adaptive).toMatchObject({
      enabled: true,
      policy: { minUsersPerInterval: 5, maxUsersPerInterval: 50 },
    });
    const adjust = async () => {
      const answer = await op.request('POST', `${path('ad')}/adjust`);
      expect(answer.status).toBe(200);
      const { usersPerInterval } = answer.body.adaptive.rate;
      expect(usersPerInterval).toBeGreaterThanOrEqual(5);
      expect(usersPerInterval).toBeLessThanOrEqual(50);
      return answer.body;
    };

    // behind, not critical: the rate halves down to the floor, never below it
    backlog.lag = 500;
    const rates: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const { decision } = await adjust();
      expect(decision).toMatchObject({ health: 'degraded', paused: false });
      expect(lagIn(decision.reasons)).toBeGreaterThanOrEqual(500);
      rates.push(decision.usersPerInterval);
    }
    expect(rates).toEqual([10, 5, 5, 5]);

    // critical: admission pauses; a buyer who comes now waits
    backlog.lag = 5_000;
    const critical = await adjust();
    expect(critical.decision).toMatchObject({ health: 'critical', paused: true, usersPerInterval: 5 });
    expect(critical.adaptive.rate.paused).toBe(true);
    expect(lagIn(critical.adaptive.lastDecision.reasons)).toBeGreaterThanOrEqual(5_000);
    // the sale itself stays open: only admission is held back
    expect((await op.request('GET', '/api/operator/sales/ad/stats')).body.stats.state).toBe('OPEN');
    const buyer = await new Buyer(app.url).login('Patient');
    expect((await joinWith(buyer, 'ad')).body.queue.state).toBe('WAITING');

    // healthy again: resumes at the floor, then climbs by the step up to the ceiling, no further
    backlog.lag = 0;
    const resumed = await adjust();
    expect(resumed.decision).toMatchObject({ health: 'healthy', paused: false, usersPerInterval: 5 });
    await buyer.waitForAdmission('ad');
    const climb: number[] = [];
    for (let i = 0; i < 6; i += 1) climb.push((await adjust()).decision.usersPerInterval);
    expect(climb).toEqual([15, 25, 35, 45, 50, 50]);

    // the figures are on /metrics
    const metrics = await new Client(app.url).request('GET', '/metrics');
    expect(metrics.body).toContain('seatrush_adaptive_users_per_interval{sale="ad"} 50');
    expect(metrics.body).toContain('seatrush_adaptive_decisions_total{sale="ad",health="degraded"} 4');
    expect(metrics.body).toContain('seatrush_adaptive_decisions_total{sale="ad",health="critical"} 1');
    expect(metrics.body).toContain('seatrush_adaptive_decisions_total{sale="ad",health="healthy"} 7');
    expect((await op.request('GET', path('ad'))).body.adaptive.decisions).toBe(12);
  });

  it("never lifts the operator's pause, and lifts its own when turned off", async () => {
    await openSale(
      app.url,
      generalSale('ad-pause', 5, { admission: { usersPerInterval: 20, intervalMs: 100, maxActive: 1_000 } }),
    );
    const op = operator(app.url);
    await op.request('PUT', path('ad-pause'), {
      body: {
        enabled: true,
        minUsersPerInterval: 2,
        maxUsersPerInterval: 40,
        pauseConsumerLag: 1_000,
        targetConsumerLag: 100,
      },
    });
    backlog.lag = 0;
    expect((await op.request('POST', '/api/operator/sales/ad-pause/pause')).status).toBe(200);
    const held = await op.request('POST', `${path('ad-pause')}/adjust`);
    expect(held.body.decision).toMatchObject({
      health: 'recovering',
      paused: true,
      reasons: ['paused by the operator'],
    });
    expect((await op.request('POST', '/api/operator/sales/ad-pause/resume')).status).toBe(200);

    backlog.lag = 5_000;
    expect((await op.request('POST', `${path('ad-pause')}/adjust`)).body.adaptive.rate.paused).toBe(true);
    const off = await op.request('PUT', path('ad-pause'), { body: { enabled: false } });
    expect(off.body.adaptive).toMatchObject({ enabled: false, rate: { paused: false } });
    backlog.lag = 0;
    const buyer = await new Buyer(app.url).login('Free');
    await joinWith(buyer, 'ad-pause');
    await buyer.waitForAdmission('ad-pause');
  });

  it('hears the reserve answers: a low hold success rate slows admission', async () => {
    await openSale(
      app.url,
      generalSale('ad-holds', 1, { admission: { usersPerInterval: 20, intervalMs: 100, maxActive: 1_000 } }),
    );
    const op = operator(app.url);
    await op.request('PUT', path('ad-holds'), {
      // latency is left out of this test: the targets are far above any machine's
      body: {
        enabled: true,
        minUsersPerInterval: 1,
        maxUsersPerInterval: 40,
        minHoldSuccessRate: 0.9,
        targetApiP99Ms: 60_000,
        pauseApiP99Ms: 120_000,
      },
    });
    backlog.lag = 0;
    // one unit for three buyers: one hold, two SOLD_OUT
    const buyers = await Promise.all(['H1', 'H2', 'H3'].map((name) => new Buyer(app.url).login(name)));
    const codes: number[] = [];
    for (const [index, buyer] of buyers.entries()) {
      await buyer.enter('ad-holds');
      codes.push((await buyer.reserve('ad-holds', { quantity: 1 }, `h-${index}`)).status);
    }
    expect(codes).toEqual([201, 409, 409]);
    const { body } = await op.request('POST', `${path('ad-holds')}/adjust`);
    expect(body.decision).toMatchObject({ health: 'degraded', usersPerInterval: 10 });
    expect(body.decision.reasons).toEqual([`hold success rate ${1 / 3}`]);
    // a buyer refused SOLD_OUT is still in the room (the one who bought left it at her checkout)
    expect((await queueOf(buyers[2]!, 'ad-holds')).status).toBe(200);
  });
});
