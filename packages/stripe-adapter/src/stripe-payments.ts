import {
  ConfigurationError,
  type CreatePaymentInput,
  InfrastructureError,
  type PaymentProvider,
  type PaymentWebhookEvent,
  type ProviderPayment,
  type ProviderPaymentStatus,
  type WebhookDelivery,
  WebhookSignatureError,
} from '@seatrush/core';
import type Stripe from 'stripe';

/** Options of {@link stripePayments}. */
export interface StripePaymentsOptions {
  /** The signing secret of the webhook endpoint (`whsec_…`, from the Dashboard or `stripe listen`). */
  webhookSecret: string;
  /** A signature older than this many seconds is refused (a replayed capture); Stripe's 300 by default. */
  toleranceSeconds?: number;
  /**
   * Extra PaymentIntent parameters (a statement descriptor, `payment_method_types`, …); the amount,
   * currency and metadata are the checkout's. Automatic payment methods are on by default.
   */
  intentParams?: Omit<Stripe.PaymentIntentCreateParams, 'amount' | 'currency' | 'metadata'>;
}

/** The metadata keys the adapter writes on each PaymentIntent and reads back from webhooks. */
export const METADATA = {
  reservationId: 'seatrush_reservation_id',
  saleId: 'seatrush_sale_id',
  userId: 'seatrush_user_id',
} as const;

const EVENT_TYPES: Record<string, Exclude<PaymentWebhookEvent['type'], 'IGNORED'>> = {
  'payment_intent.succeeded': 'PAYMENT_SUCCEEDED',
  'payment_intent.payment_failed': 'PAYMENT_FAILED',
  'payment_intent.canceled': 'PAYMENT_CANCELED',
  'payment_intent.requires_action': 'PAYMENT_REQUIRES_ACTION',
  'payment_intent.processing': 'PAYMENT_PROCESSING',
};

/**
 * The checkout's payment provider on Stripe PaymentIntents, over a `Stripe` client the host owns:
 * `createSeatRushRuntime({ checkout: { provider: stripePayments(stripe, { webhookSecret }) } })`.
 *
 * - A payment is a PaymentIntent created with the checkout's idempotency key (Stripe's
 *   `Idempotency-Key`), the reservation in its metadata; the buyer confirms it with Stripe.js and
 *   the `client_secret`, 3-D Secure included.
 * - Webhooks are verified by the library's `webhooks.constructEvent` (the `Stripe-Signature`
 *   header, with a timestamp tolerance) and mapped to the checkout's events.
 * - A void is a PaymentIntent cancel; a PaymentIntent that succeeded meanwhile is answered as such
 *   (and the checkout refunds it, by its rule). A refund is a full Refund, idempotent by key.
 */
