import { uniqueName } from '@seatrush/test-support';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { RunningApp } from '../src/server';
import { Buyer, dropSchemas, serversEnv, startTestApp } from './support/harness';

describe('a logout on one instance holds on every instance (Redis, Kafka, PostgreSQL)', () => {
  const services = inject('services');
  const namespace = uniqueName('signout');
  const apps: RunningApp[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close();
    await dropSchemas(services.databaseUrl, [namespace]);
  });

  it('refuses the old cookie on the other instance once the buyer signed out on this one', async () => {
    // two instances of one deployment: the same servers, namespace and configured secret
    const env = {
      ...serversEnv(services),
      NAMESPACE: namespace,
      SESSION_SECRET: 'sign-out-session-secret-0123456789abcdefghij',
    };
    const one = await startTestApp(env);
    apps.push(one);
    const other = await startTestApp(env);
    apps.push(other);

    const buyer = await new Buyer(one.url).login('Ines');
    const elsewhere = new Buyer(other.url);
    elsewhere.cookies = new Map(buyer.cookies);
    expect((await elsewhere.request('GET', '/api/me')).body).toEqual({
      user: { id: buyer.userId, name: 'Ines' },
    });
    expect((await elsewhere.request('GET', '/api/sales/demo/queue/place')).status).toBe(200);

    expect((await buyer.request('POST', '/api/logout')).status).toBe(204);
    const refused = await elsewhere.request('GET', '/api/sales/demo/queue/place');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'BLOCKED', reason: 'SIGNED_OUT' });
    expect((await elsewhere.join('demo')).status).toBe(403);
    expect(await other.platform.runtime.sale('demo')?.queue.status({ userId: buyer.userId })).toBeNull();
    expect((await elsewhere.request('GET', '/api/me')).status).toBe(401);
  });
});
