import { z } from 'zod';
import { EpochMs, IdempotencyKey, ReservationId, SaleId, SeatId, UserId } from '../common/ids';
import type { GroupReserveOutcome, GroupReserveRequest } from './group-reservation';
import type { HoldRecord, ReserveRefusal } from './hold';

export { HoldRecord, HoldStatus, type ReserveRefusal } from './hold';

/** What a buyer asks for: a number of general-admission units, or named seats. */
export const Selection = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('quantity'), quantity: z.number().int().positive().max(100) }),
  z.object({ kind: z.literal('seats'), seatIds: z.array(SeatId).min(1).max(100) }),
]);
export type Selection = z.infer<typeof Selection>;

/** The hot path's one request: everything the atomic store operation checks and changes. */
export const ReserveRequest = z.object({
  saleId: SaleId,
  userId: UserId,
  /** Chosen by the caller (core makes a fresh one per new request), so a retry can reuse it. */
  reservationId: ReservationId,
  idempotencyKey: IdempotencyKey,
  selection: Selection,
  /** Hold lifetime in ms; the sale's `holdMs` unless the host overrides it. */
  holdMs: z.number().int().positive(),
  /** When false the store skips the waiting-room admission check (e.g. passthrough queueing). */
  requireAdmission: z.boolean(),
  now: EpochMs,
  /**
   * The outbox gate: when set, a new hold is refused PIPELINE_STALLED while the oldest hold not
   * yet handed to the pipeline was made more than this many ms before `now` (a replay is still
   * answered). It keeps a stalled pipeline from piling up holds nobody processes.
   */
  relayLagLimitMs: z.number().int().positive().optional(),
});
export type ReserveRequest = z.infer<typeof ReserveRequest>;

/**
 * The hot path's answer. A replayed idempotency key answers the ORIGINAL outcome with
 * `replayed: true`, never an error (as Stripe's Idempotency-Key does), whatever became of the hold
 * since: its record as it stands (HELD, CONFIRMED, or RELEASED, EXPIRED, COMPENSATED once it
 * ended). A key stays spent once it held (the source of truth keeps it unique per sale): ending
 * the hold never frees it for a second hold. A store may forget a key together with its hold
 * record once the record's retention has passed.
 */
export type ReserveOutcome =
  | { ok: true; code: 'HELD'; hold: HoldRecord; replayed: boolean }
  | { ok: false; code: ReserveRefusal; seatIds?: string[] };

/**
 * A hold in the outbox: made and acknowledged, not yet handed to the pipeline. `hold` is null when
 * its record is gone (a reload, or retention ran out); the relay then drops the entry and alerts.
 */
export interface UnrelayedHold {
  reservationId: string;
  /** When the entry was written (the hold's `heldAt`, or the claim's time for a waiting-list offer). */
  enqueuedAt: number;
  hold: HoldRecord | null;
}

/**
 * Why an owner-only change to a hold was refused. SALE_NOT_WARM: the sale is not loaded in the
 * store (a wiped or restarted store before its rebuild); nothing was written, and the hold may
 * come back with the rebuild, so it is no answer about the hold itself.
 */
export type HoldChangeRefusal = 'SALE_NOT_WARM' | 'NOT_FOUND' | 'NOT_OWNER' | 'NOT_HELD' | 'EXPIRED';

/** Outcome of an owner-only change to a hold (extend, release, confirm). */
export type HoldChangeOutcome = { ok: true; hold: HoldRecord } | { ok: false; code: HoldChangeRefusal };

/**
 * Outcome of compensation: `restored` is false when an earlier call already compensated.
 * SALE_NOT_WARM: the sale is not loaded in the store; nothing was written (retry after the rebuild).
 */
export type CompensateOutcome =
  | { ok: true; restored: boolean; hold: HoldRecord }
  | { ok: false; code: 'SALE_NOT_WARM' | 'NOT_FOUND' };

