import { z } from 'zod';
import { SaleId, SeatId, UserId } from '../common/ids';

/**
 * The read side (CQRS): views a projector builds from the event topics, so seat maps, dashboards,
 * buyer histories and audits are read from a separate store and never load the hot store that
 * decides reservations. The views lag the events by the projector's consumer lag; every answer
 * says how fresh it is (`asOf`: the newest event the views have applied for that sale).
 */

/** What the read side knows of a reservation: the furthest state any of its events reached. */
export const ReadReservationState = z.enum(['HELD', 'EXPIRED', 'RELEASED', 'FAILED', 'CONFIRMED']);
export type ReadReservationState = z.infer<typeof ReadReservationState>;

/** A seat as the read side shows it. Seats no event has touched are not listed: they are AVAILABLE. */
export interface SeatView {
  seatId: string;
  state: 'AVAILABLE' | 'HELD' | 'SOLD';
  /** The reservation holding or owning the seat; null when AVAILABLE. */
  reservationId: string | null;
  userId: string | null;
  /** When the seat took this state (the event's time). */
  since: number;
  /** A HELD seat's hold expiry (readers may treat a past one as AVAILABLE); null otherwise. */
  expiresAt: number | null;
}

/** A sale's counters over one interval (or in all, for `totals`). */
export interface SaleCounters {
  requested: number;
  confirmed: number;
  failed: number;
  expired: number;
  admitted: number;
  /** Sum of stock deltas: units available according to the events (a WARMED event adds the stock). */
  availableDelta: number;
  /** Sum of confirmed deltas: units sold. */
  unitsSold: number;
  revenueCents: number;
}

export interface SaleStatsView {
  saleId: string;
  totals: SaleCounters;
  /** Units held right now by reservations not yet final. */
  unitsHeld: number;
  /** One entry per minute with events, oldest first. */
  series: Array<{ at: number } & SaleCounters>;
  /** Time of the newest event applied for the sale; null when none. */
  asOf: number | null;
}

export interface BuyerHistoryEntry {
  saleId: string;
  reservationId: string;
  state: ReadReservationState;
  quantity: number;
  seatIds: string[];
  amountCents: number;
  /** When the hold was made (the first event seen when the request itself was not). */
  heldAt: number;
  /** When the reservation reached its final state; null while HELD. */
  settledAt: number | null;
  /** A FAILED reservation's reason code. */
  reason: string | null;
}

/** One change of a seat: who held, released, lost or bought it, and when. */
export interface SeatAuditEntry {
  eventId: string;
  at: number;
  /** The event type, e.g. `ReservationRequested`, or `StockChanged:HELD` for a stock change. */
  action: string;
  reservationId: string | null;
  /** The buyer (from the reservation's own events when the stock event does not carry it). */
  userId: string | null;
}

export const SeatMapQuery = z.object({ saleId: SaleId });
export const SaleStatsQuery = z.object({ saleId: SaleId });
export const BuyerHistoryQuery = z.object({
  userId: UserId,
  saleId: SaleId.optional(),
  limit: z.number().int().min(1).max(1_000).default(100),
});
export const SeatAuditQuery = z.object({ saleId: SaleId, seatId: SeatId });

/** Reads of the read side. Every method validates its input (`ValidationError`) and only reads. */
export interface ReadModel {
  /** Every seat of the sale that an event touched, by seat id. */
  seatMap(input: z.input<typeof SeatMapQuery>): Promise<SeatView[]>;
  saleStats(input: z.input<typeof SaleStatsQuery>): Promise<SaleStatsView>;
  /** A buyer's reservations, newest first. */
  buyerHistory(input: z.input<typeof BuyerHistoryQuery>): Promise<BuyerHistoryEntry[]>;
  /** Who held or bought the seat, and when, oldest first. */
  auditOfSeat(input: z.input<typeof SeatAuditQuery>): Promise<SeatAuditEntry[]>;
}
