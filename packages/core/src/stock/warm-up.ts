import { SeatRushError, UnknownSaleError } from '../common/errors';
import { SaleId } from '../common/ids';
import { validate } from '../common/validate';
import type { AlertSink } from '../ports/alert-sink';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import type { InventoryCounts, InventorySnapshot, InventoryStore } from '../ports/inventory-store';
import type { ReservationRepository } from '../ports/reservation-repository';
import { publishAudit, stockChanged } from './audit';
import type { RebuildService } from './rebuild';

/** A sale is not (correctly) loaded into the store, so it must not open. */
export class SaleNotWarmError extends SeatRushError {
  readonly saleId: string;
  /** Every check that failed. */
  readonly problems: string[];

  constructor(saleId: string, problems: string[]) {
    super('SALE_NOT_WARM', `sale ${saleId} is not warm: ${problems.join('; ')}`);
    this.saleId = saleId;
    this.problems = problems;
  }
}

/** The warm-up state of one sale, for health checks and the open gate. */
export interface WarmUpReport {
  saleId: string;
  /** Loaded and consistent: safe to open. */
  warm: boolean;
  /** What is wrong; empty when warm. */
  problems: string[];
  /** The store's counts, when the sale is loaded. */
  counts: InventoryCounts | null;
  /** When this process last loaded the sale, or null. */
  warmedAt: number | null;
  checkedAt: number;
}

/** Options of {@link WarmUp}. */
export interface WarmUpOptions {
  repository: ReservationRepository;
  inventory: InventoryStore;
  clock: Clock;
  /** Receives a StockChanged(WARMED) event per load, the baseline of the audit log. */
  publisher?: EventPublisher;
  /** Told when a warm-up fails its verification. */
  alerts?: AlertSink;
  /**
   * The rebuild, over the same store and repository: {@link WarmUp.warmIfCold} loads through its
   * atomic `restore`, holds in flight included. Without it (a store with no `restore`),
   * `warmIfCold` checks `isWarm`, then loads.
   */
  rebuild?: RebuildService;
}

/**
 * Cache warming (docs/design.md §Cache warming): loads a sale's inventory from the source of truth
 * into the store before it opens, then checks the store says exactly what was loaded. A sale whose
 * check fails does not open — {@link assertReady} throws {@link SaleNotWarmError} — and the health
 * report says why, so a cold store never sends the opening rush to the database.
 */
export class WarmUp {
  private readonly warmedAt = new Map<string, number>();

  constructor(private readonly options: WarmUpOptions) {}

  /**
   * Loads the sale from the repository into the store and verifies it. Throws
   * `UnknownSaleError` when the repository has no such sale and {@link SaleNotWarmError} when the
   * store does not hold what was loaded.
   */
  async warm(saleId: string): Promise<WarmUpReport> {
    const id = validate('sale id', SaleId, saleId);
    const snapshot = await this.options.repository.loadSnapshot(id);
    if (!snapshot) throw new UnknownSaleError(id);
    await this.options.inventory.load(snapshot);
    const problems = await this.compare(snapshot);
    const now = this.options.clock.now();
    const report = await this.reportOf(id, problems, now);
    if (problems.length > 0) {
      await this.options.alerts?.alert({
        severity: 'critical',
        code: 'WARM_UP_FAILED',
        message: `sale ${id} failed its warm-up verification`,
        context: { saleId: id, problems },
      });
      throw new SaleNotWarmError(id, problems);
    }
    this.warmedAt.set(id, now);
    report.warmedAt = now;
    await this.publishBaseline(snapshot, now);
    return report;
  }

  /**
   * Warms the sale up unless the store holds it (a process starting: `warmUp: 'if-cold'`), with
   * the check and the load ONE atomic step: the rebuild's `restore` writes the sale only while it
   * is not warm, so a second instance starting never resets the holds the first one made. And it
   * writes the rebuild's snapshot, the holds in flight (REQUESTED and PAYMENT_PENDING rows) among
   * them: a process starting while the store has lost a sale that was open keeps its buyers' holds,
   * where {@link warm}'s snapshot would drop them. A sale with nothing sold and nothing in flight
   * (a first warm-up) is loaded without the rebuild's SALE_REBUILT alert. Answers whether this
   * call loaded the sale; {@link assertReady} checks it after.
   * @throws UnknownSaleError when the repository has no such sale.
   */
  async warmIfCold(saleId: string): Promise<{ loaded: boolean }> {
    const id = validate('sale id', SaleId, saleId);
    const { rebuild, inventory } = this.options;
    if (!rebuild) {
      // a store without restore: the check and the load are two steps (documented on the option)
      if (await inventory.isWarm(id)) return { loaded: false };
      await this.warm(id);
      return { loaded: true };
    }
    const report = await rebuild.rebuildIfCold(id, { warmUp: true });
    if (report.outcome !== 'RESTORED' || !report.counts) return { loaded: false };
    const now = this.options.clock.now();
    this.warmedAt.set(id, now);
    const { counts } = report;
    await this.publishBaseline(
      { saleId: id, available: counts.available, initialStock: counts.initialStock },
      now,
    );
    return { loaded: true };
  }

