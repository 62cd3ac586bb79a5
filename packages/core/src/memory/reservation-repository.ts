import { z } from 'zod';
import { UnknownSaleError } from '../common/errors';
import { EpochMs, ReservationId, SaleId } from '../common/ids';
import { validate } from '../common/validate';
import type { InventorySnapshot } from '../ports/inventory-store';
import {
  HoldRelease,
  ReconciliationRecord,
  type ReservationRepository,
  ReservationRow,
  type ReservationStatus,
  ReservationStatusChange,
  type SaleTotals,
} from '../ports/reservation-repository';
import { initialStock, SaleDefinition, type SaleDefinitionInput, seatsOf } from '../sale/definition';
import { fastValidate, fastValidateRead } from './fast-validate';
import { copyPlain } from './plain-copy';

const ReservationRows = z.array(ReservationRow);
const ReservationIds = z.array(ReservationId);
const PENDING: ReadonlySet<ReservationStatus> = new Set(['REQUESTED', 'PAYMENT_PENDING']);

/**
 * The source of truth in memory: sales, reservation rows (unique by reservation id and by sale +
 * idempotency key, as the PostgreSQL constraints are) and the reconciliation log.
 */
export class MemoryReservationRepository implements ReservationRepository {
  readonly #sales = new Map<string, SaleDefinition>();
  readonly #rows = new Map<string, ReservationRow>();
  /** `saleId idempotencyKey` → reservation id: the unique constraint on the key. */
  readonly #byKey = new Map<string, string>();
  readonly #reconciliations: ReconciliationRecord[] = [];
  /** Reservation id → the sale whose hold of it a buyer released (`recordRelease`). */
  readonly #released = new Map<string, string>();
  /** Sale id → when it was recorded closed. */
  readonly #closed = new Map<string, number>();

  /** Accepts the input form of a definition too: defaults are filled in, as a database default would. */
  async saveSale(sale: SaleDefinition | SaleDefinitionInput): Promise<void> {
    const parsed = validate('sale definition', SaleDefinition, sale);
    this.#sales.set(parsed.id, parsed);
  }

  async getSale(saleId: string): Promise<SaleDefinition | null> {
    const sale = this.#sales.get(fastValidate('sale id', SaleId, saleId));
    return sale ? copyPlain(sale) : null;
  }

