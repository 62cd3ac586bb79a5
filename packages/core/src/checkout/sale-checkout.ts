import type { Checkout, CheckoutOutcome, CheckoutStatus } from './checkout';

/** One buyer's reservation in a sale: what a checkout call of a {@link SaleCheckout} names. */
export interface BuyerReservation {
  userId: string;
  reservationId: string;
}

/**
 * A sale's side of the checkout (`runtime.sale(id).checkout`): the runtime's one {@link Checkout}
 * with the sale id filled in. Webhooks go to `runtime.checkout.handleWebhook` (one endpoint for
 * every sale).
 */
export class SaleCheckout {
  constructor(
    readonly saleId: string,
    private readonly checkout: Checkout,
  ) {}

  /** Creates (or resumes) the payment of the buyer's held reservation; see {@link Checkout.begin}. */
  begin(input: BuyerReservation): Promise<CheckoutOutcome> {
    return this.checkout.begin({ ...input, saleId: this.saleId });
  }

  /** Keeps the hold alive while the buyer pays, bounded; see {@link Checkout.extend}. */
  extend(input: BuyerReservation): Promise<CheckoutOutcome> {
    return this.checkout.extend({ ...input, saleId: this.saleId });
  }

  /** Where the checkout stands, with the countdown; see {@link Checkout.status}. */
  status(input: BuyerReservation): Promise<CheckoutStatus | null> {
    return this.checkout.status({ ...input, saleId: this.saleId });
  }

  /** The buyer leaves: void, seat back, FAILED; see {@link Checkout.cancel}. */
  cancel(input: BuyerReservation): Promise<'CONFIRMED' | 'FAILED' | 'NOT_FOUND'> {
    return this.checkout.cancel({ ...input, saleId: this.saleId });
  }
}
