import { memoryPorts } from '@seatrush/core';
import { ManualClock } from '@seatrush/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../src/server';
import { Buyer, generalSale, operator, startTestApp } from './support/harness';
import { createSale, joinWith, queueOf } from './support/queueing';

describe('a scheduled sale with a pre-queue, over HTTP', () => {
  // the app's clock is the test's: the opening comes when the test says, never by a race
  const clock = new ManualClock(Date.now());
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp({ DEMO_SALE: 'none' }, { ports: { ...memoryPorts(), clock } });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('refuses a bad queueing option beside the definition and creates nothing', async () => {
    const op = operator(app.url);
    const bad = await op.request('POST', '/api/operator/sales', {
      body: { ...generalSale('pq-bad', 5), queueing: { preQueue: 'yes' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_INPUT');
    expect((await op.request('GET', '/api/operator/sales/pq-bad/queueing')).status).toBe(404);
  });

  it('shuffles everyone who pre-queued into the first places at the opening; later arrivals come after', async () => {
    const opensAt = clock.now() + 30_000;
    await createSale(
      app.url,
      {
        ...generalSale('pq', 20, {
          opensAt,
          // nobody loses their place while the test's clock jumps to the opening
          admission: {
            usersPerInterval: 1_000,
            intervalMs: 100,
            maxActive: 1_000,
            heartbeatTimeoutMs: 600_000,
          },
        }),
        queueing: { preQueue: true },
      },
      ['warm-up'],
    );
    const early = await Promise.all(
      ['Ann', 'Ben', 'Cat', 'Dan', 'Eve'].map((name) => new Buyer(app.url).login(name)),
    );
    for (const buyer of early) {
      const joined = await joinWith(buyer, 'pq');
      expect(joined.status).toBe(201);
      expect(joined.body.queue).toMatchObject({ state: 'PRE_QUEUE', lane: 'pre-queue', opensAt });
      // come back just after the opening (at most 30 s from now)
      expect(joined.body.queue.refreshMs).toBe(30_000);
      expect(joined.headers.get('retry-after')).toBe('30');
    }
    const status = await queueOf(early[0]!, 'pq');
    expect(status.status).toBe(200);
    expect(status.body.queue.state).toBe('PRE_QUEUE');

    clock.advance(30_000);
    const tickets = new Map<string, number>();
    for (const buyer of early) {
      await buyer.waitForAdmission('pq');
      tickets.set(buyer.userId, (await queueOf(buyer, 'pq')).body.queue.ticket);
    }
    // every pre-queued buyer got one of the first places: the order is a draw, not asserted
    expect([...tickets.values()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    for (const [index, buyer] of early.entries()) {
      const held = await buyer.reserve('pq', { quantity: 1 }, `pq-${index}`);
      expect(held.status).toBe(201);
    }

    const late = await new Buyer(app.url).login('Late');
    const joined = await joinWith(late, 'pq');
    expect(joined.status).toBe(201);
    expect(joined.body.queue.state).not.toBe('PRE_QUEUE');
    expect(joined.body.queue.ticket).toBeGreaterThan(5);
    await late.waitForAdmission('pq');
  });
});
