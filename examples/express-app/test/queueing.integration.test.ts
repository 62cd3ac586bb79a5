import { describe, expect, it } from 'vitest';
import { Buyer, generalSale, openSale, operator, serversSuite, sleep } from './support/harness';

describe('the live queueing method on Redis, Kafka and PostgreSQL', () => {
  const suite = serversSuite('queueing');

  it('switches reject, passthrough and random for every join and tick through the Redis store', async () => {
    const { app } = suite;
    await openSale(
      app.url,
      generalSale('rq', 50, { admission: { usersPerInterval: 5, intervalMs: 100, maxActive: 5 } }),
    );
    const op = operator(app.url);
    const method = (name: string) =>
      op.request('PUT', '/api/operator/sales/rq/queueing', { body: { method: name } });

    expect((await method('reject')).body.queueing.method).toBe('reject');
    const turnedAway = await new Buyer(app.url).login('Early');
    expect((await turnedAway.join('rq')).body.error.code).toBe('SOLD_OUT');

    expect((await method('passthrough')).status).toBe(200);
    const first = await new Buyer(app.url).login('First');
    expect((await first.join('rq')).body.queue.state).toBe('ADMITTED');

    // random under a bound of five: four more of thirty get in, drawn among them
    expect((await op.request('POST', '/api/operator/sales/rq/pause')).status).toBe(200);
    expect((await method('random')).status).toBe(200);
    const buyers: Buyer[] = [];
    for (let i = 0; i < 30; i++) {
      const buyer = await new Buyer(app.url).login(`Rq ${i}`);
      expect((await buyer.join('rq')).status).toBe(201);
      buyers.push(buyer);
    }
    expect((await op.request('POST', '/api/operator/sales/rq/resume')).status).toBe(200);
    let admitted: number[] = [];
    for (let attempt = 0; attempt < 200 && admitted.length < 4; attempt++) {
      await sleep(50);
      const states = await Promise.all(
        buyers.map(async (buyer) => (await buyer.request('GET', '/api/sales/rq/queue')).body.queue.state),
      );
      admitted = states.flatMap((state, index) => (state === 'ADMITTED' ? [index] : []));
    }
    expect(admitted).toHaveLength(4);
    // FIFO would admit arrivals 0-3; a uniform draw does so with probability 1 / C(30, 4) ≈ 4e-5
    expect(admitted).not.toEqual([0, 1, 2, 3]);
  }, 60_000);
});