  /**
   * Whether the sale is loaded and its counts hold together (available + held + confirmed ==
   * initial stock, the repository's initial stock). Never throws for an unwarmed sale: that is
   * what it reports.
   */
  async health(saleId: string): Promise<WarmUpReport> {
    const id = validate('sale id', SaleId, saleId);
    const now = this.options.clock.now();
    if (!(await this.options.inventory.isWarm(id))) {
      return this.reportOf(id, ['the sale is not loaded in the store'], now);
    }
    const counts = await this.options.inventory.counts(id);
    const problems = countProblems(counts);
    const totals = await this.options.repository.totals(id);
    if (totals.initialStock !== counts.initialStock) {
      problems.push(
        `initial stock is ${counts.initialStock} in the store but ${totals.initialStock} in the repository`,
      );
    }
    return this.reportOf(id, problems, now, counts);
  }

  /** The gate before opening: throws {@link SaleNotWarmError} unless {@link health} says warm. */
  async assertReady(saleId: string): Promise<WarmUpReport> {
    const report = await this.health(saleId);
    if (!report.warm) throw new SaleNotWarmError(report.saleId, report.problems);
    return report;
  }

  private async compare(snapshot: InventorySnapshot): Promise<string[]> {
    const { inventory } = this.options;
    if (!(await inventory.isWarm(snapshot.saleId))) return ['the store does not report the sale as loaded'];
    const counts = await inventory.counts(snapshot.saleId);
    const problems = countProblems(counts);
    if (counts.initialStock !== snapshot.initialStock) {
      problems.push(`initial stock is ${counts.initialStock}, loaded ${snapshot.initialStock}`);
    }
    if (counts.available !== snapshot.available) {
      problems.push(`available is ${counts.available}, loaded ${snapshot.available}`);
    }
    if (counts.held !== 0) problems.push(`${counts.held} units are held right after loading`);
    if (snapshot.seatIds.length > 0) {
      const states = await inventory.seatStates(snapshot.saleId);
      const sold = new Set(snapshot.confirmedSeatIds);
      const missing = snapshot.seatIds.filter((id) => states[id] === undefined);
      if (missing.length > 0) problems.push(`${missing.length} seats are missing (first: ${missing[0]})`);
      const wrong = snapshot.seatIds.filter(
        (id) => states[id] !== undefined && states[id] !== (sold.has(id) ? 'CONFIRMED' : 'AVAILABLE'),
      );
      if (wrong.length > 0) problems.push(`${wrong.length} seats have the wrong state (first: ${wrong[0]})`);
    }
    return problems;
  }

  private async reportOf(
    saleId: string,
    problems: string[],
    now: number,
    counts?: InventoryCounts,
  ): Promise<WarmUpReport> {
    const loaded =
      counts ??
      ((await this.options.inventory.isWarm(saleId)) ? await this.options.inventory.counts(saleId) : null);
    return {
      saleId,
      warm: problems.length === 0,
      problems,
      counts: loaded,
      warmedAt: this.warmedAt.get(saleId) ?? null,
      checkedAt: now,
    };
  }

  private async publishBaseline(
    snapshot: Pick<InventorySnapshot, 'saleId' | 'available' | 'initialStock'>,
    now: number,
  ): Promise<void> {
    const { saleId } = snapshot;
    const baseline = stockChanged({
      saleId,
      reason: 'WARMED',
      delta: snapshot.available,
      confirmedDelta: snapshot.initialStock - snapshot.available,
      seatIds: [],
      now,
    });
    await publishAudit(this.options, [baseline], {
      message: `the warm-up of sale ${saleId} could not be published to the audit log`,
      context: { saleId },
    });
  }
}

/** What is wrong with a store's counts on their own. */
function countProblems(counts: InventoryCounts): string[] {
  const problems: string[] = [];
  if (counts.available < 0) problems.push(`available is negative (${counts.available})`);
  const total = counts.available + counts.held + counts.confirmed;
  if (total !== counts.initialStock) {
    problems.push(
      `available ${counts.available} + held ${counts.held} + confirmed ${counts.confirmed} = ${total}, not the initial stock ${counts.initialStock}`,
    );
  }
  return problems;
}
