import { z } from 'zod';
import { EpochMs, ReservationId, SaleId, SeatId, UserId } from '../common/ids';
import { GroupFallback } from './group-reservation';
import type { HoldRecord } from './inventory-store';

/** Where a waiting-list entry stands. */
export const WaitingListState = z.enum(['WAITING', 'OFFERED', 'CLAIMED', 'LAPSED']);
export type WaitingListState = z.infer<typeof WaitingListState>;

/**
 * One party on a sold-out sale's waiting list. `seq` is its place (joining order). While OFFERED,
 * `offerId` is the hold made for it and `deadline` the last instant it may claim.
 */
export interface WaitingListEntry {
  userId: string;
  size: number;
  fallback: GroupFallback;
  seq: number;
  joinedAt: number;
  state: WaitingListState;
  offerId?: string;
  deadline?: number;
  seatIds?: string[];
}

export const WaitingListJoin = z.object({
  saleId: SaleId,
  userId: UserId,
  /** Units (or seats together) the party wants. */
  size: z.number().int().positive().max(100),
  /** Seated sales: `refuse` waits for adjacent seats only; `split` (default) takes close ones. */
  fallback: GroupFallback.default('split'),
  now: EpochMs,
});
export type WaitingListJoin = z.input<typeof WaitingListJoin>;

export type WaitingListJoinOutcome =
  | { ok: true; entry: WaitingListEntry; created: boolean }
  /** LIMIT_EXCEEDED: the party would pass the tickets-per-user limit with what the user has. */
  | { ok: false; code: 'SALE_NOT_WARM' | 'LIMIT_EXCEEDED' };

export const WaitingListOfferRequest = z
  .object({
    saleId: SaleId,
    /** Seated sales: the seat map's rows in preference order (adjacency as in `reserveGroup`). */
    rows: z.array(z.array(SeatId).min(1)),
    /** How long an offered party has to claim. */
    claimMs: z.number().int().positive(),
    /** Fresh reservation ids, one per offer this call may make (their count is the limit). */
    offerIds: z.array(ReservationId).min(1).max(1_000),
    now: EpochMs,
  })
  .refine((r) => new Set(r.offerIds).size === r.offerIds.length, {
    path: ['offerIds'],
    message: 'offer ids repeat',
  });
export type WaitingListOfferRequest = z.infer<typeof WaitingListOfferRequest>;

/** An offer: units held for a waiting party until `deadline`. */
export interface WaitingListOffer {
  offerId: string;
  userId: string;
  quantity: number;
  seatIds: string[];
  /** Whether a seated party's seats sit side by side. */
  adjacent: boolean;
  deadline: number;
}

export const WaitingListClaim = z.object({
  saleId: SaleId,
  userId: UserId,
  offerId: ReservationId,
  /** The hold's lifetime from the claim on (time to pay). */
  holdMs: z.number().int().positive(),
  now: EpochMs,
});
export type WaitingListClaim = z.infer<typeof WaitingListClaim>;

export type WaitingListClaimOutcome =
  | { ok: true; hold: HoldRecord }
  /**
   * SALE_NOT_WARM: the sale is not loaded in the store (nothing written); NOT_OFFERED: no such
   * offer for this user; CLAIMED: claimed before; EXPIRED: past the deadline.
   */
  | { ok: false; code: 'SALE_NOT_WARM' | 'NOT_OFFERED' | 'ALREADY_CLAIMED' | 'OFFER_EXPIRED' };

/**
 * A sale's waiting list after sell-out (pretix's waiting list, group-aware). It lives with the
 * inventory (same store, same atomicity): `offer` takes freed units out of `available` and holds
 * them for the first waiting parties they fit, in order — a party of four gets four adjacent seats
 * when some row has them — with the claim deadline as the hold's expiry, so an unclaimed offer
 * comes back through the ordinary hold expiry. `claim` turns an offer into the buyer's hold exactly
 * once, however many claims race.
 */
export interface WaitingListStore {
  /**
   * Joins at the end, or answers the user's live (WAITING or OFFERED) entry unchanged: joining
   * twice keeps the first place. A CLAIMED or LAPSED entry is replaced by a new one at the end.
   */
  join(input: WaitingListJoin): Promise<WaitingListJoinOutcome>;
  /** Leaves the list; answers whether a WAITING entry was removed (an offer is left to lapse). */
  leave(input: { saleId: string; userId: string }): Promise<boolean>;
  /** The user's entry, or null. */
  entry(saleId: string, userId: string): Promise<WaitingListEntry | null>;
  /** Live entries (WAITING and OFFERED) in order. */
  entries(saleId: string): Promise<WaitingListEntry[]>;
  /**
   * Lapses offers past their deadline, then offers the units free now to the first WAITING
   * parties they fit, in order, one offer id each. Atomic; concurrent calls never offer a unit twice.
   */
  offer(request: WaitingListOfferRequest): Promise<WaitingListOffer[]>;
  /**
   * How many live entries (WAITING and OFFERED) the sale's list holds, answered in O(1) (counting
   * an entry still there that is gone is fine; missing a live one is not). An offer round with
   * none has nothing to lapse or offer and is skipped, and a round asks for at most this many
   * offer ids. Optional: without it every round calls `offer` with a full round of ids.
   */
  liveCount?(saleId: string): Promise<number>;
  /** Claims an offer for its party: exactly one of any number of racing claims wins. */
  claim(input: WaitingListClaim): Promise<WaitingListClaimOutcome>;
}
