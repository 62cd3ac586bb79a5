import { SIMULATOR_CARDS } from '@seatrush/core/ports';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import type { RunningApp } from '../src/server';
import { Buyer, operator, sleep, startTestApp } from './support/harness';

const checkoutPath = (reservationId: string) => `/api/sales/demo/reservations/${reservationId}/checkout`;

/** The JSON body of a provider's webhook about a 150.00 USD payment of a reservation. */
function webhookBody(id: string, type: string, paymentId: string, reservationId: string): string {
  return JSON.stringify({
    id,
    type,
    created: Date.now(),
    data: { paymentId, reservationId, amountCents: 15_000, currency: 'usd', failureCode: null },
  });
}

/** A buyer admitted to the demo sale with one seat held; answers the reservation id. */
async function holding(app: RunningApp, name: string, seatId: string): Promise<[Buyer, string]> {
  const buyer = await (await new Buyer(app.url).login(name)).enter('demo');
  const held = await buyer.reserve('demo', { seatIds: [seatId] }, `${name}-${seatId}`);
  expect(held.status).toBe(201);
  return [buyer, held.body.reservation.id];
}

describe('the buyer pays within the hold (CHECKOUT=buyer)', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp({ CHECKOUT: 'buyer' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('never confirms a held seat without the buyer paying, and tells the page who pays', async () => {
    const [buyer, reservationId] = await holding(app, 'Ada', 'floor-A1');
    const config = await buyer.request('GET', '/api/checkout');
    expect(config.body).toEqual({ mode: 'buyer', provider: 'simulator', testCards: SIMULATOR_CARDS });
    // the worker has had every chance to pay by itself (it did in `auto`): it must not have
    await sleep(400);
    const view = await buyer.request('GET', `/api/sales/demo/reservations/${reservationId}`);
    expect(view.body.reservation).toMatchObject({ status: 'HELD', paymentId: null });
    expect((await app.platform.runtime.ports.inventory.seatStates('demo'))['floor-A1']).toBe('HELD');
    const status = await buyer.request('GET', checkoutPath(reservationId));
    expect(status.body.checkout).toMatchObject({ state: 'HELD', payment: null });
  });

  it('takes a declined card, then a 3-D Secure card, and confirms the seat once the bank approves', async () => {
    const [buyer, reservationId] = await holding(app, 'Ben', 'floor-A2');
    const begun = await buyer.request('POST', checkoutPath(reservationId));
    expect(begun.status).toBe(200);
    const { payment } = begun.body;
    expect(payment).toMatchObject({ reservationId, amountCents: 15_000, currency: 'usd' });
    expect(payment.maxExpiresAt).toBeGreaterThanOrEqual(payment.expiresAt);
    // a second "Pay" (a refresh) resumes the same payment
    const again = await buyer.request('POST', checkoutPath(reservationId));
    expect(again.body.payment.paymentId).toBe(payment.paymentId);

    const pay = (card: string) =>
      buyer.request('POST', `/api/simulator/payments/${payment.paymentId}/confirm`, {
        body: { clientSecret: payment.clientSecret, card },
      });
    const declined = await pay(SIMULATOR_CARDS.declined);
    expect(declined.status).toBe(402);
    expect(declined.body.error).toMatchObject({ code: 'PAYMENT_DECLINED', failureCode: 'card_declined' });
    const pending = await buyer.request('GET', checkoutPath(reservationId));
    expect(pending.body.checkout).toMatchObject({ state: 'PAYMENT_PENDING' });
    expect(pending.body.checkout.payment.lastFailureCode).toBe('card_declined');

    const challenged = await pay(SIMULATOR_CARDS.threeDSecure);
    expect(challenged.body).toEqual({ status: 'REQUIRES_ACTION' });
    expect((await app.platform.runtime.ports.repository.get(reservationId))?.status).toBe('PAYMENT_PENDING');
    const approved = await buyer.request(
      'POST',
      `/api/simulator/payments/${payment.paymentId}/authenticate`,
      {
        body: { clientSecret: payment.clientSecret, approve: true },
      },
    );
    expect(approved.body).toEqual({ status: 'SUCCEEDED' });

    const result = await buyer.waitForResult('demo', reservationId);
    expect(result).toMatchObject({ status: 'CONFIRMED', paymentId: payment.paymentId });
    expect((await app.platform.runtime.ports.inventory.seatStates('demo'))['floor-A2']).toBe('CONFIRMED');
    // a paid reservation cannot be paid again nor left
    const late = await buyer.request('POST', checkoutPath(reservationId));
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('ALREADY_PAID');
    const leave = await buyer.request('DELETE', checkoutPath(reservationId));
    expect(leave.body.outcome).toBe('CONFIRMED');
  });

  it('gives the seat back at once and voids the payment when the buyer leaves', async () => {
    const [buyer, reservationId] = await holding(app, 'Cy', 'floor-A3');
    const { payment } = (await buyer.request('POST', checkoutPath(reservationId))).body;
    const left = await buyer.request('DELETE', checkoutPath(reservationId));
    expect(left.status).toBe(200);
    expect(left.body).toMatchObject({ outcome: 'FAILED', reservation: { status: 'FAILED' } });
    expect((await app.platform.runtime.ports.inventory.seatStates('demo'))['floor-A3']).toBe('AVAILABLE');
    const row = await app.platform.runtime.ports.repository.get(reservationId);
    expect(row).toMatchObject({ status: 'COMPENSATED', failureReason: 'CHECKOUT_ABANDONED' });
    const atProvider = app.platform
      .paymentProvider!.payments()
      .find((p) => p.paymentId === payment.paymentId);
    expect(atProvider?.status).toBe('CANCELED');
    // the card form cannot pay a voided payment
    const paid = await buyer.request('POST', `/api/simulator/payments/${payment.paymentId}/confirm`, {
      body: { clientSecret: payment.clientSecret, card: SIMULATOR_CARDS.approved },
    });
    expect(paid.status).toBe(409);
    expect(paid.body.error.code).toBe('NOT_CONFIRMABLE');
  });

  it('refuses another buyer, a wrong client secret and a malformed card, changing nothing', async () => {
    const [owner, reservationId] = await holding(app, 'Dee', 'floor-A4');
    const { payment } = (await owner.request('POST', checkoutPath(reservationId))).body;
    const stranger = await new Buyer(app.url).login('Eli');
    for (const [method, path] of [
      ['POST', checkoutPath(reservationId)],
      ['GET', checkoutPath(reservationId)],
      ['POST', `${checkoutPath(reservationId)}/extend`],
      ['DELETE', checkoutPath(reservationId)],
    ] as const) {
      const answer = await stranger.request(method, path);
      expect(answer.status, `${method} ${path}`).toBe(404);
    }
    const wrongSecret = await stranger.request(
      'POST',
      `/api/simulator/payments/${payment.paymentId}/confirm`,
      {
        body: { clientSecret: 'sim_pi_guess', card: SIMULATOR_CARDS.approved },
      },
    );
    expect(wrongSecret.status).toBe(404);
    const badCard = await owner.request('POST', `/api/simulator/payments/${payment.paymentId}/confirm`, {
      body: { clientSecret: payment.clientSecret, card: '4242-4242' },
    });
    expect(badCard.status).toBe(400);
    const unknown = await owner.request('POST', checkoutPath('no-such-reservation'));
    expect(unknown.status).toBe(404);
    expect((await owner.request('GET', checkoutPath(reservationId))).body.checkout.state).toBe(
      'PAYMENT_PENDING',
    );
    expect((await app.platform.runtime.ports.inventory.seatStates('demo'))['floor-A4']).toBe('HELD');
  });

  it('extends the hold on the heartbeat, never past its bound', async () => {
    const [buyer, reservationId] = await holding(app, 'Flo', 'floor-A5');
    const { payment } = (await buyer.request('POST', checkoutPath(reservationId))).body;
    const beat = await buyer.request('POST', `${checkoutPath(reservationId)}/extend`);
    expect(beat.status).toBe(200);
    expect(beat.body.payment.expiresAt).toBeGreaterThanOrEqual(payment.expiresAt);
    expect(beat.body.payment.expiresAt).toBeLessThanOrEqual(payment.maxExpiresAt);
  });

  it('shows the operator the payments in progress and the failures', async () => {
    const [buyer, reservationId] = await holding(app, 'Gus', 'floor-A6');
    const { payment } = (await buyer.request('POST', checkoutPath(reservationId))).body;
    await buyer.request('POST', `/api/simulator/payments/${payment.paymentId}/confirm`, {
      body: { clientSecret: payment.clientSecret, card: SIMULATOR_CARDS.insufficientFunds },
    });
    const op = operator(app.url);
    const during = await op.request('GET', '/api/operator/checkout');
    expect(during.status).toBe(200);
    expect(during.body.mode).toBe('buyer');
    expect(during.body.inProgress).toContainEqual(
      expect.objectContaining({ reservationId, step: 'CARD', lastFailureCode: 'insufficient_funds' }),
    );
    expect(during.body.failures).toContainEqual(
      expect.objectContaining({ reservationId, kind: 'DECLINED', code: 'insufficient_funds' }),
    );
    await buyer.request('DELETE', checkoutPath(reservationId));
    const after = await op.request('GET', '/api/operator/checkout');
    expect(after.body.inProgress.map((p: { reservationId: string }) => p.reservationId)).not.toContain(
      reservationId,
    );
    expect(after.body.failures[0]).toMatchObject({
      reservationId,
      kind: 'FAILED',
      code: 'CHECKOUT_ABANDONED',
    });
    expect((await new Buyer(app.url).request('GET', '/api/operator/checkout')).status).toBe(401);
  });

  it('verifies the provider webhook endpoint: a forgery is a 400, a replay is answered DUPLICATE', async () => {
    const [buyer, reservationId] = await holding(app, 'Hal', 'floor-A7');
    const { payment } = (await buyer.request('POST', checkoutPath(reservationId))).body;
    const provider = app.platform.paymentProvider!;
    const forged = webhookBody('evt_forged_1', 'payment.succeeded', payment.paymentId, reservationId);
    const unsigned = await buyer.request('POST', '/api/webhooks/payments', {
      rawBody: forged,
      headers: { 'seatrush-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` },
    });
    expect(unsigned.status).toBe(400);
    expect(unsigned.body.error.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    // signed for another body: tampering is caught too
    const tampered = await buyer.request('POST', '/api/webhooks/payments', {
      rawBody: forged,
      headers: provider.signatureHeader(forged.replace('evt_forged_1', 'evt_other')),
    });
    expect(tampered.status).toBe(400);
    expect((await app.platform.runtime.ports.repository.get(reservationId))?.status).toBe('PAYMENT_PENDING');

    const action = webhookBody('evt_3ds_1', 'payment.requires_action', payment.paymentId, reservationId);
    const first = await buyer.request('POST', '/api/webhooks/payments', {
      rawBody: action,
      headers: provider.signatureHeader(action),
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ received: true, eventId: 'evt_3ds_1', outcome: 'EXTENDED' });
    const replay = await buyer.request('POST', '/api/webhooks/payments', {
      rawBody: action,
      headers: provider.signatureHeader(action),
    });
    expect(replay.body.outcome).toBe('DUPLICATE');
  });
});

describe('the checkout routes when the worker pays at once (CHECKOUT=auto, the default)', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('says the app pays itself and refuses a buyer checkout with 409 CHECKOUT_OFF', async () => {
    const [buyer, reservationId] = await holding(app, 'Ida', 'floor-B1');
    expect((await buyer.request('GET', '/api/checkout')).body).toEqual({
      mode: 'auto',
      provider: null,
      testCards: null,
    });
    const begun = await buyer.request('POST', checkoutPath(reservationId));
    expect(begun.status).toBe(409);
    expect(begun.body.error.code).toBe('CHECKOUT_OFF');
    const hook = await buyer.request('POST', '/api/webhooks/payments', { rawBody: '{}' });
    expect(hook.status).toBe(409);
    expect((await buyer.waitForResult('demo', reservationId)).status).toBe('CONFIRMED');
  });
});

describe('the CHECKOUT setting', () => {
  it('defaults to auto, and refuses the buyer checkout without the worker in the process', () => {
    expect(loadConfig({}).checkout).toBe('auto');
    expect(loadConfig({ CHECKOUT: 'buyer' }).checkout).toBe('buyer');
    expect(() => loadConfig({ CHECKOUT: 'buyer', WORKER: 'false' })).toThrow(
      /CHECKOUT=buyer needs WORKER=true/,
    );
    expect(() => loadConfig({ CHECKOUT: 'card' })).toThrow(/CHECKOUT/);
  });
});
