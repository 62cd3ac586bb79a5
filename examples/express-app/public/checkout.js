// The buyer's checkout (CHECKOUT=buyer): after the hold, the buyer pays within it — a card form
// with the simulator's test cards, the bank's 3-D Secure step, a heartbeat that keeps the hold
// alive while the page is open (the server bounds it), and "leave" that gives the seats back at
// once. The result is not decided here: the provider's webhook confirms the seats on the server,
// and the reservation's stream brings the result to the page.
import { ApiError, api, busy, money, toast } from './lib.js';

const $ = (id) => document.getElementById(id);
const HEARTBEAT_MS = 20_000;
const CARD_NAMES = {
  approved: 'Approved',
  threeDSecure: '3-D Secure',
  declined: 'Declined',
  insufficientFunds: 'Insufficient funds',
};

/**
 * @param {{ checkoutPath: (reservationId: string) => string,
 *           onReservation: (reservation: object) => void,
 *           onExpiresAt: (expiresAt: number) => void,
 *           skewMs: () => number }} deps
 */
export function createCheckout(deps) {
  let config = null;
  /** The payment being made: { reservationId, payment }. */
  let current = null;
  let heartbeat = null;

  $('card-preset').addEventListener('change', () => {
    $('card-number').value = $('card-preset').value;
  });
  $('card-form').addEventListener('submit', (event) => {
    event.preventDefault();
    busy($('pay-button'), payWithCard).catch(failed);
  });
  $('three-ds-approve').addEventListener('click', () =>
    busy($('three-ds-approve'), () => authenticate(true)).catch(failed),
  );
  $('three-ds-fail').addEventListener('click', () =>
    busy($('three-ds-fail'), () => authenticate(false)).catch(failed),
  );

  /** Whether the buyer pays (true) or the server charges by itself (false). */
  async function buyerPays() {
    config ??= await api('GET', '/api/checkout');
    if (config.mode === 'buyer' && $('card-preset').options.length === 0) {
      for (const [name, number] of Object.entries(config.testCards))
        $('card-preset').append(new Option(`${CARD_NAMES[name] ?? name} · ${number}`, number));
      $('card-number').value = config.testCards.approved;
    }
    return config.mode === 'buyer';
  }

  /** Opens (or resumes, after a refresh) the payment of a held reservation. */
  async function open(reservation) {
    if (current?.reservationId === reservation.id) return;
    current = { reservationId: reservation.id, payment: null };
    $('checkout').classList.remove('hidden');
    $('three-ds').classList.add('hidden');
    setError('');
    setStatus('Preparing your payment…');
    try {
      const { payment } = await api('POST', deps.checkoutPath(reservation.id));
      if (current?.reservationId !== reservation.id) return;
      current.payment = payment;
      $('pay-amount').textContent = money(payment.amountCents);
      setStatus(
        `Pay before the timer runs out (it can run until ${timeOf(payment.maxExpiresAt - deps.skewMs())} at most).`,
      );
      if (payment.lastFailureCode) setError(`Your last card was declined (${payment.lastFailureCode}).`);
      deps.onExpiresAt(payment.expiresAt);
      clearInterval(heartbeat);
      heartbeat = setInterval(keepHold, HEARTBEAT_MS);
    } catch (error) {
      await ended(error);
    }
  }

  async function keepHold() {
    if (!current?.payment) return;
    try {
      const { payment } = await api('POST', `${deps.checkoutPath(current.reservationId)}/extend`);
      deps.onExpiresAt(payment.expiresAt);
    } catch (error) {
      await ended(error);
    }
  }

  async function payWithCard() {
    const { payment } = current ?? {};
    if (!payment) return;
    setError('');
    setStatus('Contacting your bank…');
    const { status } = await api(
      'POST',
      `/api/simulator/payments/${encodeURIComponent(payment.paymentId)}/confirm`,
      {
        clientSecret: payment.clientSecret,
        card: $('card-number').value.replace(/\s+/g, ''),
      },
    );
    if (status === 'REQUIRES_ACTION') {
      $('card-form').classList.add('hidden');
      $('three-ds').classList.remove('hidden');
      setStatus('Your bank asks you to confirm this payment.');
      return;
    }
    paid();
  }

  async function authenticate(approve) {
    const { payment } = current ?? {};
    if (!payment) return;
    $('three-ds').classList.add('hidden');
    $('card-form').classList.remove('hidden');
    const { status } = await api(
      'POST',
      `/api/simulator/payments/${encodeURIComponent(payment.paymentId)}/authenticate`,
      { clientSecret: payment.clientSecret, approve },
    );
    if (status === 'SUCCEEDED') paid();
  }

  function paid() {
    $('card-form').classList.add('hidden');
    setStatus('Payment approved. Confirming your seats…');
  }

  /** The buyer leaves: the payment is voided and the seats go back at once. */
  async function leave() {
    const reservationId = current?.reservationId;
    if (!reservationId) return;
    const { reservation } = await api('DELETE', deps.checkoutPath(reservationId));
    stop();
    deps.onReservation(reservation);
  }

  function failed(error) {
    if (error instanceof ApiError && error.code === 'PAYMENT_DECLINED') {
      setStatus('');
      return setError(`Declined (${error.body?.error?.failureCode ?? 'declined'}). Try another card.`);
    }
    if (error instanceof ApiError && error.code === 'NOT_CONFIRMABLE')
      return setStatus('This payment is already under way.');
    toast(error.message || String(error));
  }

  /** A checkout call refused because the reservation is over: show it as the server has it. */
  async function ended(error) {
    if (!(error instanceof ApiError) || error.status >= 500) return failed(error);
    const reservationId = current?.reservationId;
    stop();
    if (!reservationId) return;
    const { reservation } = await api('GET', deps.checkoutPath(reservationId).replace(/\/checkout$/, ''));
    deps.onReservation(reservation);
  }

  function stop() {
    clearInterval(heartbeat);
    heartbeat = null;
    current = null;
    $('checkout').classList.add('hidden');
    $('card-form').classList.remove('hidden');
    $('three-ds').classList.add('hidden');
  }

  function setStatus(text) {
    $('checkout-status').textContent = text;
  }

  function setError(text) {
    $('card-error').textContent = text;
    $('card-error').classList.toggle('hidden', !text);
  }

  return { buyerPays, open, leave, stop, active: () => current !== null };
}

function timeOf(epochMs) {
  return new Date(epochMs).toLocaleTimeString();
}
