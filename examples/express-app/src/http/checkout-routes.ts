import { SeatRushError } from '@seatrush/core';
import { SIMULATOR_CARDS, z } from '@seatrush/core/ports';
import { type Response, Router } from 'express';
import type { Platform } from '../platform/platform';
import type { CheckoutActivity } from './checkout-activity';
import { HttpError } from './errors';
import type { OperatorAuth } from './operator-routes';
import { IdParam, parse } from './validate';

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
 * The demo's side of the buyer-driven checkout (`CHECKOUT=buyer`); the checkout itself (begin,
 * extend, status, leave, the webhook) is `@seatrush/http`'s. Here: what the page needs to know
 * before a hold (who pays, and the simulator's test cards), and the simulator's client side, which
 * the card form and the 3-D Secure step talk to as Stripe.js talks to Stripe: the payment's
 * client secret is their authority, not the session.
 */
export function checkoutRoutes(deps: { platform: Platform; activity: CheckoutActivity }): Router {
  const { platform, activity } = deps;
  const router = Router();

  router.get('/checkout', (_req, res) => {
    const provider = platform.paymentProvider;
    res.json({
      mode: provider ? 'buyer' : 'auto',
      provider: provider?.name ?? null,
      testCards: provider ? SIMULATOR_CARDS : null,
    } satisfies CheckoutConfig);
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

/** `GET /api/operator/checkout`: payments in progress and the recent failures. */
export function operatorCheckoutRoutes(deps: { auth: OperatorAuth; activity: CheckoutActivity }): Router {
  const router = Router();
  router.get('/checkout', deps.auth.guard(), async (_req, res) => {
    res.json(await deps.activity.view());
  });
  return router;
}

function checkoutOff(): HttpError {
  return new HttpError(
    'CHECKOUT_OFF',
    'this app takes payment itself as soon as a hold is made (CHECKOUT=auto)',
  );
}

/** The simulator's own client-side API, which exists only in the buyer checkout. */
function simulatorOf(platform: Platform) {
  if (!platform.paymentProvider) throw checkoutOff();
  return platform.paymentProvider;
}

/**
 * Runs a call that reaches the payment provider, turning its known refusals into answers with the
 * SDK's statuses (`REFUSAL_HTTP_STATUS`): an outage is a 503 (nothing changed, try again), an
 * unknown payment or wrong client secret a 404.
 */
async function provided<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SeatRushError && error.code === 'PAYMENT_UNAVAILABLE')
      throw new HttpError(error.code, 'the payment provider is not answering; try again', {
        retryAfterMs: 1_000,
      });
    if (error instanceof SeatRushError && error.code === 'UNKNOWN_PAYMENT')
      throw new HttpError(error.code, 'no such payment with this client secret');
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
    throw new HttpError('PAYMENT_DECLINED', 'the bank declined the payment; try another card', {
      failureCode: outcome.failureCode,
    });
  }
  throw new HttpError('NOT_CONFIRMABLE', `the payment is ${outcome.status.toLowerCase()}`, {
    paymentStatus: outcome.status,
  });
}
