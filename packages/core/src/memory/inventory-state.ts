import { UnknownSaleError, ValidationError } from '../common/errors';
import { SaleId } from '../common/ids';
import type { HoldRecord, InventoryCounts, SeatState } from '../ports/inventory-store';
import type { WaitingListEntry } from '../ports/waiting-list-store';
import type { WaitingRoomStore } from '../ports/waiting-room-store';
import { fastValidate } from './fast-validate';

export interface Seat {
  state: SeatState;
  /** The hold or purchase that has the seat, when it is not AVAILABLE. */
  reservationId?: string;
}

export interface SaleState {
  initialStock: number;
  available: number;
  held: number;
  confirmed: number;
  ticketsPerUser: number;
  /** Empty for general admission. */
  seats: Map<string, Seat>;
  holds: Map<string, HoldRecord>;
  /** Units each user holds or has confirmed: the tickets-per-user limit. */
  unitsPerUser: Map<string, number>;
  /** Idempotency key → the request's fingerprint and the hold it made. */
  outcomes: Map<string, { fingerprint: string; reservationId: string }>;
  /** Highest fencing token a lock-strategy write has shown for this sale. */
  highestToken: number;
  /** Loaded by `restore` (a rebuild), not by a warm-up's `load`: see `InventoryStore.wasRebuilt`. */
  rebuilt?: boolean;
}

/**
 * The in-memory inventory's state, which its ports share: `MemoryInventoryStore` (holds, stock,
 * idempotency, the outbox), its lock-strategy steps and its waiting list. Each port's mutating
 * call does its checks and changes with no `await` in between, so it is one atomic step.
 */
export class MemoryInventoryState {
  readonly sales = new Map<string, SaleState>();
  /**
   * Per sale: the outbox, reservation id → when it was written (kept apart from SaleState so a
   * reload keeps it, as Redis does: what it holds was acknowledged to buyers).
   */
  readonly outboxes = new Map<string, Map<string, number>>();
  /** Per sale: the waiting list (kept apart from SaleState so a reload keeps the list, as Redis does). */
  readonly waitingLists = new Map<
    string,
    { seq: number /** WAITING and OFFERED entries. */; live: number; entries: Map<string, WaitingListEntry> }
  >();

  /** @param waitingRoom answers admission checks; without one, nobody is admitted. */
  constructor(readonly waitingRoom: WaitingRoomStore | undefined) {}

  /** Writes a hold's outbox entry; part of the atomic step that made or claimed the hold. */
  enqueue(saleId: string, reservationId: string, at: number): void {
    const outbox = this.outboxes.get(saleId) ?? new Map<string, number>();
    this.outboxes.set(saleId, outbox);
    outbox.set(reservationId, at);
  }

  /** The outbox gate: the oldest entry is older than the request's `relayLagLimitMs`. */
  stalled(req: { saleId: string; now: number; relayLagLimitMs?: number | undefined }): boolean {
    if (req.relayLagLimitMs === undefined) return false;
    let oldest = Number.POSITIVE_INFINITY;
    for (const at of this.outboxes.get(req.saleId)?.values() ?? []) oldest = Math.min(oldest, at);
    return req.now - oldest > req.relayLagLimitMs;
  }

  /** Whether the waiting room has the user admitted now (read before any check of a reserve). */
  async isAdmitted(req: { saleId: string; userId: string; now: number }): Promise<boolean> {
    if (!this.waitingRoom) return false;
    const { admitted } = await this.waitingRoom.admission({
      saleId: req.saleId,
      userId: req.userId,
      now: req.now,
    });
    return admitted;
  }

  /** A loaded sale; `UnknownSaleError` for one that is not. */
  sale(saleId: string): SaleState {
    const sale = this.sales.get(fastValidate('sale id', SaleId, saleId));
    if (!sale) throw new UnknownSaleError(saleId);
    return sale;
  }
}

export function copyHold(hold: HoldRecord): HoldRecord {
  return { ...hold, seatIds: [...hold.seatIds] };
}

export function countsOf(saleId: string, sale: SaleState): InventoryCounts {
  return {
    saleId,
    initialStock: sale.initialStock,
    available: sale.available,
    held: sale.held,
    confirmed: sale.confirmed,
  };
}

/** Records a new hold whose stock was already taken from `available`. */
export function writeHold(sale: SaleState, hold: HoldRecord, fingerprint: string): void {
  sale.held += hold.quantity;
  for (const id of hold.seatIds) sale.seats.set(id, { state: 'HELD', reservationId: hold.reservationId });
  sale.unitsPerUser.set(hold.userId, (sale.unitsPerUser.get(hold.userId) ?? 0) + hold.quantity);
  sale.holds.set(hold.reservationId, copyHold(hold));
  sale.outcomes.set(hold.idempotencyKey, { fingerprint, reservationId: hold.reservationId });
}

/** Returns a HELD or CONFIRMED hold's units and seats to the sale, once. */
export function giveBack(
  sale: SaleState,
  hold: HoldRecord,
  status: 'RELEASED' | 'EXPIRED' | 'COMPENSATED',
): void {
  if (hold.status === 'HELD') {
    const back = Math.min(hold.quantity, sale.held);
    sale.held -= back;
    sale.available += back;
  } else if (hold.status === 'CONFIRMED') {
    const back = Math.min(hold.quantity, sale.confirmed);
    sale.confirmed -= back;
    sale.available += back;
  }
  for (const id of hold.seatIds) {
    const seat = sale.seats.get(id);
    if (seat?.reservationId === hold.reservationId) sale.seats.set(id, { state: 'AVAILABLE' });
  }
  const units = (sale.unitsPerUser.get(hold.userId) ?? 0) - hold.quantity;
  if (units > 0) sale.unitsPerUser.set(hold.userId, units);
  else sale.unitsPerUser.delete(hold.userId);
  hold.status = status;
}

/** A reservation id in use by a live hold is a caller's bug (ids are made fresh per request). */
export function assertReservationIdFree(sale: SaleState, reservationId: string): void {
  const existing = sale.holds.get(reservationId);
  if (existing && (existing.status === 'HELD' || existing.status === 'CONFIRMED')) {
    throw new ValidationError('reserve request', [
      { path: 'reservationId', message: `reservation ${reservationId} already exists` },
    ]);
  }
}
