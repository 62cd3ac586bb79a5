/** A charge's answer. A decline is an outcome; an unreachable gateway throws (and is retried). */
export type ChargeOutcome =
  | { ok: true; paymentId: string }
  | { ok: false; code: 'DECLINED' | 'INSUFFICIENT_FUNDS' };

/** The payment provider. Calls carry an idempotency key so a retried charge is charged once. */
export interface PaymentGateway {
  charge(input: {
    reservationId: string;
    userId: string;
    amountCents: number;
    idempotencyKey: string;
  }): Promise<ChargeOutcome>;
  refund(input: { paymentId: string; reason: string; idempotencyKey: string }): Promise<void>;
}