/**
 * A hold in flight brought back by a rebuild (issue 20): a REQUESTED or PAYMENT_PENDING
 * reservation of the source of truth, HELD again for its buyer until `expiresAt` (which may have
 * passed: the sweeper then expires it as it would have). `fingerprint` is what a replay of its
 * idempotency key must match (see `reserveFingerprint`).
 */
export const RestoredHold = z.object({
  reservationId: ReservationId,
  userId: UserId,
  idempotencyKey: IdempotencyKey,
  quantity: z.number().int().positive(),
  seatIds: z.array(SeatId),
  heldAt: EpochMs,
  expiresAt: EpochMs,
  fingerprint: z.string().min(1).max(1024),
});
export type RestoredHold = z.infer<typeof RestoredHold>;

/** A sale's inventory as warm-up writes it into the store. */
export const InventorySnapshot = z.object({
  saleId: SaleId,
  /** Units the sale started with. */
  initialStock: z.number().int().nonnegative(),
  /** Units free to sell now (initial − confirmed − pending, from the source of truth). */
  available: z.number().int().nonnegative(),
  /** Every seat of an assigned-seating sale; empty for general admission. */
  seatIds: z.array(SeatId),
  /** Seats already sold (from the source of truth). */
  confirmedSeatIds: z.array(SeatId),
  ticketsPerUser: z.number().int().positive(),
  /**
   * Units already bought or in flight per user, so the per-user limit survives a restart (the
   * units of `holds` are counted here already).
   */
  confirmedPerUser: z.record(z.string(), z.number().int().nonnegative()),
  /**
   * Holds in flight to write as HELD (a rebuild); their units are neither `available` nor
   * confirmed. Absent or empty for a warm-up before opening.
   */
  holds: z.array(RestoredHold).optional(),
});
export type InventorySnapshot = z.infer<typeof InventorySnapshot>;

/** Counts the reconciler compares with the source of truth. */
export interface InventoryCounts {
  saleId: string;
  initialStock: number;
  /** Units free to sell. Never below zero. */
  available: number;
  /** Units in live holds. */
  held: number;
  /** Units confirmed (paid) in the store. */
  confirmed: number;
}

export type SeatState = 'AVAILABLE' | 'HELD' | 'CONFIRMED';

/** An owner-only change of a live hold (`release`, `confirm`): whose hold, and when. */
export const HoldOwnerChange = z.object({
  saleId: SaleId,
  reservationId: ReservationId,
  userId: UserId,
  now: EpochMs,
});
export type HoldOwnerChange = z.infer<typeof HoldOwnerChange>;

/** `extend`'s input: the owner's live hold is pushed to `now + holdMs`. */
export const HoldExtension = HoldOwnerChange.extend({ holdMs: z.number().int().positive() });
export type HoldExtension = z.infer<typeof HoldExtension>;

/**
 * Holds, stock and idempotency of every sale: the state the hot path changes.
 *
 * `reserve` is ONE atomic operation (one Lua script in Redis): it checks admission, the idempotency
 * key, the per-user limit, the seats and the stock, then decrements the stock, holds the units
 * with their expiry and records the outcome under the idempotency key — or changes nothing.
 * Invariant, whatever the concurrency: available + held + confirmed == initialStock.
 */
