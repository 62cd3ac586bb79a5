import { ConfigurationError } from '../common/errors';
import { type SaleDefinition, seatsOf } from '../sale/definition';

/**
 * What a reservation costs: the sum of its seats' tier prices, or the general-admission tier's
 * price times the quantity. Built once per sale so the hot path does a map lookup per seat.
 */
export class PriceList {
  private readonly seatPrices = new Map<string, number>();
  private readonly unitPrice: number | null;

  constructor(sale: SaleDefinition) {
    const tierPrices = new Map(sale.tiers.map((tier) => [tier.id, tier.priceCents]));
    if (sale.inventory.kind === 'general') {
      this.unitPrice = priceOf(tierPrices, sale.inventory.tier);
    } else {
      this.unitPrice = null;
      for (const seat of seatsOf(sale)) this.seatPrices.set(seat.id, priceOf(tierPrices, seat.tier));
    }
  }

  /** The amount in cents of `quantity` units, or of the given seats of an assigned-seating sale. */
  amountOf(units: { quantity: number; seatIds: string[] }): number {
    if (this.unitPrice !== null) return this.unitPrice * units.quantity;
    let total = 0;
    for (const seatId of units.seatIds) {
      const price = this.seatPrices.get(seatId);
      if (price === undefined) throw new ConfigurationError(`seat ${seatId} is not in the sale's seat map`);
      total += price;
    }
    return total;
  }
}

function priceOf(tierPrices: Map<string, number>, tier: string): number {
  const price = tierPrices.get(tier);
  // a validated SaleDefinition never names an unknown tier; this guards hand-built objects
  if (price === undefined) throw new ConfigurationError(`unknown price tier ${tier}`);
  return price;
}
