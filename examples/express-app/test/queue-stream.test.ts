import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../src/server';
import { EventStream } from './support/event-stream';
import { Buyer, generalSale, openSale, operator, startTestApp } from './support/harness';

describe('the live queue stream under the random method', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp({ DEMO_SALE: 'none' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('tells a buyer drawn ahead of the serving counter that they are admitted', async () => {
    await openSale(
      app.url,
      generalSale('rs', 20, { admission: { usersPerInterval: 1, intervalMs: 100, maxActive: 100 } }),
    );
    const op = operator(app.url);
    expect((await op.request('POST', '/api/operator/sales/rs/pause')).status).toBe(200);
    expect(
      (await op.request('PUT', '/api/operator/sales/rs/queueing', { body: { method: 'random' } })).status,
    ).toBe(200);
    const buyers: Buyer[] = [];
    for (const name of ['R1', 'R2', 'R3', 'R4', 'R5']) {
      const buyer = await new Buyer(app.url).login(name);
      expect((await buyer.join('rs')).status).toBe(201);
      buyers.push(buyer);
    }
    const last = buyers[4]!;
    expect((await last.request('GET', '/api/sales/rs/queue')).body.queue.ticket).toBe(5);
    const stream = await EventStream.open(last, '/api/sales/rs/queue/stream');
    // the others leave: the last arrival is the only one to draw, while the counter counts one admission
    for (const buyer of buyers.slice(0, 4)) {
      expect((await buyer.request('DELETE', '/api/sales/rs/queue')).status).toBe(204);
    }
    expect((await op.request('POST', '/api/operator/sales/rs/resume')).status).toBe(200);
    const admitted = await stream.next((event) => event.event === 'queue' && event.data.state === 'ADMITTED');
    expect(admitted.data.admissionToken).toEqual(expect.any(String));
    stream.close();
  });
});
