import { ConfigurationError } from '@seatrush/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import type { RunningApp } from '../src/server';
import { type Answer, Buyer, generalSale, operator, startTestApp, TEST_BOT_GUARD } from './support/harness';
import { createSale, joinWith, pollUntil, queueOf } from './support/queueing';

/** Every waiting answer tells a client when to ask again, in the body and in `Retry-After`. */
function expectRefreshHint(answer: Answer): void {
  const { refreshMs } = answer.body.queue;
  expect(refreshMs).toBeGreaterThanOrEqual(1_000);
  expect(refreshMs).toBeLessThanOrEqual(30_000);
  expect(answer.headers.get('retry-after')).toBe(String(Math.ceil(refreshMs / 1_000)));
  expect(answer.headers.get('cache-control')).toBe('no-store');
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
}

describe('waiting-room answers for non-browser clients, with the status codes the operator chose', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp({ DEMO_SALE: 'none', QUEUE_STATUS_CODES: 'WAITING=202,PRE_QUEUE=202' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers WAITING with 202, ADMITTED with 200, both as JSON with the refresh hint', async () => {
    await createSale(app.url, generalSale('qa', 10), ['warm-up', 'open', 'pause']);
    const buyer = await new Buyer(app.url).login('Client');
    const joined = await joinWith(buyer, 'qa');
    expect(joined.status).toBe(202);
    expect(joined.body.queue.state).toBe('WAITING');
    expectRefreshHint(joined);
    const waiting = await queueOf(buyer, 'qa');
    expect(waiting.status).toBe(202);
    expectRefreshHint(waiting);

    await operator(app.url).request('POST', '/api/operator/sales/qa/resume');
    const admitted = await pollUntil(
      () => queueOf(buyer, 'qa'),
      (answer) => answer.body.queue?.state === 'ADMITTED',
    );
    // ADMITTED keeps its default; nothing to refresh once admitted
    expect(admitted.status).toBe(200);
    expect(admitted.body.queue.refreshMs).toBeNull();
    expect(admitted.headers.get('retry-after')).toBeNull();
    const again = await joinWith(buyer, 'qa');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ alreadyJoined: true, queue: { state: 'ADMITTED' } });
  });

  it('answers PRE_QUEUE before the opening with a hint to come back by then', async () => {
    const opensAt = app.platform.now() + 3_600_000;
    await createSale(app.url, { ...generalSale('qa-pre', 10, { opensAt }), queueing: { preQueue: true } }, [
      'warm-up',
    ]);
    const buyer = await new Buyer(app.url).login('Early');
    const joined = await joinWith(buyer, 'qa-pre');
    expect(joined.status).toBe(202);
    expect(joined.body.queue).toMatchObject({ state: 'PRE_QUEUE', opensAt, refreshMs: 30_000 });
    expectRefreshHint(joined);
    const status = await queueOf(buyer, 'qa-pre');
    expect(status.status).toBe(202);
    expect(status.body.queue.state).toBe('PRE_QUEUE');
  });

  it('answers someone not in the room with 404 NOT_IN_QUEUE as JSON', async () => {
    const stranger = await new Buyer(app.url).login('Stranger');
    const answer = await queueOf(stranger, 'qa');
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('NOT_IN_QUEUE');
  });
});

describe('waiting-room answers with the default status codes', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp(
      { DEMO_SALE: 'none' },
      {
        // two joins a minute per user: the third is a refusal that says when to come back
        botGuard: {
          ...TEST_BOT_GUARD,
          rateLimits: { perUser: { kind: 'sliding-window', limit: 2, windowMs: 60_000 }, perIp: null },
        },
      },
    );
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers a join 201 then 200 with the refresh hint, and a rate-limited join with Retry-After', async () => {
    await createSale(app.url, generalSale('qd', 10), ['warm-up', 'open', 'pause']);
    const buyer = await new Buyer(app.url).login('Default');
    const first = await joinWith(buyer, 'qd');
    expect(first.status).toBe(201);
    expectRefreshHint(first);
    const second = await joinWith(buyer, 'qd');
    expect(second.status).toBe(200);
    expect(second.body.alreadyJoined).toBe(true);
    expectRefreshHint(second);

    const limited = await joinWith(buyer, 'qd');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    const { retryAfterMs } = limited.body.error;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(limited.headers.get('retry-after')).toBe(String(Math.max(1, Math.ceil(retryAfterMs / 1_000))));
  });
});

describe('QUEUE_STATUS_CODES', () => {
  it('is read as a list of state=code, and a bad one stops the start naming the variable', () => {
    expect(loadConfig({ QUEUE_STATUS_CODES: 'WAITING=202,PRE_QUEUE=203' }).queueStatusCodes).toEqual({
      WAITING: 202,
      PRE_QUEUE: 203,
    });
    expect(loadConfig({}).queueStatusCodes).toEqual({});
    for (const bad of ['WAITING=2', 'LATER=202', 'WAITING:202', 'WAITING=202,']) {
      expect(() => loadConfig({ QUEUE_STATUS_CODES: bad })).toThrow(ConfigurationError);
      expect(() => loadConfig({ QUEUE_STATUS_CODES: bad })).toThrow(/QUEUE_STATUS_CODES/);
    }
  });
});
