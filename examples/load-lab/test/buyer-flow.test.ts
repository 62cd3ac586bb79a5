import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ENTRY, type AppProcess, startApp } from '../src/app-process';
import { type BuyerResult, DEFAULT_BEHAVIOUR, FINAL_STATES, TRANSITIONS, VirtualBuyer } from '../src/buyer';
import { LabHttpClient } from '../src/http-client';
import { applyOverrides, PROFILE_DEFAULTS } from '../src/profiles';
import { Recorder } from '../src/recorder';
import { runProfile } from '../src/runner';
import { labSeatIds, OperatorApi } from '../src/sale';

// The buyers run against the real example app (its built dist/, embedded default) as a child
// process: the flow, the SSE streams and the invariant are the app's, not a stand-in's.
beforeAll(() => {
  if (!existsSync(APP_ENTRY)) {
    execFileSync('pnpm', ['--filter', '@seatrush/example-express-app', 'build'], { stdio: 'inherit' });
  }
}, 120_000);

function expectLegalTrace(b: BuyerResult): void {
  for (let i = 1; i < b.trace.length; i++) {
    expect(TRANSITIONS[b.trace[i - 1]!], `${b.trace.join('→')}`).toContain(b.trace[i]);
  }
  expect(FINAL_STATES).toContain(b.state);
  expect(b.trace.filter((s) => (FINAL_STATES as readonly string[]).includes(s))).toHaveLength(1);
}

describe('virtual buyers against the example app', () => {
  let app: AppProcess;
  let client: LabHttpClient;
  let operator: OperatorApi;

  beforeAll(async () => {
    app = await startApp({
      servers: null,
      powDifficulty: 4,
      paymentLatencyMs: 50,
      paymentFailureRate: 0,
      strategy: 'atomic',
    });
    client = new LabHttpClient(app.baseUrl, { sourceAddresses: 2 });
    operator = new OperatorApi(client, app.operatorToken);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await app?.stop();
  });

  const buyers = (saleId: string, seats: number, n: number, behaviour = {}) => {
    const recorder = new Recorder();
    const abort = new AbortController();
    const list = Array.from(
      { length: n },
      (_, i) =>
        new VirtualBuyer(`${saleId}-${i}`, {
          client,
          recorder,
          saleId,
          seatIds: labSeatIds(seats),
          behaviour: {
            ...DEFAULT_BEHAVIOUR,
            thinkMs: [0, 20],
            abandonWhileWaiting: 0,
            abandonAfterAdmission: 0,
            ...behaviour,
          },
          source: i,
          signal: abort.signal,
        }),
    );
    return { recorder, list };
  };

  it('walks the whole flow: one seat, five buyers racing for it — one confirmed, the rest sold out', async () => {
    await operator.prepare({
      id: 'race',
      seats: 1,
      admitPerTick: 50,
      tickMs: 100,
      maxActive: 50,
      holdMs: 30_000,
    });
    const { recorder, list } = buyers('race', 1, 5, { replayRate: 1 });
    const results = await Promise.all(list.map((b) => b.run()));
    for (const b of results) expectLegalTrace(b);
    const confirmed = results.filter((b) => b.state === 'CONFIRMED');
    expect(confirmed).toHaveLength(1);
    expect(confirmed[0]!.seatIds).toEqual(['s-A1']);
    expect(confirmed[0]!.resultOverSse).toBe('CONFIRMED');
    expect(confirmed[0]!.trace).toEqual([
      'NEW',
      'SIGNED_IN',
      'CHALLENGED',
      'WAITING',
      'ADMITTED',
      'HOLDING',
      'CONFIRMED',
    ]);
    expect(results.filter((b) => b.state === 'SOLD_OUT')).toHaveLength(4);
    expect(results.some((b) => b.replayMismatch)).toBe(false);
    const steps = recorder.steps(1_000);
    expect(steps.login?.count).toBe(5);
    expect(steps.join?.count).toBe(5);
    expect(steps.result_wait?.count).toBe(1);
    const figures = await operator.stats('race');
    expect(figures).toMatchObject({ initialStock: 1, confirmed: 1, held: 0, available: 0 });
  }, 60_000);

  it('buyers who walk away after admission buy nothing and leave the stock whole', async () => {
    await operator.prepare({
      id: 'walk',
      seats: 5,
      admitPerTick: 50,
      tickMs: 100,
      maxActive: 50,
      holdMs: 30_000,
    });
    const { list } = buyers('walk', 5, 4, { abandonAfterAdmission: 1 });
    const results = await Promise.all(list.map((b) => b.run()));
    for (const b of results) {
      expectLegalTrace(b);
      expect(b.trace.slice(-2)).toEqual(['ADMITTED', 'ABANDONED']);
    }
    expect(await operator.stats('walk')).toMatchObject({ available: 5, held: 0, confirmed: 0 });
  }, 60_000);

  it('holds released by their buyers end RELEASED and go back on sale', async () => {
    await operator.prepare({
      id: 'release',
      seats: 3,
      admitPerTick: 50,
      tickMs: 100,
      maxActive: 50,
      holdMs: 30_000,
    });
    await operator.call('PUT', '/payment-simulator', { latencyMs: 3_000, failureRate: 0 });
    try {
      const { list } = buyers('release', 3, 2, { releaseHold: 1, popularitySkew: 1 });
      const results = await Promise.all(list.map((b) => b.run()));
      for (const b of results) expectLegalTrace(b);
      const released = results.filter((b) => b.state === 'RELEASED');
      expect(released.length).toBeGreaterThan(0);
      const figures = await operator.stats('release');
      expect(figures.held).toBe(0);
      expect(figures.available + figures.confirmed).toBe(3);
    } finally {
      await operator.call('PUT', '/payment-simulator', { latencyMs: 50, failureRate: 0 });
    }
  }, 60_000);
});

