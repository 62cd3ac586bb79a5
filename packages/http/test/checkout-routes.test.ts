import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CheckoutPayment,
  createSeatRushRuntime,
  memoryPorts,
  type SeatRushRuntime,
  SimulatedPaymentProvider,
} from '@seatrush/core';
import { SIMULATOR_CARDS } from '@seatrush/core/ports';
import { afterEach, describe, expect, it } from 'vitest';
import { createSeatRushHttp, nodeHandler, type SeatRushHttp } from '../src';
import { ADMISSION_SECRET, generalSale, headerIdentity, OPERATOR_TOKEN } from './support';

interface Checkout {
  runtime: SeatRushRuntime;
  api: SeatRushHttp;
  server: Server;
  provider: SimulatedPaymentProvider;
  payments: Array<{ saleId: string; userId: string; payment: CheckoutPayment }>;
  call(
    method: string,
    path: string,
    init?: { user?: string; headers?: Record<string, string>; body?: unknown; raw?: string },
  ): Promise<Response>;
  /** A hold of `user` (admitted first): its reservation id. */
  hold(user: string): Promise<string>;
}

/** The API over a runtime with a buyer-driven checkout on the simulator (webhooks kept for the test). */
async function startCheckout(): Promise<Checkout> {
  const provider = new SimulatedPaymentProvider({ webhookSecret: 'whsec_test_0123456789abcdef' });
  const runtime = createSeatRushRuntime({
    ports: memoryPorts(),
    admissionSecret: ADMISSION_SECRET,
    checkout: { provider },
    loops: { admission: false },
  });
  await runtime.start();
  await runtime.define(generalSale());
  const payments: Checkout['payments'] = [];
  const api = createSeatRushHttp({
    runtime,
    identify: headerIdentity,
    authorizeOperator: (request) => request.headers.authorization === `Bearer ${OPERATOR_TOKEN}`,
    onPayment: (event) => payments.push(event),
  });
  const server = createServer(nodeHandler(api, { basePath: '/api' }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  const call: Checkout['call'] = (method, path, init = {}) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        ...(init.user ? { 'x-test-user': init.user } : {}),
        ...(init.body === undefined && init.raw === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      ...(init.raw !== undefined
        ? { body: init.raw }
        : init.body === undefined
          ? {}
          : { body: JSON.stringify(init.body) }),
    });
  const hold = async (user: string) => {
    await call('POST', '/sales/ga/queue', { user, body: {} });
    await runtime.sale('ga')?.queue.tick();
    const { queue } = (await (await call('GET', '/sales/ga/queue', { user })).json()) as {
      queue: { admissionToken: string };
    };
    const held = await call('POST', '/sales/ga/reservations', {
      user,
      headers: { 'idempotency-key': `k-${user}`, 'x-admission-token': queue.admissionToken },
      body: { quantity: 1 },
    });
    expect(held.status).toBe(201);
    return ((await held.json()) as { reservation: { id: string } }).reservation.id;
  };
  return { runtime, api, server, provider, payments, call, hold };
}

describe('the buyer-driven checkout over HTTP', () => {
  let t: Checkout | undefined;
  afterEach(async () => {
    if (!t) return;
    t.api.close();
    t.server.closeAllConnections();
    t.server.close();
    await t.runtime.close();
    t = undefined;
  });

  it('begins a payment, keeps the hold alive, and confirms it from the signed webhook', async () => {
    t = await startCheckout();
    expect(await (await t.call('GET', '/checkout')).json()).toEqual({ mode: 'buyer', provider: 'simulator' });
    const id = await t.hold('ana');
    const path = `/sales/ga/reservations/${id}/checkout`;
    const begun = await t.call('POST', path, { user: 'ana' });
    expect(begun.status).toBe(200);
    const { payment } = (await begun.json()) as { payment: CheckoutPayment };
    expect(payment).toMatchObject({ reservationId: id, provider: 'simulator', amountCents: 5_000 });
    // a repeat answers the same payment
    const again = (await (await t.call('POST', path, { user: 'ana' })).json()) as {
      payment: CheckoutPayment;
    };
    expect(again.payment.paymentId).toBe(payment.paymentId);
    const extended = await t.call('POST', `${path}/extend`, { user: 'ana' });
    expect(extended.status).toBe(200);
    expect(t.payments.map((p) => [p.userId, p.payment.paymentId])).toEqual([
      ['ana', payment.paymentId],
      ['ana', payment.paymentId],
      ['ana', payment.paymentId],
    ]);
    const status = (await (await t.call('GET', path, { user: 'ana' })).json()) as {
      checkout: { state: string };
    };
    expect(status.checkout.state).toBe('PAYMENT_PENDING');

    const paid = await t.provider.confirm({
      paymentId: payment.paymentId,
      clientSecret: payment.clientSecret as string,
      card: SIMULATOR_CARDS.approved,
    });
    expect(paid.ok).toBe(true);
    const [webhook] = t.provider.takeWebhooks();
    if (!webhook) throw new Error('no webhook');
    const raw =
      typeof webhook.payload === 'string' ? webhook.payload : Buffer.from(webhook.payload).toString();
    const headers = Object.fromEntries(Object.entries(webhook.headers).map(([k, v]) => [k, String(v)]));
    const forged = await t.call('POST', '/webhooks/payments', { raw: raw.replace('}', ' }'), headers });
    expect(forged.status).toBe(400);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe(
      'WEBHOOK_SIGNATURE_INVALID',
    );
    const delivered = await t.call('POST', '/webhooks/payments', { raw, headers });
    expect(delivered.status).toBe(200);
    expect(await delivered.json()).toMatchObject({ received: true, outcome: 'CONFIRMED' });
    const replay = await t.call('POST', '/webhooks/payments', { raw, headers });
    expect(await replay.json()).toMatchObject({ received: true, outcome: 'DUPLICATE' });
    const after = (await (await t.call('GET', path, { user: 'ana' })).json()) as {
      checkout: { state: string };
    };
    expect(after.checkout.state).toBe('CONFIRMED');
    // paid: a new begin is refused with the SDK's code
    const late = await t.call('POST', path, { user: 'ana' });
    expect(late.status).toBe(409);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe('ALREADY_PAID');
  });

  it('gives the seats back when the buyer leaves, and refuses another buyer, changing nothing', async () => {
    t = await startCheckout();
    const id = await t.hold('ana');
    const path = `/sales/ga/reservations/${id}/checkout`;
    expect((await t.call('POST', path, { user: 'ana' })).status).toBe(200);
    for (const [method, suffix] of [
      ['POST', ''],
      ['GET', ''],
      ['POST', '/extend'],
      ['DELETE', ''],
    ] as const) {
      const res = await t.call(method, `${path}${suffix}`, { user: 'ben' });
      expect(res.status, `${method} ${suffix}`).toBe(404);
    }
    expect((await t.runtime.ports.inventory.counts('ga')).held).toBe(1);
    const left = await t.call('DELETE', path, { user: 'ana' });
    expect(left.status).toBe(200);
    expect(await left.json()).toMatchObject({ outcome: 'FAILED', reservation: { id, status: 'FAILED' } });
    expect((await t.runtime.ports.inventory.counts('ga')).held).toBe(0);
    expect((await t.call('DELETE', `/sales/ga/reservations/nope/checkout`, { user: 'ana' })).status).toBe(
      404,
    );
  });

  it('answers 503 when the provider is down, and 409 CHECKOUT_OFF in the auto-pay mode', async () => {
    t = await startCheckout();
    const id = await t.hold('ana');
    t.provider.fail(1);
    const down = await t.call('POST', `/sales/ga/reservations/${id}/checkout`, { user: 'ana' });
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');
    expect((await t.call('GET', `/sales/ga/reservations/${id}/checkout`, { user: 'ana' })).status).toBe(200);

    const auto = createSeatRushRuntime({
      ports: memoryPorts(),
      payments: { charge: async () => ({ ok: true, paymentId: 'p' }), refund: async () => undefined },
      admissionSecret: ADMISSION_SECRET,
      loops: { admission: false, worker: false },
    });
    await auto.start();
    await auto.define(generalSale());
    const api = createSeatRushHttp({
      runtime: auto,
      identify: headerIdentity,
      authorizeOperator: () => false,
    });
    const server = createServer(nodeHandler(api, { basePath: '/api' }));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
    try {
      expect(await (await fetch(`${base}/checkout`)).json()).toEqual({ mode: 'auto', provider: null });
      const off = await fetch(`${base}/sales/ga/reservations/r1/checkout`, {
        method: 'POST',
        headers: { 'x-test-user': 'ana' },
      });
      expect(off.status).toBe(409);
      expect(((await off.json()) as { error: { code: string } }).error.code).toBe('CHECKOUT_OFF');
      const hook = await fetch(`${base}/webhooks/payments`, { method: 'POST', body: '{}' });
      expect(hook.status).toBe(409);
    } finally {
      api.close();
      server.closeAllConnections();
      server.close();
      await auto.close();
    }
  });
});
