import { z } from 'zod';
import { ConfigurationError, InfrastructureError } from '../common/errors';
import { ReservationId, SaleId, UserId } from '../common/ids';
import { positiveInteger } from '../common/settings';
import { validate } from '../common/validate';
import type { AlertSink } from '../ports/alert-sink';
import type { CheckoutStore, PaymentRecord } from '../ports/checkout-store';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import type { HoldRecord, InventoryStore } from '../ports/inventory-store';
import type { PaymentProvider, PaymentWebhookEvent, WebhookDelivery } from '../ports/payment-gateway';
import type { ReservationRepository, ReservationRow } from '../ports/reservation-repository';
import { keepConfirmedInStore } from '../reservation/confirmed-in-store';
import { PriceList } from '../reservation/price-list';
import { compensateFailed, publishConfirmed } from '../reservation/settlement';
import { confirmedNotification, failedNotification } from './notifications';

/** Options of {@link Checkout}. */
export interface CheckoutOptions {
  provider: PaymentProvider;
  store: CheckoutStore;
  inventory: InventoryStore;
  repository: ReservationRepository;
  /** Where results go (the runtime's publisher routed through each sale's hooks). */
  publisher: EventPublisher;
  alerts: AlertSink;
  clock: Clock;
  /** ISO 4217 currency of the sale's prices, lower case; `eur` by default. */
  currency?: string;
  /**
   * While a payment is in progress the hold is kept alive at least this long from now (when the
   * payment is created, on each 3-D Secure or processing webhook, on each `extend`); 120 s by default.
   */
  paymentWindowMs?: number;
  /**
   * The bound of those extensions: a hold never lives past `heldAt + maxHoldMs` (too long a hold
   * keeps others out: docs/design.md §Checkout); 15 min by default.
   */
  maxHoldMs?: number;
}

/** Identifies a buyer's reservation in a checkout call. */
export interface CheckoutRequest {
  saleId: string;
  reservationId: string;
  userId: string;
}

/** What a buyer's client needs to confirm a payment, and the countdown to show. */
export interface CheckoutPayment {
  reservationId: string;
  provider: string;
  paymentId: string;
  /** Hand it to the provider's client library (Stripe.js `confirmCardPayment`); never log it. */
  clientSecret: string | null;
  amountCents: number;
  currency: string;
  /** The hold's expiry now (epoch ms): the countdown. */
  expiresAt: number;
  /** The latest the hold can be extended to while paying (epoch ms). */
  maxExpiresAt: number;
  /** The code of the last declined attempt (the buyer may try again), if any. */
  lastFailureCode: string | null;
}

/** Why a checkout call was refused; nothing changed. */
export type CheckoutRefusal =
  | 'NOT_FOUND' // no such hold (or it belongs to another buyer: not told apart, to leak nothing)
  | 'HOLD_EXPIRED' // the hold has run out: the seat went back
  | 'HOLD_RELEASED' // the hold was given back
  | 'ALREADY_PAID' // the reservation is confirmed
  | 'FAILED'; // the reservation is over (see its failure reason)

/** The answer of {@link Checkout.begin} and {@link Checkout.extend}. */
export type CheckoutOutcome = { ok: true; payment: CheckoutPayment } | { ok: false; code: CheckoutRefusal };

/** Where a buyer's checkout stands (what a status endpoint or a page reload shows). */
export interface CheckoutStatus {
  /** HELD until a payment is created; PAYMENT_PENDING while paying; then CONFIRMED or FAILED. */
  state: 'HELD' | 'PAYMENT_PENDING' | 'CONFIRMED' | 'FAILED';
  /** The hold's expiry while it is HELD or PAYMENT_PENDING, else null. */
  expiresAt: number | null;
  payment: CheckoutPayment | null;
  failureReason: string | null;
}

/** What a handled webhook did. */
export type WebhookOutcome =
  | 'CONFIRMED' // paid, and the seat is the buyer's
  | 'REFUNDED' // paid, but the hold was gone: the money went back
  | 'DECLINED' // an attempt failed; the buyer may retry while the hold lasts
  | 'VOIDED' // the payment was cancelled; the reservation failed and the seat went back
  | 'EXTENDED' // 3-D Secure or processing: the hold was extended (bounded)
  | 'NO_CHANGE' // nothing left to do (an out-of-order event after the end)
  | 'DUPLICATE' // this event was handled before
  | 'IGNORED'; // an event the checkout has no use for

