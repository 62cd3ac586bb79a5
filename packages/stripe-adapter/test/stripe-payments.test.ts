import { generalSaleDefinition, reserveRequest, units } from '@seatrush/conformance';
import { parseSaleDefinition, WebhookSignatureError } from '@seatrush/core';
import {
  MemoryAlertSink,
  MemoryCheckoutStore,
  MemoryEventBus,
  MemoryInventoryStore,
  MemoryNotificationOutbox,
  MemoryReservationRepository,
} from '@seatrush/core/memory';
import { Checkout } from '@seatrush/core/services';
import { ManualClock } from '@seatrush/core/testing';
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { METADATA, stripePayments } from '../src';
import { stripeStandIn } from './stripe-stand-in';

const SECRET = 'whsec_test_secret';
const signer = new Stripe('sk_test_signing_only');

/** A Stripe event of `type` about `intent`, signed as Stripe signs it (the library's own helper). */
function signed(
  type: string,
  intent: Record<string, unknown>,
  options: { id?: string; timestamp?: number; secret?: string } = {},
) {
  const payload = JSON.stringify({
    id: options.id ?? `evt_${Math.random().toString(36).slice(2)}`,
    object: 'event',
    type,
    created: Math.floor(Date.now() / 1000),
    data: { object: intent },
  });
  const header = signer.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? SECRET,
    ...(options.timestamp ? { timestamp: options.timestamp } : {}),
  });
  return { payload, headers: { 'Stripe-Signature': header } };
}

const intent = (overrides: Record<string, unknown> = {}) => ({
  id: 'pi_1',
  object: 'payment_intent',
  amount: 5_000,
  amount_received: 0,
  currency: 'eur',
  status: 'requires_payment_method',
  client_secret: 'pi_1_secret',
  metadata: { [METADATA.reservationId]: 'r-1' },
  last_payment_error: null,
  ...overrides,
});

