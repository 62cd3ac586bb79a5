import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';

const program = new URL('./serve-a-sale.ts', import.meta.url);
const readme = new URL('../../README.md', import.meta.url);

describe('the README example', () => {
  it('is shown verbatim in the README', () => {
    const text = readFileSync(readme, 'utf8');
    const marker = text.indexOf('<!-- example: test/readme/serve-a-sale.ts -->');
    expect(marker).toBeGreaterThan(-1);
    const block = /```ts\n([\s\S]*?)```/.exec(text.slice(marker))?.[1];
    expect(block).toBe(readFileSync(program, 'utf8'));
  });

  let close: (() => Promise<void>) | undefined;
  afterAll(async () => close?.());

  it('serves a sale: a signed-in buyer queues, is admitted, and reserves', async () => {
    process.env.PORT = '0';
    const { api, runtime, server, sessions } = await import('./serve-a-sale');
    close = async () => {
      api.close();
      server.closeAllConnections();
      server.close();
      await runtime.close();
    };
    if (!server.listening) await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
    const cookie = sessions.issue('alice', Date.now(), { secure: false }).setCookie.split(';')[0] as string;
    const origin = new URL(base).origin;
    const joined = await fetch(`${base}/sales/concert/queue`, {
      method: 'POST',
      headers: { cookie, origin },
    });
    expect(joined.status).toBe(201);
    let token: string | undefined;
    await expect
      .poll(async () => {
        const res = await fetch(`${base}/sales/concert/queue`, { headers: { cookie } });
        token = ((await res.json()) as { queue: { admissionToken?: string } }).queue.admissionToken;
        return token !== undefined;
      })
      .toBe(true);
    const held = await fetch(`${base}/sales/concert/reservations`, {
      method: 'POST',
      headers: {
        cookie,
        origin,
        'content-type': 'application/json',
        'idempotency-key': 'alice-1',
        'x-admission-token': token as string,
      },
      body: JSON.stringify({ quantity: 2 }),
    });
    expect(held.status).toBe(201);
    expect(((await held.json()) as { reservation: { quantity: number } }).reservation.quantity).toBe(2);
    // the operator API is behind the token the example did not print
    expect((await fetch(`${base}/operator/sales`)).status).toBe(401);
  });
});
