import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../src/server';
import { Buyer, generalSale, openSale, operator, sleep, startTestApp } from './support/harness';

describe('the queueing method, switched live by the operator over HTTP', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('refuses an unknown method and changes nothing', async () => {
    await openSale(app.url, generalSale('qm-bad', 5));
    const op = operator(app.url);
    const bad = await op.request('PUT', '/api/operator/sales/qm-bad/queueing', {
      body: { method: 'lottery' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_INPUT');
    const current = await op.request('GET', '/api/operator/sales/qm-bad/queueing');
    expect(current.status).toBe(200);
    expect(current.body.queueing.method).toBe('fifo');
  });

  it('passthrough admits at once, fifo queues, reject turns new arrivals away politely', async () => {
    await openSale(app.url, generalSale('qm', 5));
    const op = operator(app.url);

    // passthrough: under capacity and nobody waiting, the join itself admits
    const through = await op.request('PUT', '/api/operator/sales/qm/queueing', {
      body: { method: 'passthrough' },
    });
    expect(through.status).toBe(200);
    expect(through.body.queueing.method).toBe('passthrough');
    const ann = await new Buyer(app.url).login('Ann');
    const annJoined = await ann.join('qm');
    expect(annJoined.status).toBe(201);
    expect(annJoined.body.queue.state).toBe('ADMITTED');

    // passthrough under the operator's bound: with one admitted and room for one, the next queues
    // (before Ann buys: her checkout ends her session and frees the place)
    const bound = await op.request('PUT', '/api/operator/sales/qm/admission-rate', {
      body: { maxActive: 1 },
    });
    expect(bound.status).toBe(200);
    const abe = await new Buyer(app.url).login('Abe');
    expect((await abe.join('qm')).body.queue.state).toBe('WAITING');
    await abe.request('DELETE', '/api/sales/qm/queue');
    await op.request('PUT', '/api/operator/sales/qm/admission-rate', { body: { maxActive: 100 } });
    const held = await ann.reserve('qm', { quantity: 1 }, 'ann-qm-1', annJoined.body.queue.admissionToken);
    expect(held.status).toBe(201);

    // fifo with admission paused: a new buyer waits in line
    expect((await op.request('POST', '/api/operator/sales/qm/pause')).body.sale.state).toBe('PAUSED');
    await op.request('PUT', '/api/operator/sales/qm/queueing', { body: { method: 'fifo' } });
    const ben = await new Buyer(app.url).login('Ben');
    const benJoined = await ben.join('qm');
    expect(benJoined.status).toBe(201);
    expect(benJoined.body.queue.state).toBe('WAITING');

    // reject: the next arrival gets the polite sold-out answer and is not queued
    await op.request('PUT', '/api/operator/sales/qm/queueing', { body: { method: 'reject' } });
    const cat = await new Buyer(app.url).login('Cat');
    const refused = await cat.join('qm');
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('SOLD_OUT');
    expect((await cat.request('GET', '/api/sales/qm/queue')).status).toBe(404);
    // those already waiting keep their place
    expect((await ben.request('GET', '/api/sales/qm/queue')).body.queue.state).toBe('WAITING');

    // the dashboard's live figures show the method in force
    const stats = await op.request('GET', '/api/operator/sales/qm/stats');
    expect(stats.body.stats.queueing).toEqual({ method: 'reject' });
    expect((await op.request('GET', '/api/operator/sales/qm/queueing')).body.queueing.method).toBe('reject');

    // back to fifo: arrivals queue again
    await op.request('PUT', '/api/operator/sales/qm/queueing', { body: { method: 'fifo' } });
    expect((await cat.join('qm')).status).toBe(201);
  });
});

describe('the random method at admission time', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('admits a random draw of those waiting, not the first arrivals', async () => {
    // room for five: exactly five of the thirty waiting are ever admitted
    await openSale(
      app.url,
      generalSale('qm-random', 50, { admission: { usersPerInterval: 5, intervalMs: 100, maxActive: 5 } }),
    );
    const op = operator(app.url);
    expect((await op.request('POST', '/api/operator/sales/qm-random/pause')).status).toBe(200);
    await op.request('PUT', '/api/operator/sales/qm-random/queueing', { body: { method: 'random' } });
    const buyers: Buyer[] = [];
    for (let i = 0; i < 30; i++) {
      const buyer = await new Buyer(app.url).login(`Random ${i}`);
      expect((await buyer.join('qm-random')).status).toBe(201);
      buyers.push(buyer);
    }
    expect((await op.request('POST', '/api/operator/sales/qm-random/resume')).status).toBe(200);

    let admitted: number[] = [];
    for (let attempt = 0; attempt < 200 && admitted.length < 5; attempt++) {
      await sleep(50);
      const states = await Promise.all(
        buyers.map(
          async (buyer) => (await buyer.request('GET', '/api/sales/qm-random/queue')).body.queue.state,
        ),
      );
      admitted = states.flatMap((state, index) => (state === 'ADMITTED' ? [index] : []));
    }
    expect(admitted).toHaveLength(5);
    // FIFO would admit arrivals 0-4; a uniform draw does so with probability 1 / C(30, 5) ≈ 7e-6
    expect(admitted).not.toEqual([0, 1, 2, 3, 4]);
  });
});

describe('the queue status for non-browser clients', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('suggests when to ask again while waiting, as refreshMs and Retry-After', async () => {
    await openSale(app.url, generalSale('qm-poll', 5));
    const op = operator(app.url);
    expect((await op.request('POST', '/api/operator/sales/qm-poll/pause')).status).toBe(200);
    const dan = await new Buyer(app.url).login('Dan');
    expect((await dan.join('qm-poll')).status).toBe(201);
    const waiting = await dan.request('GET', '/api/sales/qm-poll/queue');
    expect(waiting.status).toBe(200);
    expect(waiting.body.queue.state).toBe('WAITING');
    expect(waiting.body.queue.refreshMs).toBeGreaterThanOrEqual(1_000);
    expect(waiting.body.queue.refreshMs).toBeLessThanOrEqual(30_000);
    expect(waiting.headers.get('retry-after')).toBe(String(Math.ceil(waiting.body.queue.refreshMs / 1_000)));

    expect((await op.request('POST', '/api/operator/sales/qm-poll/resume')).status).toBe(200);
    await dan.waitForAdmission('qm-poll');
    const admitted = await dan.request('GET', '/api/sales/qm-poll/queue');
    expect(admitted.body.queue).toMatchObject({ state: 'ADMITTED', refreshMs: null });
    expect(admitted.headers.get('retry-after')).toBeNull();
  });
});
