import type { RuntimeSale, SeatRushRuntime } from '@seatrush/core';

/** A buyer's place on a sale's waiting list, as the client sees it. */
export interface WaitingListView {
  saleId: string;
  /**
   * WAITING: in the list; OFFERED: units are held for the party until `offer.deadline` (claim
   * them); CLAIMED: the offer became the reservation `reservationId`; LAPSED: the offer was not
   * claimed in time, or was declined, and went to the next party.
   */
  state: 'WAITING' | 'OFFERED' | 'CLAIMED' | 'LAPSED';
  size: number;
  fallback: string;
  joinedAt: number;
  /** Parties ahead while WAITING; null otherwise. */
  ahead: number | null;
  /** The outstanding offer while OFFERED. */
  offer: { offerId: string; quantity: number; seatIds: string[]; deadline: number } | null;
  reservationId: string | null;
  /** The server's clock, for countdowns that agree with it. */
  now: number;
}

/**
 * The buyer's view of their waiting-list place, or null when they are not (and never were) on
 * the list. An offer past its deadline, or whose units are no longer held, is LAPSED at once,
 * before the list's next round says so.
 */
export async function waitingListView(
  runtime: SeatRushRuntime,
  sale: RuntimeSale,
  userId: string,
  now: number,
): Promise<WaitingListView | null> {
  const place = await sale.waitingList?.position(userId);
  if (!place) return null;
  const { entry, ahead } = place;
  let state = entry.state as WaitingListView['state'];
  if (state === 'OFFERED') {
    const hold = entry.offerId ? await runtime.ports.inventory.getHold(sale.sale.id, entry.offerId) : null;
    if ((entry.deadline ?? 0) <= now || hold?.status !== 'HELD') state = 'LAPSED';
  }
  return {
    saleId: sale.sale.id,
    state,
    size: entry.size,
    fallback: entry.fallback,
    joinedAt: entry.joinedAt,
    ahead: state === 'WAITING' ? ahead : null,
    offer:
      state === 'OFFERED' && entry.offerId && entry.deadline !== undefined
        ? {
            offerId: entry.offerId,
            quantity: entry.size,
            seatIds: entry.seatIds ?? [],
            deadline: entry.deadline,
          }
        : null,
    reservationId: state === 'CLAIMED' ? (entry.offerId ?? null) : null,
    now,
  };
}

/** The SSE channel of one buyer's waiting-list place. */
export function waitingListChannel(saleId: string, userId: string): string {
  return `waiting-list:${saleId}:${userId}`;
}
