/**
 * Payments. Two ports live here:
 *
 * - {@link PaymentProvider}: the two-step, buyer-driven payment of a checkout. The server creates a
 *   payment for a held reservation, the buyer confirms it on the client (card, 3-D Secure, a
 *   redirect), and the provider tells the server the result in a signed webhook. Stripe's
 *   PaymentIntents have this shape; `@seatrush/stripe-adapter` implements it, the built-in
 *   `SimulatedPaymentProvider` is the embedded default.
 * - {@link PaymentGateway}: the one-step charge of the `checkout: 'auto'` mode, where the worker
 *   pays a hold at once without a buyer (the demo's and the older tests' mode).
 */

/** A charge's answer. A decline is an outcome; an unreachable gateway throws (and is retried). */
export type ChargeOutcome =
  | { ok: true; paymentId: string }
  | { ok: false; code: 'DECLINED' | 'INSUFFICIENT_FUNDS' };

/**
 * The one-step gateway of the `checkout: 'auto'` mode: the worker charges a hold by itself as soon
 * as it is recorded. Calls carry an idempotency key so a retried charge is charged once.
 */
export interface PaymentGateway {
  charge(input: {
    reservationId: string;
    userId: string;
    amountCents: number;
    idempotencyKey: string;
  }): Promise<ChargeOutcome>;
  refund(input: { paymentId: string; reason: string; idempotencyKey: string }): Promise<void>;
}

/**
 * Where a provider's payment stands, in the provider-neutral words of the checkout:
 * - `REQUIRES_PAYMENT_METHOD`: created, or an attempt was declined: the buyer may (re)try;
 * - `REQUIRES_ACTION`: the bank asks the buyer for 3-D Secure or a redirect;
 * - `PROCESSING`: the buyer confirmed; the provider has not answered yet;
 * - `SUCCEEDED`: paid (final, unless refunded); `CANCELED`: voided (final).
 */
export type ProviderPaymentStatus =
  | 'REQUIRES_PAYMENT_METHOD'
  | 'REQUIRES_ACTION'
  | 'PROCESSING'
  | 'SUCCEEDED'
  | 'CANCELED';

/** A payment as its provider has it. */
export interface ProviderPayment {
  /** The provider's id (a PaymentIntent's `pi_…`). */
  paymentId: string;
  /** The reservation the payment was created for (from the payment's metadata). */
  reservationId: string | null;
  status: ProviderPaymentStatus;
  amountCents: number;
  /** ISO 4217, lower case (`eur`). */
  currency: string;
  /** What the buyer's client confirms the payment with; null once the payment is final. */
  clientSecret: string | null;
  /** The last declined attempt's code (`card_declined`, …), when there was one. */
  lastFailureCode: string | null;
}

/** What `PaymentProvider.createPayment` is given. */
export interface CreatePaymentInput {
  reservationId: string;
  saleId: string;
  userId: string;
  amountCents: number;
  currency: string;
  /** The same key creates the same payment once, however often the call is repeated. */
  idempotencyKey: string;
}

/**
 * A verified webhook, in the checkout's words. `PAYMENT_FAILED` is one declined attempt (the buyer
 * may retry while the hold lasts), not the end of the payment. `IGNORED` is an event the checkout
 * has no use for (it is acknowledged and forgotten).
 */
export type PaymentWebhookEvent =
  | {
      /** The provider's event id: deliveries of one event share it (the checkout's receipt key). */
      eventId: string;
      type:
        | 'PAYMENT_SUCCEEDED'
        | 'PAYMENT_FAILED'
        | 'PAYMENT_CANCELED'
        | 'PAYMENT_REQUIRES_ACTION'
        | 'PAYMENT_PROCESSING';
      paymentId: string;
      reservationId: string | null;
      amountCents: number;
      currency: string;
      failureCode: string | null;
      /** When the provider made the event (epoch ms). */
      occurredAt: number;
    }
  | { eventId: string; type: 'IGNORED'; providerType: string; occurredAt: number };

/** A webhook delivery as the host's HTTP server received it: the raw body and the headers. */
export interface WebhookDelivery {
  /** The body exactly as received (a re-serialised JSON body fails the signature). */
  payload: string | Uint8Array;
  /** The request headers (Node's `req.headers` as is); header names are matched case-insensitively. */
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The two-step payment port. Every call that changes something takes an idempotency key, so a
 * retry (after a timeout, a crash, a replayed event) changes nothing twice. A decline is an
 * outcome (a status), never a throw; an unreachable provider throws (and the caller retries).
 */
export interface PaymentProvider {
  /** A short, stable name (`simulator`, `stripe`): payments and webhook receipts are kept by it. */
  readonly name: string;
  /** Creates the payment of a held reservation (once per idempotency key). */
  createPayment(input: CreatePaymentInput): Promise<ProviderPayment>;
  /** The payment as the provider has it now. */
  getPayment(paymentId: string): Promise<ProviderPayment>;
  /**
   * Voids a payment that has not succeeded. Answers the payment afterwards: `CANCELED`, or
   * `SUCCEEDED` when it had already been paid (the caller then refunds it).
   */
  cancelPayment(input: { paymentId: string; idempotencyKey: string }): Promise<ProviderPayment>;
  /** Refunds a succeeded payment in full (once per idempotency key). */
  refundPayment(input: { paymentId: string; reason: string; idempotencyKey: string }): Promise<void>;
  /**
   * Checks a webhook's signature and reads it. Throws `WebhookSignatureError` for a delivery it
   * cannot authenticate (a bad or missing signature, a stale timestamp, an unreadable body).
   */
  verifyWebhook(delivery: WebhookDelivery): PaymentWebhookEvent;
}
