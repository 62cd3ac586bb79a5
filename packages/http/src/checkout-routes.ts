import type { CheckoutOutcome, CheckoutPayment, SaleCheckout, SeatRushRuntime } from '@seatrush/core';
import { SeatRushError, WebhookSignatureError } from '@seatrush/core';
import { HttpError } from './errors';
import { buyerOf, type Exchange, json, type RouteSpec, saleOf } from './exchange-context';
import type { LiveUpdates } from './live';
import { type Route, route } from './router';
import { reservationView } from './views';

/** What the checkout routes need. */
export interface CheckoutRouteDeps {
  runtime: SeatRushRuntime;
  live: LiveUpdates;
  /** The webhook's body limit in bytes. */
  webhookLimit: number;
  /** Told of every payment a buyer began or kept alive (the host's payments panel, metrics). */
  onPayment: ((event: { saleId: string; userId: string; payment: CheckoutPayment }) => void) | undefined;
}

const REFUSALS: Readonly<Record<string, string>> = {
  NOT_FOUND: 'no such reservation of yours',
  HOLD_EXPIRED: 'the hold ran out: the seats went back on sale',
  HOLD_RELEASED: 'the seats were given back',
  ALREADY_PAID: 'this reservation is paid',
  FAILED: 'this reservation is over',
};

/**
 * The buyer-driven checkout (a runtime built with `checkout: {…}`), after the hold: begin the
 * payment (one per reservation; a repeat answers the same one), keep the hold alive while the
 * buyer pays (bounded by the SDK), read where it stands, leave (the payment voided, the seats back
 * at once). The card form talks to the provider (Stripe.js to Stripe) with the payment's client
 * secret; the provider's webhook comes back to `POST /webhooks/payments`, read as raw bytes (its
 * signature covers them) and handed to `runtime.checkout.handleWebhook`. In the auto-pay mode
 * every route answers 409 `CHECKOUT_OFF`.
 */
export function checkoutRoutes(deps: CheckoutRouteDeps): Array<Route<RouteSpec>> {
  const { runtime, live } = deps;
  const path = '/sales/:saleId/reservations/:reservationId/checkout';

  const buyerCheckout = (x: Exchange): { saleId: string; checkout: SaleCheckout; userId: string } => {
    const sale = saleOf(runtime, x);
    if (!sale.checkout) throw checkoutOff();
    return { saleId: sale.sale.id, checkout: sale.checkout, userId: buyerOf(x).id };
  };
  const request = (x: Exchange) => ({
    userId: buyerOf(x).id,
    reservationId: x.params.reservationId as string,
  });
  /** The reservation's streams hear of the change (the countdown moved, or it ended). */
  const changed = (saleId: string, reservationId: string) => {
    live.seatsChanged(saleId);
    live.reservationChanged(saleId, reservationId);
  };
  const paid = (x: Exchange, saleId: string, outcome: CheckoutOutcome): CheckoutPayment => {
    if (!outcome.ok) throw new HttpError(outcome.code, REFUSALS[outcome.code] ?? outcome.code);
    deps.onPayment?.({ saleId, userId: buyerOf(x).id, payment: outcome.payment });
    changed(saleId, outcome.payment.reservationId);
    return outcome.payment;
  };

  /** Begins the payment, or keeps it alive: both answer the payment as it now stands. */
  const paying = (step: 'begin' | 'extend') => async (x: Exchange) => {
    const { saleId, checkout } = buyerCheckout(x);
    const outcome = await provided(() => checkout[step](request(x)));
    json(x, 200, { payment: paid(x, saleId, outcome) }, { 'Cache-Control': 'no-store' });
  };

  return [
    route('GET', '/checkout', {
      access: 'public',
      handle: (x) =>
        json(x, 200, {
          mode: runtime.checkout ? 'buyer' : 'auto',
          provider: runtime.checkout?.provider.name ?? null,
        }),
    }),
    route('POST', path, { access: 'buyer', handle: paying('begin') }),
    route('GET', path, {
      access: 'buyer',
      handle: async (x) => {
        const { checkout } = buyerCheckout(x);
        const status = await checkout.status(request(x));
        if (!status) throw new HttpError('NOT_FOUND', REFUSALS.NOT_FOUND as string);
        json(x, 200, { checkout: status }, { 'Cache-Control': 'no-store' });
      },
    }),
    route('POST', `${path}/extend`, { access: 'buyer', handle: paying('extend') }),
    route('DELETE', path, {
      access: 'buyer',
      handle: async (x) => {
        const { saleId, checkout, userId } = buyerCheckout(x);
        const { reservationId } = request(x);
        const outcome = await provided(() => checkout.cancel(request(x)));
        if (outcome === 'NOT_FOUND') throw new HttpError('NOT_FOUND', REFUSALS.NOT_FOUND as string);
        changed(saleId, reservationId);
        const hold = await runtime.ports.inventory.getHold(saleId, reservationId);
        const row = await runtime.sale(saleId)?.reservation(reservationId);
        json(x, 200, {
          outcome,
          reservation: hold && hold.userId === userId ? reservationView(hold, row ?? null) : null,
        });
      },
    }),
    route('POST', '/webhooks/payments', {
      access: 'public',
      rawBodyLimit: deps.webhookLimit,
      handle: async (x) => {
        const checkout = runtime.checkout;
        if (!checkout) throw checkoutOff();
        try {
          const handled = await checkout.handleWebhook({
            payload: x.body as Buffer,
            headers: x.request.headers,
          });
          json(x, 200, { received: true, ...handled });
        } catch (error) {
          // a forged, tampered or stale delivery changes nothing, and the provider must not retry
          // it; any other failure is a 5xx, so the provider delivers the event again
          if (error instanceof WebhookSignatureError) {
            throw new HttpError(error.code, error.message, undefined, { status: 400 });
          }
          throw error;
        }
      },
    }),
  ];
}

function checkoutOff(): HttpError {
  return new HttpError(
    'CHECKOUT_OFF',
    'this server takes payment itself as soon as a hold is made',
    undefined,
    {
      status: 409,
    },
  );
}

/**
 * Runs a call that reaches the payment provider: an outage is a 503 (nothing changed, try again),
 * an unknown payment a 404.
 */
export async function provided<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SeatRushError && error.code === 'PAYMENT_UNAVAILABLE') {
      throw new HttpError(
        error.code,
        'the payment provider is not answering; try again',
        { retryAfterMs: 1_000 },
        { status: 503, headers: { 'Retry-After': '1' } },
      );
    }
    if (error instanceof SeatRushError && error.code === 'UNKNOWN_PAYMENT') {
      throw new HttpError(error.code, 'no such payment', undefined, { status: 404 });
    }
    throw error;
  }
}
