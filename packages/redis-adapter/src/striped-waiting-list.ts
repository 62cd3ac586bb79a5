import {
  ConfigurationError,
  type WaitingListClaim,
  type WaitingListClaimOutcome,
  type WaitingListEntry,
  type WaitingListJoin,
  type WaitingListJoinOutcome,
  type WaitingListOffer,
  type WaitingListOfferRequest,
  type WaitingListStore,
} from '@seatrush/core';
import type { RedisWaitingListStore } from './waiting-list-store';

/**
 * The waiting list of a striped store. It serves unstriped sales (seated sales, and any sale
 * loaded with one stripe) as {@link RedisWaitingListStore} does. A striped sale's freed units
 * come back to every stripe and its users' units are counted on their home stripes, while the
 * waiting list offers stripe 0's units against stripe 0's counts: its per-user limit would not be
 * exact. So a join to a striped sale is refused with a ConfigurationError, and with no party the
 * offer rounds offer nothing.
 */
export class RedisStripedWaitingListStore implements WaitingListStore {
  constructor(
    private readonly stripeZero: RedisWaitingListStore,
    private readonly isStriped: (saleId: string) => Promise<boolean>,
  ) {}

  async join(input: WaitingListJoin): Promise<WaitingListJoinOutcome> {
    const saleId = (input as { saleId?: unknown } | null)?.saleId;
    if (typeof saleId === 'string' && (await this.isStriped(saleId))) {
      throw new ConfigurationError(
        `sale ${saleId} is striped: the waiting list serves sales loaded with one stripe (stripes: 1)`,
      );
    }
    return this.stripeZero.join(input);
  }

  leave(input: { saleId: string; userId: string }): Promise<boolean> {
    return this.stripeZero.leave(input);
  }

  entry(saleId: string, userId: string): Promise<WaitingListEntry | null> {
    return this.stripeZero.entry(saleId, userId);
  }

  entries(saleId: string): Promise<WaitingListEntry[]> {
    return this.stripeZero.entries(saleId);
  }

  liveCount(saleId: string): Promise<number> {
    return this.stripeZero.liveCount(saleId);
  }

  offer(request: WaitingListOfferRequest): Promise<WaitingListOffer[]> {
    return this.stripeZero.offer(request);
  }

  claim(input: WaitingListClaim): Promise<WaitingListClaimOutcome> {
    return this.stripeZero.claim(input);
  }
}