/** Why a checkout failed a reservation (its `failureReason`). */
export type CheckoutFailureReason =
  | 'HOLD_EXPIRED'
  | 'HOLD_RELEASED'
  | 'HOLD_NOT_FOUND'
  | 'CHECKOUT_ABANDONED'
  | 'PAYMENT_CANCELED'
  | 'PAYMENT_MISMATCH';

const Request = z.object({ saleId: SaleId, reservationId: ReservationId, userId: UserId });

/**
 * The buyer-driven checkout: the saga reserve → payment → confirm → notify (docs/design.md
 * §Checkout, §Failure handling).
 *
 * 1. `begin`: the buyer's held reservation gets ONE payment at the provider (amount from the
 *    sale's price list, idempotency key from the reservation), recorded with the reservation moved
 *    HELD (`REQUESTED`) → PAYMENT_PENDING, and the hold extended, bounded.
 * 2. The buyer confirms the payment on the client (card, 3-D Secure).
 * 3. `handleWebhook`: the provider's signed result. Success confirms the hold (the store's
 *    owner-only compare-and-set decides), then CONFIRMED and its notification in one atomic step,
 *    then `ReservationConfirmed`.
 * 4. Every failure is compensated: the payment voided (not paid) or refunded (paid, but the seat is
 *    no longer the buyer's), FAILED with its notification, the units back, `ReservationFailed`.
 *
 * The rule for late, duplicated and out-of-order webhooks: a successful payment confirms the
 * reservation if and only if the store still holds the seat for that buyer; otherwise it is
 * refunded in full. Every step is idempotent, so any replay (of a webhook, an event, a call) ends
 * in the same single final state. See docs/checkout.md.
 */
export class Checkout {
  readonly #o: CheckoutOptions;
  readonly #currency: string;
  readonly #windowMs: number;
  readonly #maxHoldMs: number;
  readonly #prices = new Map<string, PriceList>();

