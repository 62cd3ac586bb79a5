import { z } from 'zod';
import { SeatRushError } from '../common/errors';
import { validate } from '../common/validate';
import type { ChargeOutcome, PaymentGateway } from '../ports/payment-gateway';

const ChargeInput = z.object({
  reservationId: z.string().min(1),
  userId: z.string().min(1),
  amountCents: z.number().int().nonnegative(),
  idempotencyKey: z.string().min(1).max(256),
});
const RefundInput = z.object({
  paymentId: z.string().min(1),
  reason: z.string().min(1),
  idempotencyKey: z.string().min(1).max(256),
});

/** One scripted answer; `reservationId` limits it to that reservation's charges. */
type Script =
  | { kind: 'decline'; code: 'DECLINED' | 'INSUFFICIENT_FUNDS'; times: number; reservationId?: string }
  | { kind: 'throw'; error: Error; times: number; reservationId?: string };

/** A charge the fake gateway accepted. */
export interface FakeCharge {
  paymentId: string;
  reservationId: string;
  userId: string;
  amountCents: number;
  idempotencyKey: string;
}

/** A refund the fake gateway accepted. */
export interface FakeRefund {
  paymentId: string;
  reason: string;
  idempotencyKey: string;
}

/** What the fake gateway throws when told to fail: an unreachable provider (retried by callers). */
export class PaymentUnavailableError extends SeatRushError {
  constructor(message = 'payment gateway unavailable') {
    super('PAYMENT_UNAVAILABLE', message);
  }
}

/**
 * A payment gateway for tests and the embedded demo. It approves by default; `decline` and `fail`
 * script the next answers (optionally for one reservation only). Like a real provider, a charge is
 * made once per idempotency key: repeating the key answers the first outcome without charging
 * again (a thrown attempt made no charge and may be repeated).
 */
export class FakePaymentGateway implements PaymentGateway {
  readonly #scripts: Script[] = [];
  readonly #outcomes = new Map<string, ChargeOutcome>();
  readonly #charges: FakeCharge[] = [];
  readonly #refunds = new Map<string, FakeRefund>();
  #calls = 0;

  /** Declines the next `times` charges (of `reservationId` only, when given). */
  decline(
    options: { times?: number; code?: 'DECLINED' | 'INSUFFICIENT_FUNDS'; reservationId?: string } = {},
  ): this {
    this.#scripts.push({
      kind: 'decline',
      code: options.code ?? 'DECLINED',
      times: options.times ?? 1,
      ...pick(options),
    });
    return this;
  }

  /** Throws on the next `times` charges (of `reservationId` only, when given): an outage. */
  fail(options: { times?: number; error?: Error; reservationId?: string } = {}): this {
    this.#scripts.push({
      kind: 'throw',
      error: options.error ?? new PaymentUnavailableError(),
      times: options.times ?? 1,
      ...pick(options),
    });
    return this;
  }

  async charge(input: {
    reservationId: string;
    userId: string;
    amountCents: number;
    idempotencyKey: string;
  }): Promise<ChargeOutcome> {
    const request = validate('charge', ChargeInput, input);
    this.#calls += 1;
    const earlier = this.#outcomes.get(request.idempotencyKey);
    if (earlier) return { ...earlier };
    const script = this.#scripts.find(
      (s) => s.reservationId === undefined || s.reservationId === request.reservationId,
    );
    if (script) {
      script.times -= 1;
      if (script.times <= 0) this.#scripts.splice(this.#scripts.indexOf(script), 1);
      if (script.kind === 'throw') throw script.error;
    }
    const outcome: ChargeOutcome =
      script?.kind === 'decline'
        ? { ok: false, code: script.code }
        : { ok: true, paymentId: `pay_${this.#charges.length + 1}` };
    if (outcome.ok) this.#charges.push({ ...request, paymentId: outcome.paymentId });
    this.#outcomes.set(request.idempotencyKey, outcome);
    return { ...outcome };
  }

  async refund(input: { paymentId: string; reason: string; idempotencyKey: string }): Promise<void> {
    const request = validate('refund', RefundInput, input);
    if (!this.#charges.some((charge) => charge.paymentId === request.paymentId)) {
      throw new SeatRushError('UNKNOWN_PAYMENT', `no charge ${request.paymentId} to refund`);
    }
    if (!this.#refunds.has(request.idempotencyKey)) this.#refunds.set(request.idempotencyKey, request);
  }

  /** Charges made (each idempotency key once), oldest first. */
  charges(): FakeCharge[] {
    return this.#charges.map((charge) => ({ ...charge }));
  }

  /** Refunds made (each idempotency key once), oldest first. */
  refunds(): FakeRefund[] {
    return [...this.#refunds.values()].map((refund) => ({ ...refund }));
  }

  /** Every call to `charge`, repeats and failures included. */
  get chargeCalls(): number {
    return this.#calls;
  }
}

function pick(options: { reservationId?: string }): { reservationId?: string } {
  return options.reservationId === undefined ? {} : { reservationId: options.reservationId };
}