export interface InventoryStore {
  /**
   * Writes a sale's snapshot and marks it warm. Replaces an earlier snapshot of the same sale; the
   * outbox is kept (what it holds was acknowledged to buyers and must still reach the pipeline).
   */
  load(snapshot: InventorySnapshot): Promise<void>;
  /** Whether the sale is loaded, and its counts when it is. */
  isWarm(saleId: string): Promise<boolean>;
  /** The hot path. */
  reserve(request: ReserveRequest): Promise<ReserveOutcome>;
  /** Owner only: pushes a live hold's expiry to `now + holdMs`. */
  extend(input: HoldExtension): Promise<HoldChangeOutcome>;
  /**
   * Owner only: gives a live hold back (stock returned). Its idempotency key keeps answering it:
   * a replay says RELEASED.
   */
  release(input: HoldOwnerChange): Promise<HoldChangeOutcome>;
  /** Owner only: HELD → CONFIRMED, permanently (no expiry). Refused once the hold has expired. */
  confirm(input: HoldOwnerChange): Promise<HoldChangeOutcome>;
  /**
   * Undo a reservation whatever its state (failed publish, failed payment, refund): returns its
   * stock and seats once and marks it COMPENSATED; its idempotency key keeps answering it (a replay
   * says COMPENSATED, or the status it ended with). Idempotent.
   */
  compensate(input: { saleId: string; reservationId: string }): Promise<CompensateOutcome>;
  /**
   * Expires up to `limit` holds whose time has passed, returning each one's stock exactly once
   * even when several sweepers (or a sweeper and a notification listener) race.
   */
  expireDue(input: { saleId: string; now: number; limit: number }): Promise<HoldRecord[]>;
  getHold(saleId: string, reservationId: string): Promise<HoldRecord | null>;
  counts(saleId: string): Promise<InventoryCounts>;
  /** Seat states for a seat map; empty for general admission. */
  seatStates(saleId: string): Promise<Record<string, SeatState>>;
  /**
   * Makes the store agree with the source of truth, in ONE atomic step, without ever freeing a
   * unit or seat that may be sold (docs/design.md §Reconciliation):
   *
   * - confirmed units are kept within [truth confirmed, truth confirmed + truth pending]: raised to
   *   the truth's confirmed when below, lowered to that ceiling when above, else left as they are
   *   (the processor confirms in the store a moment before it records CONFIRMED, so a pending
   *   reservation may be confirmed here already). With `observedConfirmed`, units confirmed here
   *   since that reading are added to the ceiling: the truth, read after it, may not know them;
   * - the truth's confirmed seats become CONFIRMED, unless a live hold has them (it keeps them);
   *   a seat CONFIRMED here becomes AVAILABLE only when the truth has it neither confirmed nor
   *   pending (and, with `observedConfirmedSeatIds`, was among those the caller saw confirmed);
   * - live holds keep their units and seats: confirmed is at most initial − held;
   * - `available` becomes initial − held − confirmed.
   *
   * Returns the counts before and after.
   */
  repair(truth: InventoryTruth): Promise<{ before: InventoryCounts; after: InventoryCounts }>;
  /**
   * Group allocation (optional): holds `size` seats together — adjacent in one row where possible —
   * as ONE atomic operation with the checks of `reserve`; a refusal holds nothing. The hold is an
   * ordinary hold: extend, release, confirm, compensate and expiry treat it as any other.
   */
  reserveGroup?(request: GroupReserveRequest): Promise<GroupReserveOutcome>;
  /**
   * The outbox. Every hold a buyer is told about (by `reserve`, `reserveGroup`, the lock strategy's
   * `writeHold` and a claimed waiting-list offer) is written here in the SAME atomic step as the
   * hold itself, so "held" is never said of a hold the pipeline could miss. Answers up to `limit`
   * entries written at or before `enqueuedUpTo`, oldest first.
   */
  unrelayed(input: { saleId: string; enqueuedUpTo: number; limit: number }): Promise<UnrelayedHold[]>;
  /** Removes entries from the outbox once their events are durable in the pipeline. Idempotent. */
  markRelayed(input: { saleId: string; reservationIds: string[] }): Promise<void>;
  /**
   * The rebuild's load (optional; issue 20): writes the snapshot, its `holds` among them, ONLY
   * while the sale is not warm, as one atomic step, so instances racing to rebuild a wiped sale
   * load it once and none overwrites a store that is serving again. `ALREADY_WARM` changes nothing.
   */
  restore?(snapshot: InventorySnapshot): Promise<'RESTORED' | 'ALREADY_WARM'>;
  /**
   * Whether the sale's state was loaded by {@link restore} (a rebuild after the store lost it)
   * rather than by a warm-up's {@link load} (optional; issue 20). The reservation worker reads it
   * to tell a hold the store LOST (missing from a rebuilt sale before its expiry: its record, kept
   * at least until then, went with the store) from a hold that never was or ended long ago; it then
   * holds it again from its event (docs/design.md §Rebuild of a lost sale). False for a sale the
   * store does not hold.
   */
  wasRebuilt?(saleId: string): Promise<boolean>;
}