describe('stripePayments: webhooks (verified by stripe.webhooks.constructEvent)', () => {
  const provider = stripePayments(signer, { webhookSecret: SECRET });

  it('maps the PaymentIntent events the checkout acts on', () => {
    const cases = [
      [
        'payment_intent.succeeded',
        intent({ status: 'succeeded', amount_received: 5_000 }),
        'PAYMENT_SUCCEEDED',
        null,
      ],
      [
        'payment_intent.payment_failed',
        intent({ last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds' } }),
        'PAYMENT_FAILED',
        'insufficient_funds',
      ],
      ['payment_intent.canceled', intent({ status: 'canceled' }), 'PAYMENT_CANCELED', null],
      [
        'payment_intent.requires_action',
        intent({ status: 'requires_action' }),
        'PAYMENT_REQUIRES_ACTION',
        null,
      ],
      ['payment_intent.processing', intent({ status: 'processing' }), 'PAYMENT_PROCESSING', null],
    ] as const;
    for (const [type, object, expected, failureCode] of cases) {
      expect(provider.verifyWebhook(signed(type, object, { id: 'evt_1' }))).toMatchObject({
        eventId: 'evt_1',
        type: expected,
        paymentId: 'pi_1',
        reservationId: 'r-1',
        amountCents: 5_000,
        currency: 'eur',
        failureCode,
      });
    }
    expect(
      provider.verifyWebhook(signed('charge.updated', { id: 'ch_1', object: 'charge' }, { id: 'evt_2' })),
    ).toMatchObject({
      eventId: 'evt_2',
      type: 'IGNORED',
      providerType: 'charge.updated',
    });
  });

  it('refuses a wrong secret, a tampered body, a stale signature and a missing header', () => {
    const good = signed('payment_intent.succeeded', intent({ status: 'succeeded' }));
    const forged = [
      signed('payment_intent.succeeded', intent({ status: 'succeeded' }), { secret: 'whsec_other' }),
      { payload: good.payload.replace('5000', '1'), headers: good.headers },
      signed('payment_intent.succeeded', intent(), { timestamp: Math.floor(Date.now() / 1000) - 3_600 }),
      { payload: good.payload, headers: {} },
    ];
    for (const delivery of forged)
      expect(() => provider.verifyWebhook(delivery)).toThrow(WebhookSignatureError);
    expect(provider.verifyWebhook({ payload: Buffer.from(good.payload), headers: good.headers }).type).toBe(
      'PAYMENT_SUCCEEDED',
    );
  });

  it('refuses to be built without a webhook secret', () => {
    expect(() => stripePayments(signer, { webhookSecret: '' })).toThrow(/webhookSecret/);
  });
});

describe('stripePayments: API calls through the official library (loopback stand-in)', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('creates a PaymentIntent with the amount, the reservation in metadata and the Idempotency-Key', async () => {
    const api = await stripeStandIn();
    closers.push(api.close);
    const provider = stripePayments(api.stripe, { webhookSecret: SECRET });
    const input = {
      reservationId: 'r-1',
      saleId: 's-1',
      userId: 'u-1',
      amountCents: 5_000,
      currency: 'eur',
      idempotencyKey: 'seatrush-payment-r-1',
    };
    const first = await provider.createPayment(input);
    const again = await provider.createPayment(input);
    expect(first).toEqual({
      paymentId: 'pi_1',
      reservationId: 'r-1',
      status: 'REQUIRES_PAYMENT_METHOD',
      amountCents: 5_000,
      currency: 'eur',
      clientSecret: 'pi_1_secret_x',
      lastFailureCode: null,
    });
    expect(again.paymentId).toBe('pi_1');
    const [request] = api.requests;
    expect(request).toMatchObject({
      method: 'POST',
      path: '/v1/payment_intents',
      idempotencyKey: 'seatrush-payment-r-1',
    });
    expect(Object.fromEntries(request!.params)).toMatchObject({
      amount: '5000',
      currency: 'eur',
      'automatic_payment_methods[enabled]': 'true',
      'metadata[seatrush_reservation_id]': 'r-1',
      'metadata[seatrush_sale_id]': 's-1',
      'metadata[seatrush_user_id]': 'u-1',
    });
  });

  it('voids an unpaid PaymentIntent, answers a paid one as SUCCEEDED without cancelling, refunds by key', async () => {
    const api = await stripeStandIn();
    closers.push(api.close);
    const provider = stripePayments(api.stripe, { webhookSecret: SECRET });
    const base = { saleId: 's', userId: 'u', amountCents: 100, currency: 'eur' };
    const unpaid = await provider.createPayment({ ...base, reservationId: 'r-a', idempotencyKey: 'a' });
    const paid = await provider.createPayment({ ...base, reservationId: 'r-b', idempotencyKey: 'b' });
    api.succeed(paid.paymentId);
    expect(
      await provider.cancelPayment({ paymentId: unpaid.paymentId, idempotencyKey: 'void-a' }),
    ).toMatchObject({ status: 'CANCELED', clientSecret: null });
    expect(
      await provider.cancelPayment({ paymentId: paid.paymentId, idempotencyKey: 'void-b' }),
    ).toMatchObject({ status: 'SUCCEEDED' });
    expect(api.requests.filter((r) => r.path.endsWith('/cancel')).map((r) => r.path)).toEqual([
      `/v1/payment_intents/${unpaid.paymentId}/cancel`,
    ]);
    await provider.refundPayment({
      paymentId: paid.paymentId,
      reason: 'LATE_PAYMENT',
      idempotencyKey: 'refund-b',
    });
    const refund = api.requests.find((r) => r.path === '/v1/refunds')!;
    expect(refund.idempotencyKey).toBe('refund-b');
    expect(Object.fromEntries(refund.params)).toMatchObject({
      payment_intent: paid.paymentId,
      'metadata[seatrush_reason]': 'LATE_PAYMENT',
    });
  });

  it('turns an unreachable Stripe into an InfrastructureError the caller retries', async () => {
    const api = await stripeStandIn();
    await api.close();
    const provider = stripePayments(api.stripe, { webhookSecret: SECRET });
    await expect(provider.getPayment('pi_1')).rejects.toMatchObject({ code: 'INFRASTRUCTURE' });
  });

  it("runs a whole checkout: PaymentIntent, Stripe's signed succeeded webhook, confirmed hold", async () => {
    const api = await stripeStandIn();
    closers.push(api.close);
    const clock = new ManualClock(Date.now());
    const repository = new MemoryReservationRepository();
    await repository.saveSale(
      parseSaleDefinition({
        ...generalSaleDefinition('st', { capacity: 2 }),
        tiers: [{ id: 'std', name: 'Std', priceCents: 3_000 }],
      }),
    );
    const inventory = new MemoryInventoryStore();
    await inventory.load((await repository.loadSnapshot('st'))!);
    const outbox = new MemoryNotificationOutbox();
    const checkout = new Checkout({
      provider: stripePayments(api.stripe, { webhookSecret: SECRET }),
      store: new MemoryCheckoutStore(repository, outbox),
      inventory,
      repository,
      publisher: new MemoryEventBus(),
      alerts: new MemoryAlertSink(),
      clock,
    });
    const held = await inventory.reserve(
      reserveRequest('st', 'ana', units(2), clock.now(), { reservationId: 'r-ana', idempotencyKey: 'k-ana' }),
    );
    expect(held.ok).toBe(true);
    const begun = await checkout.begin({ saleId: 'st', reservationId: 'r-ana', userId: 'ana' });
    if (!begun.ok) throw new Error(begun.code);
    expect(begun.payment).toMatchObject({
      provider: 'stripe',
      amountCents: 6_000,
      clientSecret: 'pi_1_secret_x',
    });
    const paid = api.succeed(begun.payment.paymentId);
    const delivery = signed('payment_intent.succeeded', paid, { id: 'evt_paid' });
    expect(await checkout.handleWebhook(delivery)).toEqual({ eventId: 'evt_paid', outcome: 'CONFIRMED' });
    expect(await checkout.handleWebhook(delivery)).toEqual({ eventId: 'evt_paid', outcome: 'DUPLICATE' });
    expect(await repository.get('r-ana')).toMatchObject({
      status: 'CONFIRMED',
      paymentId: 'pi_1',
      amountCents: 6_000,
    });
    expect(await inventory.counts('st')).toMatchObject({ available: 0, confirmed: 2, held: 0 });
  });
});