describe('a small spike profile on the embedded default', () => {
  it('ends with the invariant holding: 50 buyers, 10 seats', async () => {
    const params = applyOverrides(PROFILE_DEFAULTS.spike, {
      buyers: '50',
      seats: '10',
      settleSeconds: '20',
      maxRunSeconds: '60',
      paymentLatencyMs: '50',
      'behaviour.thinkMs': '0,50',
    });
    const result = await runProfile({ profile: 'spike', params, servers: null });
    expect(result.invariant.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.invariant.ok).toBe(true);
    expect(Object.values(result.outcomes).reduce((a, b) => a + b, 0)).toBe(50);
    expect(result.figures?.confirmed).toBeLessThanOrEqual(10);
    expect(result.figures?.confirmed).toBe(result.outcomes.CONFIRMED ?? 0);
    expect(result.steps.reserve?.count).toBeGreaterThan(0);
    expect(result.server.length).toBeGreaterThan(1);
    expect(result.server.some((s) => s.appRssMb !== null && s.appRssMb > 0)).toBe(true);
  }, 120_000);
});

describe('virtual buyers paying on the buyer checkout (CHECKOUT=buyer)', () => {
  let app: AppProcess;
  let client: LabHttpClient;
  let operator: OperatorApi;

  beforeAll(async () => {
    app = await startApp({
      servers: null,
      powDifficulty: 4,
      paymentLatencyMs: 0,
      paymentFailureRate: 0,
      strategy: 'atomic',
      env: { CHECKOUT: 'buyer' },
    });
    client = new LabHttpClient(app.baseUrl, { sourceAddresses: 2 });
    operator = new OperatorApi(client, app.operatorToken);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await app?.stop();
  });

  it('confirms the seats of those who paid (after a decline, through 3-D Secure), frees those who left', async () => {
    await operator.prepare({
      id: 'pay',
      seats: 5,
      admitPerTick: 50,
      tickMs: 100,
      maxActive: 50,
      holdMs: 30_000,
    });
    const recorder = new Recorder();
    const abort = new AbortController();
    const buyer = (i: number, abandonCheckout: number) =>
      new VirtualBuyer(`pay-${i}`, {
        client,
        recorder,
        saleId: 'pay',
        seatIds: labSeatIds(5),
        behaviour: {
          ...DEFAULT_BEHAVIOUR,
          thinkMs: [0, 20],
          abandonWhileWaiting: 0,
          abandonAfterAdmission: 0,
          replayRate: 0,
          popularitySkew: 1,
          abandonCheckout,
          declineFirstCard: 1,
          threeDSecure: 1,
        },
        checkout: 'buyer',
        source: i,
        signal: abort.signal,
      }).run();
    const results = await Promise.all([buyer(0, 0), buyer(1, 0), buyer(2, 0), buyer(3, 1), buyer(4, 1)]);
    for (const b of results) expectLegalTrace(b);
    expect(results.map((b) => [b.state, b.paid])).toEqual([
      ['CONFIRMED', true],
      ['CONFIRMED', true],
      ['CONFIRMED', true],
      ['FAILED', false],
      ['FAILED', false],
    ]);
    const steps = recorder.steps(1_000);
    expect(steps.checkout_begin?.count).toBe(5);
    // three buyers: a declined card, then the 3-D Secure card and the bank's approval
    expect(steps.payment?.codes).toEqual({ OK: 6, PAYMENT_DECLINED: 3 });
    expect(await operator.stats('pay')).toMatchObject({
      initialStock: 5,
      confirmed: 3,
      held: 0,
      available: 2,
    });
  }, 60_000);
});