/**
 * What the source of truth (PostgreSQL) says is sold and in flight, for `InventoryStore.repair`,
 * with what the caller saw in the store before it read the truth.
 */
export interface InventoryTruth {
  saleId: string;
  /** Units of CONFIRMED reservations. */
  confirmedUnits: number;
  /** Seats of CONFIRMED reservations. */
  confirmedSeatIds: string[];
  /** Units of pending (REQUESTED or PAYMENT_PENDING) reservations: they may be confirmed in the store. */
  pendingUnits: number;
  /** Seats of pending reservations: a repair never frees them. */
  pendingSeatIds: string[];
  /**
   * The store's confirmed units as the caller read them BEFORE reading the truth. A reservation
   * confirmed in the store after that reading may be unknown to the truth (not yet inserted when
   * it was read), so the repair never lowers confirmed units below the ceiling plus what was
   * confirmed since. Omitted: the ceiling alone (only right while nothing is being confirmed).
   */
  observedConfirmed?: number;
  /**
   * The seats the caller saw CONFIRMED in the store BEFORE reading the truth. When given, only
   * these seats may be freed: a seat confirmed since may belong to a reservation the truth did
   * not know yet. Omitted: any seat the truth has neither confirmed nor pending.
   */
  observedConfirmedSeatIds?: string[];
}

/**
 * The building blocks of the lock strategy (distributed lock → check → DECR → SET NX PX;
 * docs/design.md §Holds and stock). Each step is atomic alone but not with the others, so a caller
 * is only correct while it holds the sale's lock; the writes take the lock's fencing token and
 * refuse a token older than one already seen (Kleppmann's objection to Redlock: a paused holder
 * must not write late). They write the same state as `InventoryStore.reserve`, so expiry, confirm
 * and compensation work whichever strategy made the hold.
 */
export interface InventorySteps {
  /** The outcome stored under an idempotency key, with the request fingerprint it was stored with. */
  findOutcome(
    saleId: string,
    idempotencyKey: string,
  ): Promise<{ fingerprint: string; hold: HoldRecord } | null>;
  /** Units the user holds or has confirmed in this sale (for the tickets-per-user limit). */
  unitsOfUser(saleId: string, userId: string): Promise<number>;
  /** Per seat: AVAILABLE, HELD, CONFIRMED, or undefined when not in the seat map. */
  seatStatesOf(saleId: string, seatIds: string[]): Promise<Array<SeatState | undefined>>;
  /** DECRBY; when the result would be negative, puts it back and answers false. */
  takeStock(
    saleId: string,
    quantity: number,
    fencingToken: number,
  ): Promise<'TAKEN' | 'SOLD_OUT' | 'STALE_TOKEN'>;
  /** INCRBY: gives units back after a later step failed. */
  returnStock(saleId: string, quantity: number): Promise<void>;
  /**
   * Writes the hold (SET NX PX per seat, the hold record, its expiry index entry, the user's count
   * and the idempotency outcome). Answers SEAT_TAKEN and writes nothing when a seat is taken.
   */
  writeHold(
    hold: HoldRecord,
    fingerprint: string,
    fencingToken: number,
  ): Promise<'HELD' | 'SEAT_TAKEN' | 'STALE_TOKEN'>;
  /** Whether the sale is loaded. */
  isWarm(saleId: string): Promise<boolean>;
}
