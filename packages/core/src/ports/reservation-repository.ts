import { z } from 'zod';
import { EpochMs, ReservationId, SaleId } from '../common/ids';
import type { SaleDefinition } from '../sale/definition';
import { ReservedUnits } from './hold';
import type { InventorySnapshot } from './inventory-store';

export const ReservationStatus = z.enum([
  'REQUESTED',
  'PAYMENT_PENDING',
  'CONFIRMED',
  'FAILED',
  'COMPENSATED',
]);
export type ReservationStatus = z.infer<typeof ReservationStatus>;

/**
 * A compare-and-set of a reservation's status: it moves to `to` only if it is in one of `from`,
 * recording the payment or the failure's reason when given (left as they are when omitted).
 * The schema is what `transition` and the checkout store's `settle` check their input against,
 * in memory and in every adapter.
 */
export const ReservationStatusChange = z.object({
  reservationId: ReservationId,
  from: z.array(ReservationStatus).min(1),
  to: ReservationStatus,
  paymentId: z.string().min(1).max(128).nullable().optional(),
  failureReason: z.string().min(1).max(64).nullable().optional(),
  now: EpochMs,
});
export type ReservationStatusChange = z.infer<typeof ReservationStatusChange>;

/** A reservation as the source of truth keeps it. */
export const ReservationRow = ReservedUnits.extend({
  amountCents: z.number().int().nonnegative(),
  status: ReservationStatus,
  paymentId: z.string().max(128).nullable(),
  failureReason: z.string().max(64).nullable(),
  createdAt: EpochMs,
  updatedAt: EpochMs,
});
export type ReservationRow = z.infer<typeof ReservationRow>;

/** What the reconciler trusts: units sold and in flight according to the source of truth. */
export interface SaleTotals {
  saleId: string;
  initialStock: number;
  confirmedUnits: number;
  confirmedSeatIds: string[];
  /** REQUESTED or PAYMENT_PENDING: accepted, not yet final. */
  pendingUnits: number;
  /** The seats of the REQUESTED or PAYMENT_PENDING reservations (empty for general admission). */
  pendingSeatIds: string[];
}

/**
 * A reconciliation run as recorded: the store's counts beside the source of truth's, and whether
 * they agreed and were repaired. Counts may be negative: a broken store is worth recording.
 */
export const ReconciliationRecord = z.object({
  saleId: SaleId,
  ranAt: EpochMs,
  storeAvailable: z.number().int(),
  storeHeld: z.number().int(),
  storeConfirmed: z.number().int(),
  truthConfirmed: z.number().int(),
  truthPending: z.number().int(),
  consistent: z.boolean(),
  repaired: z.boolean(),
});
export type ReconciliationRecord = z.infer<typeof ReconciliationRecord>;

/** A buyer's release of a live hold, as the source of truth records it (`recordRelease`). */
export const HoldRelease = z.object({
  saleId: SaleId,
  reservationId: ReservationId,
  /** When the store released the hold. */
  at: EpochMs,
});
export type HoldRelease = z.infer<typeof HoldRelease>;

/**
 * PostgreSQL in production: the source of truth. Writes are idempotent (a replayed event inserts
 * nothing new) and status changes are guarded (`UPDATE … WHERE status = ANY(from)`).
 */
export interface ReservationRepository {
  /** Creates or replaces a sale's definition (and its seats). */
  saveSale(sale: SaleDefinition): Promise<void>;
  getSale(saleId: string): Promise<SaleDefinition | null>;
  /**
   * Every sale not recorded closed, by sale id: what a restarted process serves again
   * (the source of truth knows the sales; a process must not forget them).
   */
  listOpenSales(): Promise<SaleDefinition[]>;
  /** Records that a sale closed for good (idempotent: the first time stands). */
  recordSaleClosed(saleId: string, at: number): Promise<void>;
  /** The sale's inventory for warm-up, from what is sold and pending. */
  loadSnapshot(saleId: string): Promise<InventorySnapshot | null>;
  /**
   * Inserts the rows that are new (by reservation id and idempotency key) in one round trip;
   * reports which were inserted and which existed already. All or nothing on invalid rows.
   */
  insertMany(rows: ReservationRow[]): Promise<{ inserted: string[]; existing: string[] }>;
  /**
   * Moves a reservation to `to` only if its status is one of `from`; false when it was not
   * (already moved by someone else, or absent).
   */
  transition(input: ReservationStatusChange): Promise<boolean>;
  get(reservationId: string): Promise<ReservationRow | null>;
  /**
   * The sale's reservations in flight (REQUESTED or PAYMENT_PENDING), oldest first (optional): what
   * a rebuild of a wiped store holds again for their buyers (issue 20).
   */
  listInFlight?(saleId: string): Promise<ReservationRow[]>;
  /**
   * Records that a buyer released a hold (optional; idempotent, the first time stands), before the
   * release is answered. The release's other records (the store and its event) are lost with a
   * wiped store while the row may still be in flight or not yet written, so a rebuild, and the
   * worker holding again a hold the store lost, ask {@link listReleased} and never bring such a
   * hold back (issue 20).
   */
  recordRelease?(release: HoldRelease): Promise<void>;
  /** Of `reservationIds`, those of the sale recorded released ({@link recordRelease}), in any order (optional). */
  listReleased?(saleId: string, reservationIds: readonly string[]): Promise<string[]>;
  /**
   * The sale's sold and pending units and seats, for the reconciler. Read from the primary: a
   * lagging copy would make the truth look behind the store, and a repair from it would free
   * sold seats.
   */
  totals(saleId: string): Promise<SaleTotals>;
  recordReconciliation(record: ReconciliationRecord): Promise<void>;
  /**
   * The sale's latest recorded reconciliation, whichever instance ran it, or null before the first
   * (optional): what an operator's dashboard shows as the last run.
   */
  lastReconciliation?(saleId: string): Promise<ReconciliationRecord | null>;
}
