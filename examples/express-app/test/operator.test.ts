import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningApp } from '../src/server';
import { Buyer, Client, generalSale, operator, startTestApp } from './support/harness';

describe('the operator API and the operations endpoints', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('refuses everything without the operator token', async () => {
    const anonymous = new Client(app.url);
    for (const [method, path] of [
      ['GET', '/api/operator/sales'],
      ['POST', '/api/operator/sales/demo/pause'],
      ['GET', '/api/operator/dead-letters'],
    ] as const) {
      const answer = await anonymous.request(method, path);
      expect(answer.status, path).toBe(401);
      expect(answer.body.error.code).toBe('UNAUTHENTICATED');
    }
    const wrong = new Client(app.url, { authorization: 'Bearer not-the-token' });
    expect((await wrong.request('GET', '/api/operator/sales')).status).toBe(401);
    expect(
      (await anonymous.request('POST', '/api/operator/session', { body: { token: 'nope' } })).status,
    ).toBe(401);
  });

  it('creates a sale, refuses to open it cold, then warms it up and opens it', async () => {
    const op = operator(app.url);
    const bad = await op.request('POST', '/api/operator/sales', { body: { id: 'x y', name: '' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.length).toBeGreaterThan(1);

    const created = await op.request('POST', '/api/operator/sales', { body: generalSale('gala', 10) });
    expect(created.status).toBe(201);
    expect(created.body.sale.state).toBe('DRAFT');
    const cold = await op.request('POST', '/api/operator/sales/gala/resume');
    expect(cold.status).toBe(409);
    expect(cold.body.error.code).toBe('INVALID_TRANSITION');
    expect((await op.request('POST', '/api/operator/sales/gala/warm-up')).body.sale.state).toBe('OPEN');
    expect((await op.request('POST', '/api/operator/sales/gala/open')).status).toBe(200);
    const redefined = await op.request('POST', '/api/operator/sales', { body: generalSale('gala', 99) });
    expect(redefined.status).toBe(409);
    expect(redefined.body.error.code).toBe('INVALID_TRANSITION');

    expect((await op.request('POST', '/api/operator/sales/gala/pause')).body.sale.state).toBe('PAUSED');
    const buyer = await new Buyer(app.url).login('Wes');
    expect((await buyer.join('gala')).status).toBe(201);
    const paused = await buyer.reserve('gala', { quantity: 1 }, 'wes-1');
    expect(paused.body.error.code).toBe('SALE_NOT_OPEN');
    expect((await op.request('POST', '/api/operator/sales/gala/resume')).body.sale.state).toBe('OPEN');
    expect((await op.request('POST', '/api/operator/sales/gala/close')).body.sale.state).toBe('CLOSED');
    // @seatrush/http names the state: a closed sale's queue is SALE_CLOSED (409, as before)
    const closed = await buyer.join('gala');
    expect(closed.status).toBe(409);
    expect(closed.body.error.code).toBe('SALE_CLOSED');
  });

  it('changes the admission rate while the sale runs and reports live stats', async () => {
    const op = operator(app.url);
    const changed = await op.request('PUT', '/api/operator/sales/demo/admission-rate', {
      body: { usersPerInterval: 7, maxActive: 50 },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.admission).toMatchObject({ usersPerInterval: 7, maxActive: 50 });
    expect((await op.request('PUT', '/api/operator/sales/demo/admission-rate', { body: {} })).status).toBe(
      400,
    );

    const stats = await op.request('GET', '/api/operator/sales/demo/stats');
    expect(stats.status).toBe(200);
    expect(stats.body.stats).toMatchObject({
      saleId: 'demo',
      state: 'OPEN',
      admission: { usersPerInterval: 7 },
    });
    expect(stats.body.stats.figures).toMatchObject({ initialStock: 132, consumerLag: 0 });
    expect(Array.isArray(stats.body.history)).toBe(true);
  });

  it('reconciles the store with the source of truth', async () => {
    const answer = await operator(app.url).request('POST', '/api/operator/sales/demo/reconcile');
    expect(answer.status).toBe(200);
    expect(answer.body.reconciliation).toMatchObject({ saleId: 'demo', consistent: true, repaired: false });
  });

  it('shows the last reconciliation in the stats, whoever ran it', async () => {
    const op = operator(app.url);
    const demo = app.platform.runtime.sale('demo');
    if (!demo) throw new Error('the demo sale is not served');
    // a run as the reconciler's loop makes it, not through the operator route
    const run = await demo.reconciler.reconcile('demo');
    await vi.waitFor(
      async () => {
        const { stats } = (await op.request('GET', '/api/operator/sales/demo/stats')).body;
        expect(stats.reconciliation).toMatchObject({ saleId: 'demo', ranAt: run.ranAt });
      },
      { timeout: 10_000, interval: 250 },
    );
  });

  it("says which lifecycle commands the sale's state allows", async () => {
    const op = operator(app.url);
    const commandsOf = async (id: string) =>
      (await op.request('GET', `/api/operator/sales/${id}/stats`)).body.stats.commands;
    expect(await commandsOf('demo')).toEqual(['pause', 'close']);
    const created = await op.request('POST', '/api/operator/sales', { body: generalSale('later', 5) });
    expect(created.status).toBe(201);
    expect(await commandsOf('later')).toEqual(['warm-up', 'open', 'close']);
    expect((await op.request('POST', '/api/operator/sales/later/warm-up')).status).toBe(200);
    expect((await op.request('POST', '/api/operator/sales/later/pause')).status).toBe(200);
    expect(await commandsOf('later')).toEqual(['resume', 'close']);
    expect((await op.request('POST', '/api/operator/sales/later/close')).status).toBe(200);
    expect(await commandsOf('later')).toEqual([]);
  });

  it("answers the pages' first questions with a 200 whatever the answer", async () => {
    const anonymous = new Client(app.url);
    expect(await anonymous.request('GET', '/api/operator/session')).toMatchObject({
      status: 200,
      body: { signedIn: false },
    });
    expect((await operator(app.url).request('GET', '/api/operator/session')).body).toEqual({
      signedIn: true,
    });
    expect(await anonymous.request('GET', '/api/session')).toMatchObject({
      status: 200,
      body: { user: null },
    });
    expect((await anonymous.request('GET', '/api/me')).status).toBe(401);
    const buyer = await new Buyer(app.url).login('Quinn');
    expect((await buyer.request('GET', '/api/session')).body).toEqual({
      user: { id: buyer.userId, name: 'Quinn' },
    });
    expect(await buyer.request('GET', '/api/sales/demo/queue/place')).toMatchObject({
      status: 200,
      body: { queue: null },
    });
    expect((await buyer.request('GET', '/api/sales/demo/queue')).status).toBe(404);
    expect((await buyer.join('demo')).status).toBe(201);
    const place = await buyer.request('GET', '/api/sales/demo/queue/place');
    expect(place.status).toBe(200);
    expect(place.body.queue.ticket).toBeGreaterThan(0);
  });

  it('changes the payment simulator and lists dead letters', async () => {
    const op = operator(app.url);
    const set = await op.request('PUT', '/api/operator/payment-simulator', {
      body: { latencyMs: 5, failureRate: 0.5 },
    });
    expect(set.body.payment).toEqual({ latencyMs: 5, failureRate: 0.5 });
    expect(
      (await op.request('PUT', '/api/operator/payment-simulator', { body: { failureRate: 2 } })).status,
    ).toBe(400);
    app.platform.payments.settings = { latencyMs: 0, failureRate: 0 };
    expect((await op.request('GET', '/api/operator/alerts')).body.alerts).toEqual([]);
    const letters = await op.request('GET', '/api/operator/dead-letters');
    expect(letters.body.deadLetters).toEqual([]);
    expect((await op.request('POST', '/api/operator/dead-letters/nope/redrive')).status).toBe(404);
  });

  it('serves /health with the warm-up state and /metrics in Prometheus format', async () => {
    const health = await new Client(app.url).request('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', mode: 'memory' });
    expect(health.body.sales).toContainEqual({ id: 'demo', state: 'OPEN', warm: true });
    await app.seatrush.stats.sampleAll();
    const res = await fetch(`${app.url}/metrics`);
    const text = await res.text();
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    for (const name of [
      'seatrush_http_request_duration_seconds_bucket',
      'seatrush_queue_waiting{sale="demo"}',
      'seatrush_stock_units{sale="demo",state="available"}',
      'seatrush_consumer_lag',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text, name).toContain(name);
    }
  });
});
