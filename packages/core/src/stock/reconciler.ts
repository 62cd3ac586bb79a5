import { z } from 'zod';
import { SaleId } from '../common/ids';
import { validate } from '../common/validate';
import { type PeriodicTask, serviceLoop, type Timer } from '../hold/periodic';
import type { AlertSink } from '../ports/alert-sink';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import type { InventoryCounts, InventoryStore, SeatState } from '../ports/inventory-store';
import type {
  ReconciliationRecord,
  ReservationRepository,
  SaleTotals,
} from '../ports/reservation-repository';
import { publishAudit, stockChanged } from './audit';
import type { RebuildService } from './rebuild';

/** One reconciliation: the record stored in the repository, with what was found and done. */
export interface ReconciliationReport extends ReconciliationRecord {
  /** Every inconsistency found; empty when consistent. */
  problems: string[];
  /** The store's counts after the repair, when one was made. */
  after?: InventoryCounts;
}

/** Options of {@link Reconciler}. */
export interface ReconcilerOptions {
  repository: ReservationRepository;
  inventory: InventoryStore;
  alerts: AlertSink;
  clock: Clock;
  /** Receives a StockChanged(REPAIRED) event per repair. */
  publisher?: EventPublisher;
  /**
   * Rebuilds a sale the store has lost (issue 20). With it, a check that finds the sale not
   * loaded rebuilds it from the repository and then compares as usual; without it, such a check
   * only reports the sale cold.
   */
  rebuild?: RebuildService;
  /** For the loop: the sales to check, how often (default 60 s) and with which timer. */
  saleIds?: string[];
  intervalMs?: number;
  timer?: Timer;
}

/**
 * The periodic consistency check (docs/design.md §Reconciliation): the store's counts must add
 * up (available + held + confirmed == initial stock) and agree with the source of truth.
 *
 * "Agree" allows for reservations in flight: the processor confirms the hold in the store a moment
 * before it records CONFIRMED in the repository, and a warm-up counts pending reservations as
 * sold, so the store's confirmed units may lie anywhere from the repository's confirmed units to
 * confirmed + pending. Fewer means the store lost sales (it would oversell); more means it keeps
 * units nobody bought (it would undersell). Either way the store is repaired from the repository,
 * which is the source of truth, the run is recorded and an operator is alerted. The store is read
 * before the repository, and the repair (one atomic step of the store) never frees a unit or seat
 * that may have been sold since: see `InventoryStore.repair`.
 */
export class Reconciler {
  private readonly task: PeriodicTask | null;

  constructor(private readonly options: ReconcilerOptions) {
    const saleIds = options.saleIds ? validate('sale ids', z.array(SaleId).min(1), options.saleIds) : null;
    this.task = saleIds
      ? serviceLoop(
          options,
          60_000,
          async () => {
            for (const saleId of saleIds) await this.reconcile(saleId);
          },
          {
            code: 'RECONCILIATION_FAILED',
            message: 'a reconciliation run failed; the next one retries',
            context: { saleIds },
          },
        )
      : null;
  }

  /** Starts checking `saleIds` every `intervalMs` (needs `saleIds`). */
  start(): void {
    this.task?.start();
  }

  /** Stops the loop and waits for a running check. */
  async stop(): Promise<void> {
    await this.task?.stop();
  }

  /**
   * Compares the store with the repository for one sale; repairs the store when they disagree
   * (unless `repair: false`), records the run and alerts on any inconsistency.
   */
  async reconcile(saleId: string, options: { repair?: boolean } = {}): Promise<ReconciliationReport> {
    const id = validate('sale id', SaleId, saleId);
    const { inventory, repository, clock } = this.options;
    const ranAt = clock.now();
    if (this.options.rebuild && !(await inventory.isWarm(id))) await this.options.rebuild.rebuildIfCold(id);
    if (!(await inventory.isWarm(id))) {
      // nothing to repair: loading a sale is the warm-up's job, which checks it too
      const report: ReconciliationReport = {
        ...recordOf(id, ranAt, null, await repository.totals(id)),
        consistent: false,
        repaired: false,
        problems: ['the sale is not loaded in the store'],
      };
      await this.finish(report);
      return report;
    }
    // The store first, the truth after: a reservation moving meanwhile (inserted, confirmed in
    // the store, recorded CONFIRMED) can then only make the truth look ahead of the store, never
    // behind it, and a truth that looks behind is what would free a sold unit.
    const before = await inventory.counts(id);
    const states = await inventory.seatStates(id);
    const totals = await repository.totals(id);
    // A truth ahead of that reading may only mean a sale confirmed meanwhile (the worker confirms
    // in the store before it records CONFIRMED), so what the store lacks is judged on a second
    // reading, after the truth: it has every unit and seat confirmed in PostgreSQL by then.
    const later = storeLacks({ counts: before, states }, totals)
      ? { counts: await inventory.counts(id), states: await inventory.seatStates(id) }
      : { counts: before, states };
    const problems = this.problemsOf({ counts: before, states }, later, totals);
    const report: ReconciliationReport = {
      ...recordOf(id, ranAt, before, totals),
      consistent: problems.length === 0,
      repaired: false,
      problems,
    };
    if (problems.length > 0 && (options.repair ?? true)) {
      // what was seen before the truth was read goes along: the repair keeps whatever the store
      // confirmed since (the truth may not know it yet) and frees only seats seen confirmed
      const repair = await inventory.repair({
        saleId: id,
        confirmedUnits: totals.confirmedUnits,
        confirmedSeatIds: totals.confirmedSeatIds,
        pendingUnits: totals.pendingUnits,
        pendingSeatIds: totals.pendingSeatIds,
        observedConfirmed: before.confirmed,
        observedConfirmedSeatIds: seatsIn(states, 'CONFIRMED'),
      });
      report.repaired = true;
      report.after = repair.after;
      await this.publishRepair(repair.before, repair.after, ranAt);
    }
    await this.finish(report);
    return report;
  }