  async listOpenSales(): Promise<SaleDefinition[]> {
    return [...this.#sales.values()]
      .filter((sale) => !this.#closed.has(sale.id))
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((sale) => copyPlain(sale));
  }

  async recordSaleClosed(saleId: string, at: number): Promise<void> {
    const id = fastValidate('sale id', SaleId, saleId);
    fastValidate('closing time', EpochMs, at);
    if (!this.#closed.has(id)) this.#closed.set(id, at);
  }

  async loadSnapshot(saleId: string): Promise<InventorySnapshot | null> {
    const sale = this.#sales.get(fastValidate('sale id', SaleId, saleId));
    if (!sale) return null;
    const totals = this.#totals(sale);
    const confirmedPerUser: Record<string, number> = {};
    // Pending reservations count against the per-user limit too: they were accepted and may yet sell.
    for (const row of this.#rows.values()) {
      if (row.saleId !== saleId || !(row.status === 'CONFIRMED' || PENDING.has(row.status))) continue;
      confirmedPerUser[row.userId] = (confirmedPerUser[row.userId] ?? 0) + row.quantity;
    }
    return {
      saleId,
      initialStock: totals.initialStock,
      available: Math.max(0, totals.initialStock - totals.confirmedUnits - totals.pendingUnits),
      seatIds: seatsOf(sale).map((seat) => seat.id),
      confirmedSeatIds: totals.confirmedSeatIds,
      ticketsPerUser: sale.limits.ticketsPerUser,
      confirmedPerUser,
    };
  }

  async insertMany(rows: ReservationRow[]): Promise<{ inserted: string[]; existing: string[] }> {
    // Every row is checked before any is written: all or nothing.
    const valid = validate('reservation rows', ReservationRows, rows);
    const inserted: string[] = [];
    const existing: string[] = [];
    for (const row of valid) {
      const key = keyOf(row.saleId, row.idempotencyKey);
      if (this.#rows.has(row.reservationId) || this.#byKey.has(key)) {
        existing.push(row.reservationId);
        continue;
      }
      this.#rows.set(row.reservationId, { ...row, seatIds: [...row.seatIds] });
      this.#byKey.set(key, row.reservationId);
      inserted.push(row.reservationId);
    }
    return { inserted, existing };
  }

  async transition(input: ReservationStatusChange): Promise<boolean> {
    const change = fastValidateRead('reservation transition', ReservationStatusChange, input);
    const row = this.#rows.get(change.reservationId);
    if (!row || !change.from.includes(row.status)) return false;
    row.status = change.to;
    if (change.paymentId !== undefined) row.paymentId = change.paymentId;
    if (change.failureReason !== undefined) row.failureReason = change.failureReason;
    row.updatedAt = change.now;
    return true;
  }

  async get(reservationId: string): Promise<ReservationRow | null> {
    const row = this.#rows.get(fastValidate('reservation id', ReservationId, reservationId));
    return row ? { ...row, seatIds: [...row.seatIds] } : null;
  }

  /** The sale's REQUESTED and PAYMENT_PENDING reservations, oldest first (for a rebuild). */
  async listInFlight(saleId: string): Promise<ReservationRow[]> {
    const id = fastValidate('sale id', SaleId, saleId);
    return [...this.#rows.values()]
      .filter((row) => row.saleId === id && PENDING.has(row.status))
      .sort((a, b) => a.createdAt - b.createdAt || (a.reservationId < b.reservationId ? -1 : 1))
      .map((row) => ({ ...row, seatIds: [...row.seatIds] }));
  }

  async recordRelease(release: HoldRelease): Promise<void> {
    const { saleId, reservationId } = validate('hold release', HoldRelease, release);
    if (!this.#released.has(reservationId)) this.#released.set(reservationId, saleId);
  }

  async listReleased(saleId: string, reservationIds: readonly string[]): Promise<string[]> {
    const id = fastValidate('sale id', SaleId, saleId);
    const ids = validate('reservation ids', ReservationIds, reservationIds);
    return ids.filter((reservationId) => this.#released.get(reservationId) === id);
  }

  async totals(saleId: string): Promise<SaleTotals> {
    const sale = this.#sales.get(fastValidate('sale id', SaleId, saleId));
    if (!sale) throw new UnknownSaleError(saleId);
    return this.#totals(sale);
  }

  async recordReconciliation(record: ReconciliationRecord): Promise<void> {
    this.#reconciliations.push(validate('reconciliation record', ReconciliationRecord, record));
  }

  async lastReconciliation(saleId: string): Promise<ReconciliationRecord | null> {
    const id = fastValidate('sale id', SaleId, saleId);
    const last = this.#reconciliations.findLast((r) => r.saleId === id);
    return last ? { ...last } : null;
  }

  /** The reconciliations recorded for `saleId` (every sale's when omitted), oldest first. */
  reconciliations(saleId?: string): ReconciliationRecord[] {
    return this.#reconciliations
      .filter((r) => saleId === undefined || r.saleId === saleId)
      .map((r) => ({ ...r }));
  }

  /** Every row of `saleId`, oldest first: for tests and the example's admin view. */
  rowsOf(saleId: string): ReservationRow[] {
    return [...this.#rows.values()]
      .filter((row) => row.saleId === saleId)
      .map((row) => ({ ...row, seatIds: [...row.seatIds] }));
  }

  #totals(sale: SaleDefinition): SaleTotals {
    let confirmedUnits = 0;
    let pendingUnits = 0;
    const confirmedSeatIds: string[] = [];
    const pendingSeatIds: string[] = [];
    for (const row of this.#rows.values()) {
      if (row.saleId !== sale.id) continue;
      if (row.status === 'CONFIRMED') {
        confirmedUnits += row.quantity;
        confirmedSeatIds.push(...row.seatIds);
      } else if (PENDING.has(row.status)) {
        pendingUnits += row.quantity;
        pendingSeatIds.push(...row.seatIds);
      }
    }
    return {
      saleId: sale.id,
      initialStock: initialStock(sale),
      confirmedUnits,
      confirmedSeatIds,
      pendingUnits,
      pendingSeatIds,
    };
  }
}

function keyOf(saleId: string, idempotencyKey: string): string {
  return `${saleId} ${idempotencyKey}`;
}