  constructor(options: CheckoutOptions) {
    this.#o = options;
    this.#currency = options.currency ?? 'eur';
    this.#windowMs = options.paymentWindowMs ?? 120_000;
    this.#maxHoldMs = options.maxHoldMs ?? 900_000;
    if (!/^[a-z]{3}$/.test(this.#currency)) {
      throw new ConfigurationError(`currency must be an ISO 4217 code in lower case (got ${this.#currency})`);
    }
    positiveInteger('paymentWindowMs', this.#windowMs);
    positiveInteger('maxHoldMs', this.#maxHoldMs);
  }

  /** The provider's name (payments and receipts are kept by it). */
  get provider(): string {
    return this.#o.provider.name;
  }

  /**
   * Starts (or resumes) paying for a held reservation: creates its one payment at the provider,
   * records it, moves the reservation to PAYMENT_PENDING and extends the hold (bounded). Calling
   * it again answers the same payment, with the countdown refreshed.
   */
  async begin(input: CheckoutRequest): Promise<CheckoutOutcome> {
    const request = validate('checkout', Request, input);
    const found = await this.#ownHold(request);
    if (!found.ok) return found;
    const { hold, row } = found;
    let record = await this.#o.store.payment(row.reservationId);
    if (!record) {
      // PAYMENT_PENDING before the provider is called: a payment the provider made and this
      // process could not record (a failed write, a crash) is then known to may exist, and the
      // reservation's end voids it (see #closePaymentOfEnded); recordPayment's own move is a no-op
      if (row.status === 'REQUESTED') {
        const moved = await this.#o.repository.transition({
          reservationId: row.reservationId,
          from: ['REQUESTED'],
          to: 'PAYMENT_PENDING',
          now: this.#o.clock.now(),
        });
        // the hold's end failed the reservation since it was read: no payment is made for it (a
        // payment made now would rest on this call alone to void it)
        if (!moved && (await this.#o.repository.get(row.reservationId))?.status !== 'PAYMENT_PENDING') {
          return { ok: false, code: 'FAILED' };
        }
      }
      const created = await this.#createPayment(row);
      const now = this.#o.clock.now();
      ({ record } = await this.#o.store.recordPayment({
        reservationId: row.reservationId,
        saleId: row.saleId,
        userId: row.userId,
        provider: this.#o.provider.name,
        paymentId: created.paymentId,
        amountCents: created.amountCents,
        currency: created.currency,
        status: 'PENDING',
        clientSecret: created.clientSecret,
        lastFailureCode: created.lastFailureCode,
        createdAt: now,
        updatedAt: now,
      }));
    }
    if (record.status !== 'PENDING')
      return { ok: false, code: record.status === 'SUCCEEDED' ? 'ALREADY_PAID' : 'FAILED' };
    // the hold may have ended while the payment was being created (its HoldExpired handled, the
    // reservation failed before this payment was recorded): a failed reservation keeps no open
    // payment. holdEnded looks again after it fails one, so whichever comes second closes it
    const current = await this.#o.repository.get(row.reservationId);
    if (current?.status === 'FAILED' || current?.status === 'COMPENSATED') {
      await this.#closePaymentOfEnded(current);
      return { ok: false, code: 'FAILED' };
    }
    const expiresAt = await this.#extendBounded(hold);
    if (expiresAt === null) return { ok: false, code: 'HOLD_EXPIRED' };
    return { ok: true, payment: this.#view(record, hold, expiresAt) };
  }

  /**
   * The buyer is still on the payment page: keeps a PAYMENT_PENDING hold alive for another payment
   * window, never past its bound. Refused once the hold or the reservation is over.
   */
  async extend(input: CheckoutRequest): Promise<CheckoutOutcome> {
    const request = validate('checkout', Request, input);
    const found = await this.#ownHold(request);
    if (!found.ok) return found;
    const record = await this.#o.store.payment(request.reservationId);
    if (record?.status !== 'PENDING') return { ok: false, code: record ? 'FAILED' : 'NOT_FOUND' };
    const expiresAt = await this.#extendBounded(found.hold);
    if (expiresAt === null) return { ok: false, code: 'HOLD_EXPIRED' };
    return { ok: true, payment: this.#view(record, found.hold, expiresAt) };
  }

  /** Where the buyer's checkout stands, with the countdown. Null when there is no such reservation. */
  async status(input: CheckoutRequest): Promise<CheckoutStatus | null> {
    const request = validate('checkout', Request, input);
    const hold = await this.#o.inventory.getHold(request.saleId, request.reservationId);
    const row = await this.#o.repository.get(request.reservationId);
    const owner = row?.userId ?? hold?.userId;
    if (owner !== request.userId || (!row && !hold)) return null;
    const record = await this.#o.store.payment(request.reservationId);
    if (row?.status === 'CONFIRMED') {
      return {
        state: 'CONFIRMED',
        expiresAt: null,
        payment: record && hold ? this.#view(record, hold, null) : null,
        failureReason: null,
      };
    }
    if (row?.status === 'FAILED' || row?.status === 'COMPENSATED') {
      return { state: 'FAILED', expiresAt: null, payment: null, failureReason: row.failureReason };
    }
    const live = hold?.status === 'HELD' && hold.expiresAt > this.#o.clock.now();
    const expiresAt = live ? hold.expiresAt : null;
    return {
      state: record?.status === 'PENDING' ? 'PAYMENT_PENDING' : 'HELD',
      expiresAt,
      payment: record?.status === 'PENDING' && hold ? this.#view(record, hold, expiresAt) : null,
      failureReason: null,
    };
  }

  /**
   * The buyer leaves: the payment is voided and the hold given back, the reservation FAILED
   * (CHECKOUT_ABANDONED). If the buyer had in fact paid already, the payment wins: the
   * reservation is confirmed (or refunded, by the rule). Answers the final state.
   */
  async cancel(input: CheckoutRequest): Promise<'CONFIRMED' | 'FAILED' | 'NOT_FOUND'> {
    const request = validate('checkout', Request, input);
    const row = await this.#o.repository.get(request.reservationId);
    if (row && row.userId !== request.userId) return 'NOT_FOUND';
    if (!row) {
      const hold = await this.#o.inventory.getHold(request.saleId, request.reservationId);
      if (hold?.userId !== request.userId) return 'NOT_FOUND';
    }
    const outcome = await this.holdEnded(request.saleId, request.reservationId, 'CHECKOUT_ABANDONED');
    return outcome === 'CONFIRMED' ? 'CONFIRMED' : outcome === 'NOT_FOUND' ? 'NOT_FOUND' : 'FAILED';
  }

  /**
   * Verifies a provider's webhook and applies it, idempotently. Throws `WebhookSignatureError`
   * (answer 400) for a delivery that is not authentic; other throws mean "not handled, deliver it
   * again" (answer 5xx: the provider retries).
   */
  async handleWebhook(delivery: WebhookDelivery): Promise<{ eventId: string; outcome: WebhookOutcome }> {
    const event = this.#o.provider.verifyWebhook(delivery);
    const provider = this.#o.provider.name;
    if (await this.#o.store.hasReceipt(provider, event.eventId))
      return { eventId: event.eventId, outcome: 'DUPLICATE' };
    const outcome = await this.#apply(event);
    await this.#o.store.recordReceipt({
      provider,
      eventId: event.eventId,
      type: event.type,
      paymentId: event.type === 'IGNORED' ? null : event.paymentId,
      receivedAt: this.#o.clock.now(),
    });
    return { eventId: event.eventId, outcome };
  }

  /**
   * A hold ended without a payment confirming it (expired, released, the buyer left): the payment
   * is voided — or, when the provider says it was paid meanwhile, handled as a payment — and the
   * reservation fails with its units back. Idempotent; the worker calls it for HoldExpired events.
   */
  async holdEnded(
    saleId: string,
    reservationId: string,
    reason: CheckoutFailureReason,
  ): Promise<'CONFIRMED' | 'REFUNDED' | 'FAILED' | 'NOT_FOUND'> {
    const row = await this.#ensureRow(saleId, reservationId);
    if (!row) return 'NOT_FOUND';
    if (row.status === 'CONFIRMED') return 'CONFIRMED';
    const record = await this.#o.store.payment(reservationId);
    if (record?.status === 'PENDING' || record?.status === 'SUCCEEDED') {
      const provider = await this.#o.provider.cancelPayment({
        paymentId: record.paymentId,
        idempotencyKey: `seatrush-void-${reservationId}`,
      });
      if (provider.status === 'SUCCEEDED') {
        const paid = await this.#paid(row, record, provider.amountCents, provider.currency);
        return paid === 'CONFIRMED' ? 'CONFIRMED' : 'REFUNDED';
      }
      await this.#o.store.updatePayment({
        reservationId,
        from: ['PENDING'],
        to: 'VOIDED',
        now: this.#o.clock.now(),
      });
    } else if (record?.status === 'REFUNDED') {
      // a refund recorded whose call at the provider may not have been made (it failed, or its
      // process stopped): asked again under its idempotency key before the reservation fails
      await this.#refund(record.paymentId, row, 'LATE_PAYMENT');
    } else if (!record && row.status === 'PAYMENT_PENDING') {
      // a payment the provider made that was never recorded, closed before the reservation fails:
      // a retry of this call (the provider unreachable) still finds the row PAYMENT_PENDING and
      // looks again, where a FAILED one would tell it nothing of a payment
      await this.#closePaymentOfEnded(row, true);
    }
    if (!(await this.#fail(row, reason, true))) {
      // a begin moved it to PAYMENT_PENDING since it was read: its payment, recorded or not, is
      // looked for afresh (only once: REQUESTED → PAYMENT_PENDING is the one move a begin makes)
      return this.holdEnded(saleId, reservationId, reason);
    }
    // a payment `begin` recorded after the read above (it looks again after recording one)
    const ended = await this.#o.repository.get(reservationId);
    if (ended?.status === 'FAILED' || ended?.status === 'COMPENSATED') {
      await this.#closePaymentOfEnded(ended);
    }
    return 'FAILED';
  }

  /** The reservation's one payment at the provider: its idempotency key answers it again. */
  #createPayment(row: ReservationRow) {
    return this.#o.provider.createPayment({
      reservationId: row.reservationId,
      saleId: row.saleId,
      userId: row.userId,
      amountCents: row.amountCents,
      currency: this.#currency,
      idempotencyKey: `seatrush-payment-${row.reservationId}`,
    });
  }

  /**
   * Voids the open payment of a reservation that has ended unpaid (FAILED or COMPENSATED, or whose
   * hold ended and which `holdEnded` is about to fail), or refunds it when the provider says it
   * was paid meanwhile (the seat is gone: a late payment). Nothing when its payment is not open.
   * With `unrecorded`, a reservation whose payment began (PAYMENT_PENDING) but has no record: the
   * provider may have made the payment before its record was lost, so it is asked again under the
   * payment's idempotency key (which answers that one) and voided. Idempotent (the provider's keys).
   */
  async #closePaymentOfEnded(row: ReservationRow, unrecorded = false): Promise<void> {
    const record = await this.#o.store.payment(row.reservationId);
    if (record ? record.status !== 'PENDING' : !unrecorded) return;
    const paymentId = record?.paymentId ?? (await this.#createPayment(row)).paymentId;
    const provider = await this.#o.provider.cancelPayment({
      paymentId,
      idempotencyKey: `seatrush-void-${row.reservationId}`,
    });
    if (provider.status === 'SUCCEEDED') {
      await this.#refund(paymentId, row, 'LATE_PAYMENT', record !== null);
      return;
    }
    if (!record) return;
    await this.#o.store.updatePayment({
      reservationId: row.reservationId,
      from: ['PENDING'],
      to: 'VOIDED',
      now: this.#o.clock.now(),
    });
  }

  async #apply(event: PaymentWebhookEvent): Promise<WebhookOutcome> {
    if (event.type === 'IGNORED') return 'IGNORED';
    const reservationId = event.reservationId;
    const record = reservationId ? await this.#o.store.payment(reservationId) : null;
    const row = reservationId ? await this.#ensureRow(record?.saleId ?? null, reservationId) : null;
    if (!row || !reservationId) {
      // not a payment of ours (or its reservation is unknown): money taken for nothing goes back
      await this.#alert(
        'UNKNOWN_PAYMENT',
        `webhook ${event.eventId} names payment ${event.paymentId} of no known reservation`,
        {
          eventId: event.eventId,
          paymentId: event.paymentId,
          reservationId,
        },
      );
      if (event.type === 'PAYMENT_SUCCEEDED') {
        await this.#o.provider.refundPayment({
          paymentId: event.paymentId,
          reason: 'UNKNOWN_RESERVATION',
          idempotencyKey: `seatrush-refund-${event.paymentId}`,
        });
        return 'REFUNDED';
      }
      return 'IGNORED';
    }
    const now = this.#o.clock.now();
    const payment: PaymentRecord = record ?? {
      // paid before its record was written (a crash between the provider's call and the record)
      reservationId,
      saleId: row.saleId,
      userId: row.userId,
      provider: this.#o.provider.name,
      paymentId: event.paymentId,
      amountCents: event.amountCents,
      currency: event.currency,
      status: 'PENDING',
      clientSecret: null,
      lastFailureCode: null,
      createdAt: now,
      updatedAt: now,
    };
    if (!record) await this.#o.store.recordPayment(payment);
    switch (event.type) {
      case 'PAYMENT_SUCCEEDED':
        return this.#paid(row, payment, event.amountCents, event.currency, event.paymentId);
      case 'PAYMENT_FAILED': {
        const noted = await this.#o.store.updatePayment({
          reservationId,
          from: ['PENDING'],
          to: 'PENDING',
          lastFailureCode: event.failureCode ?? 'declined',
          now,
        });
        return noted ? 'DECLINED' : 'NO_CHANGE';
      }
      case 'PAYMENT_CANCELED': {
        if (row.status === 'CONFIRMED') return 'NO_CHANGE';
        const outcome = await this.holdEnded(row.saleId, reservationId, 'PAYMENT_CANCELED');
        return outcome === 'CONFIRMED' ? 'CONFIRMED' : outcome === 'REFUNDED' ? 'REFUNDED' : 'VOIDED';
      }
      case 'PAYMENT_REQUIRES_ACTION':
      case 'PAYMENT_PROCESSING': {
        if (row.status !== 'PAYMENT_PENDING' && row.status !== 'REQUESTED') return 'NO_CHANGE';
        const hold = await this.#o.inventory.getHold(row.saleId, reservationId);
        if (!hold) return 'NO_CHANGE';
        return (await this.#extendBounded(hold)) === null ? 'NO_CHANGE' : 'EXTENDED';
      }
    }
  }

  /**
   * A successful payment. It confirms the reservation if and only if the store's owner-only
   * confirm succeeds (the seat is still this buyer's); else the payment is refunded in full.
   */
  async #paid(
    row: ReservationRow,
    record: PaymentRecord,
    amountCents: number,
    currency: string,
    paymentId = record.paymentId,
  ): Promise<'CONFIRMED' | 'REFUNDED'> {
    const { inventory, store, clock } = this.#o;
    if (paymentId !== record.paymentId) {
      // a second payment for one reservation: the first one is the reservation's, this one goes back
      await this.#refund(paymentId, row, 'DUPLICATE_PAYMENT', false);
      return 'REFUNDED';
    }
    if (row.status === 'CONFIRMED') {
      // a replay (the provider's next delivery after a cold store): the store must keep it sold
      await keepConfirmedInStore(this.#o, row);
      await store.updatePayment({
        reservationId: row.reservationId,
        from: ['PENDING'],
        to: 'SUCCEEDED',
        now: clock.now(),
      });
      await publishConfirmed(this.#o, row, paymentId);
      return 'CONFIRMED';
    }
    // the reservation ended, or this payment was refunded already (a retry after the provider's
    // answer was lost): it goes back, whatever a rebuilt store holds now
    if (row.status === 'FAILED' || row.status === 'COMPENSATED' || record.status === 'REFUNDED') {
      await this.#refund(paymentId, row, 'LATE_PAYMENT');
      await this.#fail(row, 'HOLD_EXPIRED');
      return 'REFUNDED';
    }
    if (amountCents !== row.amountCents || currency !== record.currency) {
      await this.#alert(
        'PAYMENT_MISMATCH',
        `payment ${paymentId} paid ${amountCents} ${currency} for reservation ${row.reservationId} of ${row.amountCents} ${record.currency}`,
        {
          reservationId: row.reservationId,
          paymentId,
        },
      );
      await this.#refund(paymentId, row, 'PAYMENT_MISMATCH');
      await this.#fail(row, 'PAYMENT_MISMATCH');
      return 'REFUNDED';
    }
    const ref = { saleId: row.saleId, reservationId: row.reservationId, userId: row.userId };
    const confirmed = await inventory.confirm({ ...ref, now: clock.now() });
    // the store lost the sale (a wipe, before its rebuild): no answer about the hold, so not late;
    // "not handled" makes the provider deliver it again once the rebuild brought the hold back
    if (!confirmed.ok && confirmed.code === 'SALE_NOT_WARM') {
      throw new InfrastructureError(
        `sale ${row.saleId} is not loaded in the store; retry the payment's webhook`,
      );
    }
    if (!confirmed.ok) {
      const hold = await inventory.getHold(row.saleId, row.reservationId);
      // a replay after a crash between the store's confirm and the record: that is success
      if (hold?.status !== 'CONFIRMED' || hold.userId !== row.userId) {
        // the source of truth decides before any refund: a reservation CONFIRMED there with this
        // payment is a duplicate of its success (a rebuilt store keeps it as sold seats, not as a
        // hold), and nothing changes
        if (await this.#confirmedWith(row.reservationId, paymentId)) {
          await publishConfirmed(this.#o, row, paymentId);
          return 'CONFIRMED';
        }
        await this.#refund(paymentId, row, 'LATE_PAYMENT');
        await this.#fail(
          row,
          confirmed.code === 'EXPIRED' || hold?.status === 'EXPIRED' ? 'HOLD_EXPIRED' : 'HOLD_RELEASED',
        );
        return 'REFUNDED';
      }
    }
    const now = clock.now();
    const moved = await store.settle({
      reservationId: row.reservationId,
      from: ['REQUESTED', 'PAYMENT_PENDING'],
      to: 'CONFIRMED',
      paymentId,
      now,
      notification: confirmedNotification(row, paymentId, record.currency, now),
    });
    if (!moved) {
      const current = await this.#o.repository.get(row.reservationId);
      if (current?.status !== 'CONFIRMED') {
        // failed by someone else after the store confirmed: nothing may stay sold without a record
        await this.#refund(paymentId, row, 'LATE_PAYMENT');
        if (current) await this.#fail(current, 'HOLD_RELEASED');
        return 'REFUNDED';
      }
    }
    // a wipe between the store's confirm and the record brought the hold back HELD: sold again
    await keepConfirmedInStore(this.#o, row);
    await store.updatePayment({ reservationId: row.reservationId, from: ['PENDING'], to: 'SUCCEEDED', now });
    await publishConfirmed(this.#o, row, paymentId);
    return 'CONFIRMED';
  }

  /**
   * Whether the source of truth has the reservation CONFIRMED with this payment (its one paid
   * payment), whatever the caller read before: such a payment is never refunded.
   */
  async #confirmedWith(reservationId: string, paymentId: string): Promise<boolean> {
    const current = await this.#o.repository.get(reservationId);
    if (current?.status !== 'CONFIRMED') return false;
    if (current.paymentId !== null && current.paymentId !== paymentId) return false;
    await this.#o.store.updatePayment({
      reservationId,
      from: ['PENDING'],
      to: 'SUCCEEDED',
      now: this.#o.clock.now(),
    });
    return true;
  }

  async #refund(paymentId: string, row: ReservationRow, reason: string, recorded = true): Promise<void> {
    if (recorded) {
      // recorded before the provider is asked: a refund made whose answer was lost is known to the
      // retry, which must not confirm the reservation with it (a rebuilt store may hold it again)
      await this.#o.store.updatePayment({
        reservationId: row.reservationId,
        from: ['PENDING', 'SUCCEEDED', 'VOIDED'],
        to: 'REFUNDED',
        now: this.#o.clock.now(),
      });
    }
    await this.#o.provider.refundPayment({
      paymentId,
      reason,
      idempotencyKey: `seatrush-refund-${paymentId}`,
    });
  }

  /**
   * Fails a reservation in the order of its state machine: FAILED with its notification (one
   * atomic step), the units back (idempotent), COMPENSATED, then ReservationFailed. Replayable.
   * With `asRead`, only from the status read: false, and nothing done, when a begin has moved the
   * reservation from REQUESTED to PAYMENT_PENDING since (its payment is the caller's to look for).
   */
  async #fail(row: ReservationRow, reason: CheckoutFailureReason, asRead = false): Promise<boolean> {
    const { repository, store, clock } = this.#o;
    let recordedReason: string = reason;
    if (row.status === 'REQUESTED' || row.status === 'PAYMENT_PENDING') {
      const now = clock.now();
      const moved = await store.settle({
        reservationId: row.reservationId,
        from: asRead ? [row.status] : ['REQUESTED', 'PAYMENT_PENDING'],
        to: 'FAILED',
        failureReason: reason,
        now,
        notification: failedNotification(row, reason, now),
      });
      if (!moved) {
        const current = await repository.get(row.reservationId);
        if (current?.status === 'CONFIRMED') return true; // confirmed meanwhile: the payment won
        if (asRead && current?.status === 'PAYMENT_PENDING' && row.status === 'REQUESTED') return false;
        if (current?.status !== 'FAILED' && current?.status !== 'COMPENSATED') {
          throw new InfrastructureError(
            `reservation ${row.reservationId} became ${current?.status ?? 'absent'} while it was being failed`,
          );
        }
        recordedReason = current.failureReason ?? reason;
      }
    } else if (row.status === 'CONFIRMED') {
      return true;
    } else {
      recordedReason = row.failureReason ?? reason;
    }
    await compensateFailed(this.#o, row, recordedReason, true);
    return true;
  }

  /** The buyer's own live hold and its row (written from the hold when the worker has not yet). */
  async #ownHold(
    request: CheckoutRequest,
  ): Promise<{ ok: true; hold: HoldRecord; row: ReservationRow } | { ok: false; code: CheckoutRefusal }> {
    const hold = await this.#o.inventory.getHold(request.saleId, request.reservationId);
    if (!hold || hold.userId !== request.userId) return { ok: false, code: 'NOT_FOUND' };
    const row = await this.#ensureRow(request.saleId, request.reservationId, hold);
    if (!row) return { ok: false, code: 'NOT_FOUND' };
    if (row.status === 'CONFIRMED') return { ok: false, code: 'ALREADY_PAID' };
    if (row.status === 'FAILED' || row.status === 'COMPENSATED') return { ok: false, code: 'FAILED' };
    if (hold.status === 'RELEASED' || hold.status === 'COMPENSATED')
      return { ok: false, code: 'HOLD_RELEASED' };
    if (hold.status !== 'HELD' || hold.expiresAt <= this.#o.clock.now())
      return { ok: false, code: 'HOLD_EXPIRED' };
    return { ok: true, hold, row };
  }

  /**
   * The reservation's row; written from its hold (amount from the sale's price list) when the
   * worker has not written it yet, exactly as the worker would (the insert is idempotent).
   */
  async #ensureRow(
    saleId: string | null,
    reservationId: string,
    known?: HoldRecord,
  ): Promise<ReservationRow | null> {
    const existing = await this.#o.repository.get(reservationId);
    if (existing || saleId === null) return existing;
    const hold = known ?? (await this.#o.inventory.getHold(saleId, reservationId));
    if (!hold) return null;
    const prices = await this.#priceList(saleId);
    await this.#o.repository.insertMany([
      {
        reservationId,
        saleId,
        userId: hold.userId,
        idempotencyKey: hold.idempotencyKey,
        quantity: hold.quantity,
        seatIds: hold.seatIds,
        amountCents: prices.amountOf(hold),
        status: 'REQUESTED',
        paymentId: null,
        failureReason: null,
        createdAt: hold.heldAt,
        updatedAt: this.#o.clock.now(),
      },
    ]);
    // null when the sale already has another reservation under this idempotency key
    return this.#o.repository.get(reservationId);
  }

  async #priceList(saleId: string): Promise<PriceList> {
    const cached = this.#prices.get(saleId);
    if (cached) return cached;
    const sale = await this.#o.repository.getSale(saleId);
    if (!sale) throw new InfrastructureError(`sale ${saleId} is not in the source of truth`);
    const prices = new PriceList(sale);
    this.#prices.set(saleId, prices);
    return prices;
  }

  /** Extends a live hold to now + the payment window, never past heldAt + maxHoldMs; the new expiry or null. */
  async #extendBounded(hold: HoldRecord): Promise<number | null> {
    const now = this.#o.clock.now();
    const bound = hold.heldAt + this.#maxHoldMs;
    const wanted = Math.min(now + this.#windowMs, bound);
    if (hold.status !== 'HELD' || hold.expiresAt <= now) return null;
    if (wanted <= hold.expiresAt) return hold.expiresAt;
    const extended = await this.#o.inventory.extend({
      saleId: hold.saleId,
      reservationId: hold.reservationId,
      userId: hold.userId,
      holdMs: wanted - now,
      now,
    });
    return extended.ok ? extended.hold.expiresAt : null;
  }

  #view(record: PaymentRecord, hold: HoldRecord, expiresAt: number | null): CheckoutPayment {
    return {
      reservationId: record.reservationId,
      provider: record.provider,
      paymentId: record.paymentId,
      clientSecret: record.status === 'PENDING' ? record.clientSecret : null,
      amountCents: record.amountCents,
      currency: record.currency,
      expiresAt: expiresAt ?? hold.expiresAt,
      maxExpiresAt: hold.heldAt + this.#maxHoldMs,
      lastFailureCode: record.lastFailureCode,
    };
  }

  async #alert(code: string, message: string, context: Record<string, unknown>): Promise<void> {
    await this.#o.alerts.alert({ severity: 'critical', code, message, context });
  }
}
