import { createHmac, createSecretKey, type KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { WebhookSignatureError } from '../checkout/errors';
import { SeatRushError } from '../common/errors';
import { validate } from '../common/validate';
import type { Clock } from '../ports/clock';
import { systemClock } from '../ports/clock';
import type {
  CreatePaymentInput,
  PaymentProvider,
  PaymentWebhookEvent,
  ProviderPayment,
  WebhookDelivery,
} from '../ports/payment-gateway';
import { PaymentUnavailableError } from './payment-gateway';

/**
 * The simulator's test cards, after Stripe's: what the buyer types decides what the bank does.
 * Any other number of 12 to 19 digits is approved too.
 */
export const SIMULATOR_CARDS = {
  /** Approved at once. */
  approved: '4242424242424242',
  /** The bank asks for 3-D Secure: the buyer must `authenticate` before it is approved. */
  threeDSecure: '4000002760003184',
  /** Declined (`card_declined`): the buyer may try another card while the hold lasts. */
  declined: '4000000000000002',
  /** Declined (`insufficient_funds`). */
  insufficientFunds: '4000000000009995',
} as const;

/** The header the simulator signs its webhooks in: `t=<seconds>,v1=<hex HMAC-SHA256>`. */
export const SIMULATOR_SIGNATURE_HEADER = 'seatrush-signature';

const CreateInput = z.object({
  reservationId: z.string().min(1).max(64),
  saleId: z.string().min(1).max(64),
  userId: z.string().min(1).max(64),
  amountCents: z.number().int().positive(),
  currency: z.string().regex(/^[a-z]{3}$/),
  idempotencyKey: z.string().min(1).max(255),
});
const ConfirmInput = z.object({
  paymentId: z.string().min(1),
  clientSecret: z.string().min(1),
  card: z.string().regex(/^\d{12,19}$/, 'a card number is 12 to 19 digits'),
});
const WebhookBody = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  created: z.number().int().nonnegative(),
  data: z.object({
    paymentId: z.string().min(1),
    reservationId: z.string().nullable(),
    amountCents: z.number().int().nonnegative(),
    currency: z.string(),
    failureCode: z.string().nullable(),
  }),
});

/** Options of {@link SimulatedPaymentProvider}. */
export interface SimulatedPaymentProviderOptions {
  /** The HMAC key of the simulator's webhooks (like Stripe's `whsec_…`); random by default. */
  webhookSecret?: string;
  clock?: Clock;
  /**
   * Where webhooks go as they happen (the host's webhook handler, e.g. `checkout.handleWebhook`).
   * Without it they wait in {@link SimulatedPaymentProvider.takeWebhooks}, for tests that replay,
   * duplicate, reorder or delay them.
   */
  deliver?: (delivery: WebhookDelivery) => Promise<unknown>;
  /** A signature older than this is refused (a replayed capture); 300 s as Stripe's default. */
  toleranceMs?: number;
}

/** The buyer's side of a simulated payment (what the payment form and 3-D Secure page call). */
export type SimulatedConfirmOutcome =
  | { ok: true; status: 'SUCCEEDED' | 'REQUIRES_ACTION' }
  | { ok: false; code: 'DECLINED'; failureCode: string }
  | { ok: false; code: 'NOT_CONFIRMABLE'; status: ProviderPayment['status'] };

interface SimulatedPayment extends ProviderPayment {
  saleId: string;
  userId: string;
  refunded: boolean;
  secret: string;
}