export function stripePayments(stripe: Stripe, options: StripePaymentsOptions): PaymentProvider {
  if (typeof options?.webhookSecret !== 'string' || options.webhookSecret.length === 0) {
    throw new ConfigurationError('stripePayments: webhookSecret (whsec_…) is required');
  }
  const tolerance = options.toleranceSeconds ?? 300;
  return {
    name: 'stripe',

    async createPayment(input: CreatePaymentInput): Promise<ProviderPayment> {
      const intent = await call(() =>
        stripe.paymentIntents.create(
          {
            automatic_payment_methods: { enabled: true },
            ...options.intentParams,
            amount: input.amountCents,
            currency: input.currency,
            metadata: {
              [METADATA.reservationId]: input.reservationId,
              [METADATA.saleId]: input.saleId,
              [METADATA.userId]: input.userId,
            },
          },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
      return paymentOf(intent);
    },

    async getPayment(paymentId: string): Promise<ProviderPayment> {
      return paymentOf(await call(() => stripe.paymentIntents.retrieve(paymentId)));
    },

    async cancelPayment(input: { paymentId: string; idempotencyKey: string }): Promise<ProviderPayment> {
      const current = await call(() => stripe.paymentIntents.retrieve(input.paymentId));
      if (current.status === 'succeeded' || current.status === 'canceled') return paymentOf(current);
      try {
        const canceled = await stripe.paymentIntents.cancel(
          input.paymentId,
          { cancellation_reason: 'abandoned' },
          { idempotencyKey: input.idempotencyKey },
        );
        return paymentOf(canceled);
      } catch (error) {
        // it moved meanwhile (the buyer's confirmation won the race): answer where it stands now
        if ((error as { code?: string }).code === 'payment_intent_unexpected_state') {
          return paymentOf(await call(() => stripe.paymentIntents.retrieve(input.paymentId)));
        }
        throw unavailable(error);
      }
    },

    async refundPayment(input: { paymentId: string; reason: string; idempotencyKey: string }): Promise<void> {
      try {
        await stripe.refunds.create(
          {
            payment_intent: input.paymentId,
            reason: 'requested_by_customer',
            metadata: { seatrush_reason: input.reason },
          },
          { idempotencyKey: input.idempotencyKey },
        );
      } catch (error) {
        // refunded already (under another key): the money is back, which is all that was asked
        if ((error as { code?: string }).code === 'charge_already_refunded') return;
        throw unavailable(error);
      }
    },

    verifyWebhook(delivery: WebhookDelivery): PaymentWebhookEvent {
      const signature = headerOf(delivery.headers, 'stripe-signature');
      if (!signature) throw new WebhookSignatureError('missing Stripe-Signature header');
      let event: Stripe.Event;
      try {
        event = stripe.webhooks.constructEvent(delivery.payload, signature, options.webhookSecret, tolerance);
      } catch (error) {
        throw new WebhookSignatureError(`Stripe webhook not verified: ${(error as Error).message}`, {
          cause: error,
        });
      }
      const occurredAt = event.created * 1000;
      const type = EVENT_TYPES[event.type];
      if (!type) return { eventId: event.id, type: 'IGNORED', providerType: event.type, occurredAt };
      const intent = event.data.object as Stripe.PaymentIntent;
      const error = intent.last_payment_error;
      return {
        eventId: event.id,
        type,
        paymentId: intent.id,
        reservationId: intent.metadata?.[METADATA.reservationId] ?? null,
        amountCents:
          intent.amount_received && type === 'PAYMENT_SUCCEEDED' ? intent.amount_received : intent.amount,
        currency: intent.currency,
        failureCode: error ? (error.decline_code ?? error.code ?? 'declined') : null,
        occurredAt,
      };
    },
  };
}

/** A PaymentIntent in the checkout's words. */
export function paymentOf(intent: Stripe.PaymentIntent): ProviderPayment {
  const final = intent.status === 'succeeded' || intent.status === 'canceled';
  const error = intent.last_payment_error;
  return {
    paymentId: intent.id,
    reservationId: intent.metadata?.[METADATA.reservationId] ?? null,
    status: statusOf(intent.status),
    amountCents: intent.amount,
    currency: intent.currency,
    clientSecret: final ? null : intent.client_secret,
    lastFailureCode: error ? (error.decline_code ?? error.code ?? 'declined') : null,
  };
}

function statusOf(status: Stripe.PaymentIntent.Status): ProviderPaymentStatus {
  switch (status) {
    case 'succeeded':
      return 'SUCCEEDED';
    case 'canceled':
      return 'CANCELED';
    case 'requires_action':
      return 'REQUIRES_ACTION';
    case 'processing':
    case 'requires_capture':
      return 'PROCESSING';
    default:
      return 'REQUIRES_PAYMENT_METHOD';
  }
}

async function call<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw unavailable(error);
  }
}

/**
 * Stripe's own refusals of a bad request stay as they are (a programmer error to see); a network
 * failure, a timeout, a rate limit or a 5xx becomes an InfrastructureError the caller retries.
 */
function unavailable(error: unknown): unknown {
  const type = (error as { type?: string }).type;
  if (type === 'StripeConnectionError' || type === 'StripeAPIError' || type === 'StripeRateLimitError') {
    return new InfrastructureError(`Stripe unavailable: ${(error as Error).message}`, { cause: error });
  }
  return error;
}

function headerOf(headers: WebhookDelivery['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}
