import type { CheckoutPayment } from '@seatrush/core';
import type { Platform } from '../platform/platform';

/** One payment a buyer has started and not finished, as the operator sees it. */
export interface PaymentInProgress {
  saleId: string;
  reservationId: string;
  userId: string;
  paymentId: string;
  amountCents: number;
  currency: string;
  startedAt: number;
  /** The hold's expiry (the buyer's countdown), as last seen. */
  expiresAt: number | null;
  /** CARD: waiting for a card; AUTHENTICATING: the bank's 3-D Secure step is open. */
  step: 'CARD' | 'AUTHENTICATING';
  /** The last declined attempt's code (the buyer may try again while the hold lasts). */
  lastFailureCode: string | null;
}

/** A declined attempt or a checkout that ended without a sale. */
export interface CheckoutFailure {
  at: number;
  saleId: string;
  reservationId: string;
  paymentId: string | null;
  /** DECLINED: one attempt (the checkout goes on); FAILED: the reservation ended, its seats went back. */
  kind: 'DECLINED' | 'FAILED';
  /** The card's decline code, or the reservation's failure reason (HOLD_EXPIRED, CHECKOUT_ABANDONED, …). */
  code: string;
}

/** What the operator's payments panel shows. */
export interface CheckoutActivityView {
  mode: 'auto' | 'buyer';
  inProgress: PaymentInProgress[];
  failures: CheckoutFailure[];
  counts: { started: number; confirmed: number; declined: number; failed: number };
}

const KEPT_FAILURES = 50;
const KEPT_IN_PROGRESS = 500;

/**
 * The payments of the buyer-driven checkout that went through this process, for the operator:
 * those in progress and the recent failures. The SDK keeps each payment's record but no listing of
 * them, so the app remembers what its routes started; each look asks the SDK where every payment
 * in progress stands, so one that ended elsewhere (a hold expired in the worker) leaves the list
 * with its reason. Per process: with several API instances each shows its own buyers.
 */
export class CheckoutActivity {
  readonly #inProgress = new Map<string, PaymentInProgress>();
  readonly #failures: CheckoutFailure[] = [];
  readonly #counts = { started: 0, confirmed: 0, declined: 0, failed: 0 };

  constructor(private readonly platform: Platform) {}

  /** A buyer began (or resumed) paying. */
  begun(saleId: string, userId: string, payment: CheckoutPayment): void {
    const known = this.#inProgress.get(payment.reservationId);
    if (!known) {
      this.#counts.started += 1;
      // a flood of abandoned pages must not grow this without bound: the oldest is forgotten
      if (this.#inProgress.size >= KEPT_IN_PROGRESS) {
        const oldest = this.#inProgress.keys().next().value;
        if (oldest !== undefined) this.#inProgress.delete(oldest);
      }
    }
    this.#inProgress.set(payment.reservationId, {
      saleId,
      reservationId: payment.reservationId,
      userId,
      paymentId: payment.paymentId,
      amountCents: payment.amountCents,
      currency: payment.currency,
      startedAt: known?.startedAt ?? this.platform.now(),
      expiresAt: payment.expiresAt,
      step: known?.step ?? 'CARD',
      lastFailureCode: payment.lastFailureCode,
    });
  }

  /** The buyer's card attempt: approved, 3-D Secure asked, or declined. */
  attempted(paymentId: string, outcome: 'SUCCEEDED' | 'REQUIRES_ACTION' | { declined: string }): void {
    const entry = [...this.#inProgress.values()].find((p) => p.paymentId === paymentId);
    if (!entry) return;
    if (outcome === 'REQUIRES_ACTION') entry.step = 'AUTHENTICATING';
    else if (outcome !== 'SUCCEEDED') {
      entry.step = 'CARD';
      entry.lastFailureCode = outcome.declined;
      this.#counts.declined += 1;
      this.#fail({ ...entry, kind: 'DECLINED', code: outcome.declined });
    }
  }

  /** Every payment in progress re-checked with the SDK, and the recent failures, newest first. */
  async view(): Promise<CheckoutActivityView> {
    await Promise.all([...this.#inProgress.values()].map((entry) => this.#refresh(entry)));
    return {
      mode: this.platform.paymentProvider ? 'buyer' : 'auto',
      inProgress: [...this.#inProgress.values()].sort((a, b) => a.startedAt - b.startedAt),
      failures: [...this.#failures].reverse(),
      counts: { ...this.#counts },
    };
  }

  /** Where one payment stands now; a final one leaves the list (a failure is kept with its reason). */
  async #refresh(entry: PaymentInProgress): Promise<void> {
    const checkout = this.platform.runtime.sale(entry.saleId)?.checkout;
    if (!checkout) return void this.#inProgress.delete(entry.reservationId);
    const status = await checkout.status({ userId: entry.userId, reservationId: entry.reservationId });
    if (status && (status.state === 'PAYMENT_PENDING' || status.state === 'HELD')) {
      entry.expiresAt = status.expiresAt;
      return;
    }
    // two looks at once: only the first one to see the end counts it
    if (this.#inProgress.get(entry.reservationId) !== entry) return;
    this.#inProgress.delete(entry.reservationId);
    if (status?.state === 'CONFIRMED') this.#counts.confirmed += 1;
    else {
      this.#counts.failed += 1;
      this.#fail({ ...entry, kind: 'FAILED', code: status?.failureReason ?? 'UNKNOWN' });
    }
  }

  #fail(entry: Omit<CheckoutFailure, 'at'>): void {
    const { saleId, reservationId, paymentId, kind, code } = entry;
    this.#failures.push({ at: this.platform.now(), saleId, reservationId, paymentId, kind, code });
    if (this.#failures.length > KEPT_FAILURES) this.#failures.shift();
  }
}
