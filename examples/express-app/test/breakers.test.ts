import { CircuitOpenError } from '@seatrush/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../src/server';
import { answerTo } from './support/error-answer';
import { Client, startTestApp } from './support/harness';

// Issue 20 item 3 in the example: the SDK's circuit breakers in /health, in /metrics as
// seatrush_breaker_state{dependency}, and a call one refused answered 503 with Retry-After.
describe('circuit breakers in the example app', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('shows every breaker in /health and as a gauge in /metrics (0 closed)', async () => {
    const health = await new Client(app.url).request('GET', '/health');
    expect(health.status).toBe(200);
    for (const dependency of ['payments', 'repository', 'publisher']) {
      expect(health.body.breakers[dependency], dependency).toMatchObject({ state: 'closed', failures: 0 });
    }
    const text = await (await fetch(`${app.url}/metrics`)).text();
    for (const dependency of ['payments', 'repository', 'publisher']) {
      expect(text).toContain(`seatrush_breaker_state{dependency="${dependency}"} 0`);
    }
  });

  it('answers a call a breaker refused 503 with Retry-After and retryAfterMs', () => {
    const answer = answerTo(new CircuitOpenError('payments', 1_500), '/api/sales/s/checkout');
    expect(answer.status).toBe(503);
    expect(answer.headers['Retry-After']).toBe('2');
    expect(answer.body).toMatchObject({ error: { code: 'INFRASTRUCTURE', retryAfterMs: 1_500 } });
  });
});
