import type { CheckoutOutcome, CheckoutPayment, CheckoutRefusal, RuntimeSale } from '@seatrush/core';
import { SeatRushError, WebhookSignatureError } from '@seatrush/core';
import { SIMULATOR_CARDS, z } from '@seatrush/core/ports';
import express, { type Request, type Response, Router } from 'express';
import type { Platform } from '../platform/platform';
import { type BuyerCaches, loadReservation } from './buyer-routes';
import type { CheckoutActivity } from './checkout-activity';
import { HttpError } from './errors';
import type { OperatorAuth } from './operator-routes';
import { reservationChannel } from './reservation-view';
import { sessionOf } from './session';
import type { SseHub } from './sse';
import { IdParam, parse, saleOf } from './validate';

/**
 * A checkout answer with its own HTTP status: the SDK's refusal codes are kept as they are
 * (`HOLD_EXPIRED`, `ALREADY_PAID`, …) so clients switch on the names the SDK documents.
 */
class CheckoutHttpError extends HttpError {
  override readonly status: number;

  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
    this.status = status;
  }
}

const REFUSALS: Record<CheckoutRefusal, { status: number; message: string }> = {
  NOT_FOUND: { status: 404, message: 'no such reservation of yours' },
  HOLD_EXPIRED: { status: 410, message: 'the hold ran out: the seats went back on sale' },
  HOLD_RELEASED: { status: 409, message: 'the seats were given back' },
  ALREADY_PAID: { status: 409, message: 'this reservation is paid' },
  FAILED: { status: 409, message: 'this reservation is over' },
};

const CardBody = z
  .object({
    clientSecret: z.string().min(1).max(256),
    card: z.string().regex(/^\d{12,19}$/, 'a card number is 12 to 19 digits'),
  })
  .strict();
const AuthenticateBody = z
  .object({ clientSecret: z.string().min(1).max(256), approve: z.boolean() })
  .strict();

/** What the buyer's page needs to know of the checkout before a hold: who pays, and the test cards. */
export interface CheckoutConfig {
  mode: 'auto' | 'buyer';
  provider: string | null;
  testCards: typeof SIMULATOR_CARDS | null;
}

/**
 * The buyer's checkout over HTTP (`CHECKOUT=buyer`), after the hold: begin the payment, keep the
 * hold alive while paying (bounded by the SDK), read where it stands, leave. The card form and the
 * 3-D Secure step talk to the simulator as Stripe.js talks to Stripe: the payment's client secret
 * is their authority, not the session. In `auto` mode the routes answer 409 `CHECKOUT_OFF`.
 */
export function checkoutRoutes(deps: {
  platform: Platform;
  hub: SseHub;
  caches: BuyerCaches;
  activity: CheckoutActivity;
}): Router {
  const { platform, hub, caches, activity } = deps;
  const router = Router();

  /** The buyer's reservation named by the path, in a sale with a buyer-driven checkout. */
  const buyerReservation = (req: Request, res: Response) => {
    const session = sessionOf(res);
    const runtime = saleOf(platform, req);
    const reservationId = parse('reservation id', IdParam, req.params.reservationId);
    if (!runtime.checkout) throw checkoutOff();
    return { runtime, checkout: runtime.checkout, buyer: { userId: session.userId, reservationId } };
  };

  /** Pushes the reservation's view to its stream (the countdown moved, or it ended). */
  const pushReservation = async (runtime: RuntimeSale, reservationId: string) => {
    caches.seats.invalidate(runtime.sale.id);
    const view = await loadReservation(platform, runtime, reservationId);
    if (view) hub.broadcast(reservationChannel(runtime.sale.id, reservationId), 'reservation', view);
    return view;
  };

  router.get('/checkout', (_req, res) => {
    const provider = platform.paymentProvider;
    res.json({
      mode: provider ? 'buyer' : 'auto',
      provider: provider?.name ?? null,
      testCards: provider ? SIMULATOR_CARDS : null,
    } satisfies CheckoutConfig);
  });

  const path = '/sales/:saleId/reservations/:reservationId/checkout';

  // begin: one payment per reservation (a repeat answers the same one, the countdown refreshed)
  router.post(path, async (req, res) => {
    const { runtime, checkout, buyer } = buyerReservation(req, res);
    const payment = paymentOf(await provided(() => checkout.begin(buyer)));
    activity.begun(runtime.sale.id, buyer.userId, payment);
    await pushReservation(runtime, buyer.reservationId);
    res.json({ payment });
  });

  router.get(path, async (req, res) => {
    const { checkout, buyer } = buyerReservation(req, res);
    const status = await checkout.status(buyer);
    if (!status) throw new CheckoutHttpError(404, 'NOT_FOUND', REFUSALS.NOT_FOUND.message);
    res.json({ checkout: status });
  });

  // the payment page's heartbeat: the hold lives on while the buyer pays, never past its bound
  router.post(`${path}/extend`, async (req, res) => {
    const { runtime, checkout, buyer } = buyerReservation(req, res);
    const payment = paymentOf(await checkout.extend(buyer));
    activity.begun(runtime.sale.id, buyer.userId, payment);
    await pushReservation(runtime, buyer.reservationId);
    res.json({ payment });
  });

  // the buyer leaves: the payment is voided and the seats go back at once (unless already paid)
  router.delete(path, async (req, res) => {
    const { runtime, checkout, buyer } = buyerReservation(req, res);
    const outcome = await provided(() => checkout.cancel(buyer));
    if (outcome === 'NOT_FOUND') throw new CheckoutHttpError(404, 'NOT_FOUND', REFUSALS.NOT_FOUND.message);
    res.json({ outcome, reservation: await pushReservation(runtime, buyer.reservationId) });
  });

  // ---- the simulator's client side (what Stripe.js would call at Stripe) --------------------

  router.post('/simulator/payments/:paymentId/confirm', async (req, res) => {
    const provider = simulatorOf(platform);
    const paymentId = parse('payment id', IdParam, req.params.paymentId);
    const { clientSecret, card } = parse('card payment', CardBody, req.body ?? {});
    const outcome = await provided(() => provider.confirm({ paymentId, clientSecret, card }));
    answerAttempt(res, activity, paymentId, outcome);
  });

  router.post('/simulator/payments/:paymentId/authenticate', async (req, res) => {
    const provider = simulatorOf(platform);
    const paymentId = parse('payment id', IdParam, req.params.paymentId);
    const { clientSecret, approve } = parse('3-D Secure', AuthenticateBody, req.body ?? {});
    const outcome = await provided(() => provider.authenticate({ paymentId, clientSecret, approve }));
    answerAttempt(res, activity, paymentId, outcome);
  });

  return router;
}

