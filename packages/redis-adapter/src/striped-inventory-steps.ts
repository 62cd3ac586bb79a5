import type { HoldRecord, InventorySteps, SeatState } from '@seatrush/core';
import type { RedisInventorySteps } from './inventory-steps';

/** How many times a take tries stripe 0 at most (each try after units came in or were in flight). */
const MAX_ROUNDS = 200;

/**
 * The lock strategy's building blocks on a striped store. Its holds live on stripe 0 (so the
 * per-user count it reads and writes is one hash, and stays exact while every reserve of the sale
 * goes through the lock); when stripe 0's stock cannot cover a `takeStock`, units are borrowed
 * from the other stripes into stripe 0 (the same atomic transfers the atomic strategy borrows
 * with) and the take is tried again, so the lock strategy sells the whole sale.
 */
export class RedisStripedInventorySteps implements InventorySteps {
  constructor(
    private readonly stripeZero: RedisInventorySteps,
    private readonly stripes: {
      /** Moves units from the other stripes into stripe 0; answers how many (0: none left). */
      borrowIntoStripeZero(saleId: string, units: number): Promise<number>;
      /** The free units of every stripe, those in flight between stripes included. */
      freeUnits(saleId: string): Promise<number>;
    },
  ) {}

  findOutcome(
    saleId: string,
    idempotencyKey: string,
  ): Promise<{ fingerprint: string; hold: HoldRecord } | null> {
    return this.stripeZero.findOutcome(saleId, idempotencyKey);
  }

  unitsOfUser(saleId: string, userId: string): Promise<number> {
    return this.stripeZero.unitsOfUser(saleId, userId);
  }

  seatStatesOf(saleId: string, seatIds: string[]): Promise<Array<SeatState | undefined>> {
    return this.stripeZero.seatStatesOf(saleId, seatIds);
  }

  /**
   * DECRBY on stripe 0; when it is short, borrows from the other stripes and takes again. SOLD_OUT
   * once nothing is left to borrow and the free units, those in flight included, are fewer than
   * asked (concurrent takers may have moved units that are still on their way to stripe 0).
   */
  async takeStock(
    saleId: string,
    quantity: number,
    fencingToken: number,
  ): Promise<'TAKEN' | 'SOLD_OUT' | 'STALE_TOKEN'> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const taken = await this.stripeZero.takeStock(saleId, quantity, fencingToken);
      if (taken !== 'SOLD_OUT') return taken;
      if ((await this.stripes.borrowIntoStripeZero(saleId, quantity)) > 0) continue;
      if ((await this.stripes.freeUnits(saleId)) < quantity) return 'SOLD_OUT';
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return 'SOLD_OUT';
  }

  returnStock(saleId: string, quantity: number): Promise<void> {
    return this.stripeZero.returnStock(saleId, quantity);
  }

  writeHold(
    hold: HoldRecord,
    fingerprint: string,
    fencingToken: number,
  ): Promise<'HELD' | 'SEAT_TAKEN' | 'STALE_TOKEN'> {
    return this.stripeZero.writeHold(hold, fingerprint, fencingToken);
  }

  isWarm(saleId: string): Promise<boolean> {
    return this.stripeZero.isWarm(saleId);
  }
}
