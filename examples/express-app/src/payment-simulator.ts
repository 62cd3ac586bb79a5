import { randomUUID } from 'node:crypto';
import type { ChargeOutcome, PaymentGateway } from '@seatrush/core';

/** Settings of the {@link PaymentSimulator}; the operator may change them while the app runs. */
export interface PaymentSimulatorSettings {
  /** How long a charge takes. */
  latencyMs: number;
  /** Share of charges declined, 0..1: makes the compensation path visible in the demo. */
  failureRate: number;
}

/**
 * A payment provider stand-in behind the SDK's `PaymentGateway` port. A charge is made once per
 * idempotency key (a retried charge answers the first outcome, as real providers do), so the
 * worker's retries never charge a buyer twice.
 */
export class PaymentSimulator implements PaymentGateway {
  settings: PaymentSimulatorSettings;
  readonly #charges = new Map<string, ChargeOutcome>();
  readonly #refunds = new Set<string>();
  readonly #random: () => number;

  constructor(settings: PaymentSimulatorSettings, random: () => number = Math.random) {
    this.settings = { ...settings };
    this.#random = random;
  }

  async charge(input: {
    reservationId: string;
    userId: string;
    amountCents: number;
    idempotencyKey: string;
  }): Promise<ChargeOutcome> {
    const earlier = this.#charges.get(input.idempotencyKey);
    if (earlier) return earlier;
    await delay(this.settings.latencyMs);
    const again = this.#charges.get(input.idempotencyKey);
    if (again) return again;
    const outcome: ChargeOutcome =
      this.#random() < this.settings.failureRate
        ? { ok: false, code: 'DECLINED' }
        : { ok: true, paymentId: `pay_${randomUUID()}` };
    this.#charges.set(input.idempotencyKey, outcome);
    return outcome;
  }

  async refund(input: { paymentId: string; reason: string; idempotencyKey: string }): Promise<void> {
    await delay(this.settings.latencyMs);
    this.#refunds.add(input.paymentId);
  }

  /** Charges made and refunds given so far (for the dashboard). */
  figures(): { charges: number; declined: number; refunds: number } {
    let declined = 0;
    for (const outcome of this.#charges.values()) if (!outcome.ok) declined++;
    return { charges: this.#charges.size, declined, refunds: this.#refunds.size };
  }
}

function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