/**
 * The built-in payment provider: the embedded default of a buyer-driven checkout, and the
 * provider of every test. It behaves as a card provider does: a payment is created once per
 * idempotency key; the buyer confirms it with a card ({@link SIMULATOR_CARDS}: approved, 3-D
 * Secure, declined); the result comes back as a signed webhook. Tests script outages
 * (`fail`), and take the webhooks to deliver them twice, late or out of order.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  readonly name = 'simulator';
  /** The webhook secret as a key object, made once. */
  readonly #secret: KeyObject;
  readonly #clock: Clock;
  readonly #deliver: SimulatedPaymentProviderOptions['deliver'];
  readonly #toleranceMs: number;
  readonly #payments = new Map<string, SimulatedPayment>();
  readonly #byKey = new Map<string, string>();
  readonly #refunds = new Map<string, { paymentId: string; reason: string }>();
  readonly #webhooks: WebhookDelivery[] = [];
  #failures = 0;
  #events = 0;

  constructor(options: SimulatedPaymentProviderOptions = {}) {
    this.#secret = createSecretKey(
      options.webhookSecret ?? `whsec_${randomBytes(24).toString('hex')}`,
      'utf8',
    );
    this.#clock = options.clock ?? systemClock;
    this.#deliver = options.deliver;
    this.#toleranceMs = options.toleranceMs ?? 300_000;
  }

  /** The next `times` server-side calls throw `PaymentUnavailableError`: a provider outage or timeout. */
  fail(times = 1): this {
    this.#failures += times;
    return this;
  }

  async createPayment(input: CreatePaymentInput): Promise<ProviderPayment> {
    const request = validate('payment', CreateInput, input);
    this.#outage();
    const earlier = this.#byKey.get(request.idempotencyKey);
    if (earlier) return this.#view(this.#payments.get(earlier)!);
    const paymentId = `sim_pi_${this.#payments.size + 1}`;
    const secret = `${paymentId}_secret_${randomBytes(8).toString('hex')}`;
    const payment: SimulatedPayment = {
      paymentId,
      reservationId: request.reservationId,
      saleId: request.saleId,
      userId: request.userId,
      status: 'REQUIRES_PAYMENT_METHOD',
      amountCents: request.amountCents,
      currency: request.currency,
      clientSecret: secret,
      lastFailureCode: null,
      refunded: false,
      secret,
    };
    this.#payments.set(paymentId, payment);
    this.#byKey.set(request.idempotencyKey, paymentId);
    return this.#view(payment);
  }

  async getPayment(paymentId: string): Promise<ProviderPayment> {
    this.#outage();
    return this.#view(this.#find(paymentId));
  }

  async cancelPayment(input: { paymentId: string; idempotencyKey: string }): Promise<ProviderPayment> {
    this.#outage();
    const payment = this.#find(input.paymentId);
    if (payment.status !== 'SUCCEEDED' && payment.status !== 'CANCELED') {
      payment.status = 'CANCELED';
      await this.#emit('payment.canceled', payment);
    }
    return this.#view(payment);
  }

  async refundPayment(input: { paymentId: string; reason: string; idempotencyKey: string }): Promise<void> {
    this.#outage();
    const payment = this.#find(input.paymentId);
    if (payment.status !== 'SUCCEEDED') {
      throw new SeatRushError('NOT_REFUNDABLE', `payment ${input.paymentId} is ${payment.status}, not paid`);
    }
    if (this.#refunds.has(input.idempotencyKey)) return;
    // one full refund per payment, whatever the key (a provider refuses to refund more than was paid)
    if (!payment.refunded)
      this.#refunds.set(input.idempotencyKey, { paymentId: payment.paymentId, reason: input.reason });
    payment.refunded = true;
  }

  verifyWebhook(delivery: WebhookDelivery): PaymentWebhookEvent {
    const payload =
      typeof delivery.payload === 'string'
        ? delivery.payload
        : Buffer.from(delivery.payload).toString('utf8');
    const header = headerOf(delivery.headers, SIMULATOR_SIGNATURE_HEADER);
    if (!header) throw new WebhookSignatureError(`missing ${SIMULATOR_SIGNATURE_HEADER} header`);
    const parts = new Map(header.split(',').map((part) => part.split('=', 2) as [string, string]));
    const t = Number(parts.get('t'));
    const v1 = parts.get('v1') ?? '';
    if (!Number.isInteger(t)) throw new WebhookSignatureError('the signature has no timestamp');
    const expected = this.#sign(t, payload);
    const given = Buffer.from(v1, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new WebhookSignatureError('the signature does not match the payload');
    }
    if (Math.abs(this.#clock.now() - t * 1000) > this.#toleranceMs) {
      throw new WebhookSignatureError('the signature is too old (a replayed capture?)');
    }
    let body: z.infer<typeof WebhookBody>;
    try {
      body = WebhookBody.parse(JSON.parse(payload));
    } catch (error) {
      throw new WebhookSignatureError('the signed body is not a simulator event', { cause: error });
    }
    const type = EVENT_TYPES[body.type];
    if (!type)
      return { eventId: body.id, type: 'IGNORED', providerType: body.type, occurredAt: body.created };
    return { eventId: body.id, type, ...body.data, occurredAt: body.created };
  }

  /**
   * The buyer confirms the payment with a card (what the payment form posts). Approved: paid, and a
   * `succeeded` webhook follows. 3-D Secure: `REQUIRES_ACTION` until {@link authenticate}. Declined:
   * a `failed` webhook, and the buyer may try again.
   */
  async confirm(input: {
    paymentId: string;
    clientSecret: string;
    card: string;
  }): Promise<SimulatedConfirmOutcome> {
    const request = validate('card payment', ConfirmInput, input);
    const payment = this.#owned(request.paymentId, request.clientSecret);
    if (payment.status !== 'REQUIRES_PAYMENT_METHOD')
      return { ok: false, code: 'NOT_CONFIRMABLE', status: payment.status };
    if (request.card === SIMULATOR_CARDS.threeDSecure) {
      payment.status = 'REQUIRES_ACTION';
      await this.#emit('payment.requires_action', payment);
      return { ok: true, status: 'REQUIRES_ACTION' };
    }
    const failureCode =
      request.card === SIMULATOR_CARDS.declined
        ? 'card_declined'
        : request.card === SIMULATOR_CARDS.insufficientFunds
          ? 'insufficient_funds'
          : null;
    if (failureCode) return this.#decline(payment, failureCode);
    payment.status = 'SUCCEEDED';
    payment.lastFailureCode = null;
    await this.#emit('payment.succeeded', payment);
    return { ok: true, status: 'SUCCEEDED' };
  }

  /** The buyer's 3-D Secure step: `approve` false is a failed challenge (declined, retryable). */
  async authenticate(input: {
    paymentId: string;
    clientSecret: string;
    approve: boolean;
  }): Promise<SimulatedConfirmOutcome> {
    const payment = this.#owned(input.paymentId, input.clientSecret);
    if (payment.status !== 'REQUIRES_ACTION')
      return { ok: false, code: 'NOT_CONFIRMABLE', status: payment.status };
    if (!input.approve) return this.#decline(payment, 'authentication_failed');
    payment.status = 'SUCCEEDED';
    payment.lastFailureCode = null;
    await this.#emit('payment.succeeded', payment);
    return { ok: true, status: 'SUCCEEDED' };
  }

  /** The webhooks not delivered yet (when there is no `deliver`), oldest first; the list is emptied. */
  takeWebhooks(): WebhookDelivery[] {
    return this.#webhooks.splice(0);
  }

  /** Signs `payload` as the simulator does, at `atMs` (for tests of stale and forged signatures). */
  signatureHeader(payload: string, atMs = this.#clock.now()): Record<string, string> {
    const t = Math.floor(atMs / 1000);
    return { [SIMULATOR_SIGNATURE_HEADER]: `t=${t},v1=${this.#sign(t, payload).toString('hex')}` };
  }

  /** Refunds made (each payment at most once). */
  refunds(): Array<{ paymentId: string; reason: string }> {
    return [...this.#refunds.values()].map((refund) => ({ ...refund }));
  }

  /** Every payment, as the provider has it. */
  payments(): ProviderPayment[] {
    return [...this.#payments.values()].map((payment) => this.#view(payment));
  }

  async #decline(payment: SimulatedPayment, failureCode: string): Promise<SimulatedConfirmOutcome> {
    payment.status = 'REQUIRES_PAYMENT_METHOD';
    payment.lastFailureCode = failureCode;
    await this.#emit('payment.failed', payment);
    return { ok: false, code: 'DECLINED', failureCode };
  }

  async #emit(type: string, payment: SimulatedPayment): Promise<void> {
    this.#events += 1;
    const payload = JSON.stringify({
      id: `sim_evt_${this.#events}`,
      type,
      created: this.#clock.now(),
      data: {
        paymentId: payment.paymentId,
        reservationId: payment.reservationId,
        amountCents: payment.amountCents,
        currency: payment.currency,
        failureCode: payment.lastFailureCode,
      },
    });
    const delivery: WebhookDelivery = { payload, headers: this.signatureHeader(payload) };
    if (this.#deliver) await this.#deliver(delivery);
    else this.#webhooks.push(delivery);
  }

  #sign(t: number, payload: string): Buffer {
    return createHmac('sha256', this.#secret).update(`${t}.${payload}`).digest();
  }

  #outage(): void {
    if (this.#failures <= 0) return;
    this.#failures -= 1;
    throw new PaymentUnavailableError('payment simulator unavailable (scripted outage)');
  }

  #find(paymentId: string): SimulatedPayment {
    const payment = this.#payments.get(paymentId);
    if (!payment) throw new SeatRushError('UNKNOWN_PAYMENT', `no payment ${paymentId}`);
    return payment;
  }

  #owned(paymentId: string, clientSecret: string): SimulatedPayment {
    const payment = this.#payments.get(paymentId);
    if (!payment || payment.secret !== clientSecret) {
      throw new SeatRushError('UNKNOWN_PAYMENT', `no payment ${paymentId} with this client secret`);
    }
    return payment;
  }

  #view(payment: SimulatedPayment): ProviderPayment {
    const final = payment.status === 'SUCCEEDED' || payment.status === 'CANCELED';
    return {
      paymentId: payment.paymentId,
      reservationId: payment.reservationId,
      status: payment.status,
      amountCents: payment.amountCents,
      currency: payment.currency,
      clientSecret: final ? null : payment.clientSecret,
      lastFailureCode: payment.lastFailureCode,
    };
  }
}

const EVENT_TYPES: Record<string, Exclude<PaymentWebhookEvent['type'], 'IGNORED'>> = {
  'payment.succeeded': 'PAYMENT_SUCCEEDED',
  'payment.failed': 'PAYMENT_FAILED',
  'payment.canceled': 'PAYMENT_CANCELED',
  'payment.requires_action': 'PAYMENT_REQUIRES_ACTION',
  'payment.processing': 'PAYMENT_PROCESSING',
};

/** A header's value whatever the case of its name; the first of repeated ones. */
export function headerOf(headers: WebhookDelivery['headers'], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}