/**
 * The provider's webhook endpoint: the raw body (a re-serialised JSON body would fail the
 * signature) and the headers go to the SDK, which verifies and applies them idempotently. Mount it
 * before any JSON body parser. A forged, tampered or stale delivery is a 400 that changes nothing;
 * any other failure is a 5xx, so the provider delivers it again.
 */
export function paymentWebhookRoute(deps: { platform: Platform }): Router {
  const router = Router();
  router.post(
    '/webhooks/payments',
    express.raw({ type: () => true, limit: '64kb' }),
    async (req: Request, res: Response) => {
      const checkout = deps.platform.runtime.checkout;
      if (!checkout) throw checkoutOff();
      const payload: Uint8Array = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      try {
        const handled = await checkout.handleWebhook({ payload, headers: req.headers });
        res.json({ received: true, ...handled });
      } catch (error) {
        if (error instanceof WebhookSignatureError)
          throw new CheckoutHttpError(400, error.code, error.message);
        throw error;
      }
    },
  );
  return router;
}

/** `GET /api/operator/checkout`: payments in progress and the recent failures. */
export function operatorCheckoutRoutes(deps: { auth: OperatorAuth; activity: CheckoutActivity }): Router {
  const router = Router();
  router.get('/checkout', deps.auth.guard(), async (_req, res) => {
    res.json(await deps.activity.view());
  });
  return router;
}

function checkoutOff(): HttpError {
  return new CheckoutHttpError(
    409,
    'CHECKOUT_OFF',
    'this app takes payment itself as soon as a hold is made (CHECKOUT=auto)',
  );
}

function paymentOf(outcome: CheckoutOutcome): CheckoutPayment {
  if (outcome.ok) return outcome.payment;
  const { status, message } = REFUSALS[outcome.code];
  throw new CheckoutHttpError(status, outcome.code, message);
}

/** The simulator's own client-side API, which exists only in the buyer checkout. */
function simulatorOf(platform: Platform) {
  if (!platform.paymentProvider) throw checkoutOff();
  return platform.paymentProvider;
}

/**
 * Runs a call that reaches the payment provider, turning its known refusals into answers: an
 * outage is a 503 (nothing changed, try again), an unknown payment or wrong client secret a 404.
 */
async function provided<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SeatRushError && error.code === 'PAYMENT_UNAVAILABLE')
      throw new CheckoutHttpError(503, error.code, 'the payment provider is not answering; try again', {
        retryAfterMs: 1_000,
      });
    if (error instanceof SeatRushError && error.code === 'UNKNOWN_PAYMENT')
      throw new CheckoutHttpError(404, error.code, 'no such payment with this client secret');
    throw error;
  }
}

type Attempt = Awaited<ReturnType<NonNullable<Platform['paymentProvider']>['confirm']>>;

/**
 * A card attempt's answer. The webhook it caused has been handled when this is said (the simulator
 * delivers in process), so the reservation's stream already carries the result.
 */
function answerAttempt(res: Response, activity: CheckoutActivity, paymentId: string, outcome: Attempt): void {
  if (outcome.ok) {
    activity.attempted(paymentId, outcome.status);
    res.json({ status: outcome.status });
    return;
  }
  if (outcome.code === 'DECLINED') {
    activity.attempted(paymentId, { declined: outcome.failureCode });
    throw new CheckoutHttpError(402, 'PAYMENT_DECLINED', 'the bank declined the payment; try another card', {
      failureCode: outcome.failureCode,
    });
  }
  throw new CheckoutHttpError(409, 'NOT_CONFIRMABLE', `the payment is ${outcome.status.toLowerCase()}`, {
    paymentStatus: outcome.status,
  });
}