  /**
   * Every inconsistency between the store and the truth: the store's own sums and what it keeps
   * beyond the truth from the reading `before` the truth; what it lacks from the reading `later`.
   */
  private problemsOf(before: StoreReading, later: StoreReading, totals: SaleTotals): string[] {
    const problems: string[] = [];
    const counts = before.counts;
    const sum = counts.available + counts.held + counts.confirmed;
    if (counts.available < 0) problems.push(`available is negative (${counts.available})`);
    if (sum !== counts.initialStock) {
      problems.push(`available + held + confirmed = ${sum}, not the initial stock ${counts.initialStock}`);
    }
    if (counts.initialStock !== totals.initialStock) {
      problems.push(
        `initial stock is ${counts.initialStock} in the store, ${totals.initialStock} in the repository`,
      );
    }
    if (later.counts.confirmed < totals.confirmedUnits) {
      problems.push(
        `the store has ${later.counts.confirmed} confirmed units, the repository ${totals.confirmedUnits}`,
      );
    }
    const ceiling = totals.confirmedUnits + totals.pendingUnits;
    if (counts.confirmed > ceiling) {
      problems.push(
        `the store has ${counts.confirmed} confirmed units, more than sold and pending (${ceiling})`,
      );
    }
    const unsold = unconfirmedSoldSeats(later.states, totals);
    if (unsold.length > 0) {
      problems.push(`${unsold.length} sold seats are not CONFIRMED in the store (first: ${unsold[0]})`);
    }
    const accounted = new Set([...totals.confirmedSeatIds, ...totals.pendingSeatIds]);
    const unbought = seatsIn(before.states, 'CONFIRMED').filter((seatId) => !accounted.has(seatId));
    if (unbought.length > 0) {
      problems.push(
        `${unbought.length} seats are CONFIRMED in the store but neither sold nor pending (first: ${unbought[0]})`,
      );
    }
    return problems;
  }

  private async finish(report: ReconciliationReport): Promise<void> {
    const { problems: _, after: __, ...record } = report;
    await this.options.repository.recordReconciliation(record);
    if (!report.consistent) {
      await this.options.alerts.alert({
        severity: report.repaired ? 'warning' : 'critical',
        code: 'STOCK_INCONSISTENT',
        message: `sale ${report.saleId}: ${report.problems.join('; ')}${report.repaired ? ' (repaired from the repository)' : ''}`,
        context: { ...record, problems: report.problems, after: report.after ?? null },
      });
    }
  }

  private async publishRepair(before: InventoryCounts, after: InventoryCounts, now: number): Promise<void> {
    const { saleId } = before;
    const repair = stockChanged({
      saleId,
      reason: 'REPAIRED',
      delta: after.available - before.available,
      confirmedDelta: after.confirmed - before.confirmed,
      seatIds: [],
      now,
    });
    await publishAudit(this.options, [repair], {
      message: `the repair of sale ${saleId} could not be published to the audit log`,
      context: { saleId },
    });
  }
}

function recordOf(
  saleId: string,
  ranAt: number,
  counts: InventoryCounts | null,
  totals: SaleTotals,
): Omit<ReconciliationRecord, 'consistent' | 'repaired'> {
  return {
    saleId,
    ranAt,
    storeAvailable: counts?.available ?? 0,
    storeHeld: counts?.held ?? 0,
    storeConfirmed: counts?.confirmed ?? 0,
    truthConfirmed: totals.confirmedUnits,
    truthPending: totals.pendingUnits,
  };
}

/** The seats in `state`, in the seat map's order. */
function seatsIn(states: Record<string, SeatState>, state: SeatState): string[] {
  return Object.keys(states).filter((seatId) => states[seatId] === state);
}

/** One reading of the store: its counts, then its seat states. */
interface StoreReading {
  counts: InventoryCounts;
  states: Record<string, SeatState>;
}

/** Whether the reading lacks units or seats the truth has sold. */
function storeLacks(reading: StoreReading, totals: SaleTotals): boolean {
  return (
    reading.counts.confirmed < totals.confirmedUnits ||
    unconfirmedSoldSeats(reading.states, totals).length > 0
  );
}

/** The truth's sold seats that are not CONFIRMED in `states`. */
function unconfirmedSoldSeats(states: Record<string, SeatState>, totals: SaleTotals): string[] {
  return totals.confirmedSeatIds.filter((seatId) => states[seatId] !== 'CONFIRMED');
}
