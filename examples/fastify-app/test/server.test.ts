import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { serveSale } from '../src/server';

const sale = {
  id: 'gig',
  name: 'A gig',
  inventory: { kind: 'general' as const, capacity: 5, tier: 'std' },
  tiers: [{ id: 'std', name: 'Standard', priceCents: 2_500 }],
  opensAt: 0,
  holdMs: 60_000,
  admission: { usersPerInterval: 10, intervalMs: 100, maxActive: 100 },
  limits: { ticketsPerUser: 2 },
};

describe('the Fastify example', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  it('serves a sale: sign in, queue, get admitted, reserve, and the operator API behind its token', async () => {
    const app = await serveSale(sale, { operatorToken: 'op-token-0123456789' });
    close = () => app.close();
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const login = await fetch(`${base}/login`, { method: 'POST' });
    expect(login.status).toBe(201);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const origin = base;
    const joined = await fetch(`${base}/api/sales/gig/queue`, {
      method: 'POST',
      headers: { cookie, origin },
    });
    expect(joined.status).toBe(201);
    // the admission loop runs every 100 ms
    let token: string | undefined;
    await expect
      .poll(async () => {
        const status = (await (
          await fetch(`${base}/api/sales/gig/queue`, { headers: { cookie } })
        ).json()) as {
          queue: { admissionToken?: string };
        };
        token = status.queue.admissionToken;
        return token !== undefined;
      })
      .toBe(true);
    const held = await fetch(`${base}/api/sales/gig/reservations`, {
      method: 'POST',
      headers: {
        cookie,
        origin,
        'content-type': 'application/json',
        'idempotency-key': 'k1',
        'x-admission-token': token as string,
      },
      body: JSON.stringify({ quantity: 2 }),
    });
    expect(held.status).toBe(201);
    expect((await fetch(`${base}/api/operator/sales`)).status).toBe(401);
    const sales = await fetch(`${base}/api/operator/sales`, {
      headers: { authorization: 'Bearer op-token-0123456789' },
    });
    expect(await sales.json()).toEqual({ sales: [{ id: 'gig', name: 'A gig', state: 'OPEN' }] });
  });
});
