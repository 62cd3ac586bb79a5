import { z } from 'zod';
import { ConfigurationError } from '../common/errors';
import { EpochMs, SaleId } from '../common/ids';
import { positiveInteger, positiveMs } from '../common/settings';
import { validate } from '../common/validate';
import type { DomainEvent } from '../events/events';
import type { AlertSink } from '../ports/alert-sink';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import type { HoldRecord, InventoryStore } from '../ports/inventory-store';
import type { ReservationRepository } from '../ports/reservation-repository';
import { describeError } from '../reservation/describe-error';
import { holdExpired, reservationEventId } from '../reservation/events';
import { holdStockChanged } from '../stock/audit';
import { inFlightExpiry } from '../stock/rebuild';
import { type LoopOptions, type PeriodicTask, serviceLoop } from './periodic';

/** Options of {@link HoldSweeper}. */
export interface HoldSweeperOptions extends LoopOptions {
  /** The sales to sweep. */
  saleIds: string[];
  inventory: InventoryStore;
  publisher: EventPublisher;
  alerts: AlertSink;
  clock: Clock;
  /** How often the loop sweeps; default 1 s. */
  intervalMs?: number;
  /** Holds expired per store call; default 500 (a sweep repeats until fewer come back). */
  batchSize?: number;
  /**
   * The source of truth (needs `listInFlight` and `getSale`). With it, the sweeper also checks the
   * rows in flight every `strandedCheckMs`: a REQUESTED or PAYMENT_PENDING row whose hold has
   * ended (EXPIRED in the store, or its record gone once its derived expiry passed) more than
   * `strandedGraceMs` ago gets its `HoldExpired` published again, so the worker fails it even when
   * the first publish was lost (a failed publish, a process that died between the store's expiry
   * and the publish, a wiped store); one whose hold was RELEASED at two checks in a row gets its
   * `StockChanged(RELEASED)` again (the release's publish was lost). Without it, only the
   * in-process retry of the sweep's own events.
   */
  repository?: ReservationRepository;
  /** How often the rows in flight are checked (see `repository`); default 30 s. */
  strandedCheckMs?: number;
  /**
   * How long after a hold ended its row may stay in flight before the check publishes its
   * `HoldExpired` again (the first one is usually on its way: a duplicate is harmless, the event
   * id is the same, but needless); default 10 s.
   */
  strandedGraceMs?: number;
  /** The checkout's `paymentWindowMs` and `maxHoldMs`, for a row's derived expiry; 120 s and 15 min. */
  paymentWindowMs?: number;
  maxHoldMs?: number;
}

/** Expiry events kept for the next sweep after a failed publish, at most (the check covers the rest). */
const MAX_UNPUBLISHED = 10_000;

/** What one sweep did. */
export interface SweepReport {
  expired: HoldRecord[];
  /**
   * Set when the expiry events could not be published (the expiries stand): they are published
   * again at the next sweep, with the same ids.
   */
  publishError?: unknown;
  /**
   * Reservations in flight whose hold had ended long ago, found by this sweep's check of the rows
   * in flight: their `HoldExpired` was published again (see `HoldSweeperOptions.repository`).
   */
  stranded: string[];
}

/**
 * Returns the stock of holds whose time has passed (docs/design.md §Holds and stock: expiry).
 *
 * Redis keyspace notifications are fire-and-forget and lost while nobody listens, so this sweep
 * over the store's expiry index is the guarantee. Several sweepers may run at once (one per API
 * instance): the store's `expireDue` expires each hold exactly once, so each HoldExpired event is
 * published by one of them.
 *
 * A HoldExpired is not an audit nicety: the buyer-driven checkout's worker needs it to void the
 * payment and fail the reservation. The store's expiry and the publish are two steps, so the event
 * can be lost between them; two things bring it back (docs/design.md §Holds and stock, expiry):
 * events whose publish failed are published again at the next sweep, and, with a `repository`,
 * the check of rows in flight publishes again the HoldExpired of any row whose hold ended long
 * ago (which also covers a sweeper's process dying between the two steps, and a wiped store).
 * Every publish of one hold's expiry has the same event ids, so consumers deduplicate.
 */
export class HoldSweeper {
  private readonly saleIds: string[];
  private readonly batchSize: number;
  private readonly task: PeriodicTask;
  private readonly strandedCheckMs: number;
  private readonly strandedGraceMs: number;
  private readonly bounds: { paymentWindowMs: number; maxHoldMs: number };
  /** Expiry events whose publish failed: published first at the next sweep. */
  private unpublished: DomainEvent[] = [];
  /** When the rows in flight were last checked (clock ms). */
  private lastCheck = Number.NEGATIVE_INFINITY;
  /** Rows in flight whose hold the last check found RELEASED (a release has no time of its own). */
  private releasedAtLastCheck = new Set<string>();
  /** Each sale's hold time, for the derived expiry of a row whose hold record is gone. */
  private readonly holdMsOf = new Map<string, number>();

  constructor(private readonly options: HoldSweeperOptions) {
    this.saleIds = validate('sale ids', z.array(SaleId).min(1), options.saleIds);
    this.batchSize = positiveInteger('batchSize', options.batchSize ?? 500);
    this.strandedCheckMs = positiveMs('strandedCheckMs', options.strandedCheckMs ?? 30_000);
    this.strandedGraceMs = positiveMs('strandedGraceMs', options.strandedGraceMs ?? 10_000);
    this.bounds = {
      paymentWindowMs: positiveMs('paymentWindowMs', options.paymentWindowMs ?? 120_000),
      maxHoldMs: positiveMs('maxHoldMs', options.maxHoldMs ?? 900_000),
    };
    this.task = serviceLoop(options, 1_000, () => this.sweepOnce(), {
      code: 'SWEEP_FAILED',
      message: 'a hold sweep failed; the next one retries',
      context: { saleIds: this.saleIds },
    });
  }

  /** Whether the loop runs. */
  get running(): boolean {
    return this.task.running;
  }

  /** Starts sweeping every `intervalMs`. */
  start(): void {
    this.task.start();
  }

  /** Stops the loop and waits for a running sweep. */
  stop(): Promise<void> {
    return this.task.stop();
  }

  /**
   * Expires every hold due at `now` (the clock's time by default) in every sale, then publishes a
   * HoldExpired and a StockChanged event for each (with those of an earlier sweep whose publish
   * failed), then, every `strandedCheckMs`, checks the rows in flight (see
   * `HoldSweeperOptions.repository`). Safe to run concurrently with other sweepers.
   */
  async sweepOnce(now: number = this.options.clock.now()): Promise<SweepReport> {
    const at = validate('sweep time', EpochMs, now);
    const expired: HoldRecord[] = [];
    for (const saleId of this.saleIds) {
      for (;;) {
        const batch = await this.options.inventory.expireDue({ saleId, now: at, limit: this.batchSize });
        expired.push(...batch);
        if (batch.length < this.batchSize) break;
      }
    }
    const report: SweepReport = { expired, stranded: [] };
    const events: DomainEvent[] = [
      ...this.unpublished,
      ...expired.flatMap((hold) => expiryEvents(hold, at, true)),
    ];
    this.unpublished = [];
    if (events.length > 0) {
      try {
        await this.options.publisher.publish(events);
      } catch (error) {
        report.publishError = error;
        this.unpublished = events.slice(-MAX_UNPUBLISHED);
        await this.options.alerts
          .alert({
            severity: 'warning',
            code: 'EXPIRY_PUBLISH_FAILED',
            message: `${events.filter((event) => event.type === 'HoldExpired').length} hold expiries could not be published; the next sweep publishes them again`,
            context: {
              reservationIds: expired.map((hold) => hold.reservationId),
              error: describeError(error),
            },
          })
          .catch(() => undefined); // the alert sink itself is down: the retry still stands
      }
    }
    if (this.options.repository?.listInFlight && at - this.lastCheck >= this.strandedCheckMs) {
      this.lastCheck = at;
      // this sweep's own expiries were just published (or wait for the next sweep's retry)
      const own = new Set(events.map((event) => event.key));
      const released = new Set<string>();
      for (const saleId of this.saleIds) {
        report.stranded.push(...(await this.checkInFlight(saleId, at, own, released)));
      }
      this.releasedAtLastCheck = released;
    }
    return report;
  }

  /**
   * Publishes again the HoldExpired of each row in flight whose hold ended more than
   * `strandedGraceMs` before `now`: EXPIRED in the store, or its record gone (a rebuild left it out,
   * the store lost it) once the row's derived expiry passed; and the StockChanged(RELEASED) of a
   * row whose hold was RELEASED at two checks in a row (the worker fails the row on either). A
   * live, due or confirmed hold is left to its own path. Answers the reservations concerned.
   */
  private async checkInFlight(
    saleId: string,
    now: number,
    own: ReadonlySet<string>,
    released: Set<string>,
  ): Promise<string[]> {
    const { inventory, repository } = this.options;
    // a sale the store lost is the rebuild's: it leaves out the rows whose hold ended, and the
    // next check, once the store is warm, finds them here
    if (!(await inventory.isWarm(saleId))) return [];
    const rows = await repository!.listInFlight!(saleId);
    if (rows.length === 0) return [];
    const holdMs = await this.holdMsFor(saleId);
    const events: DomainEvent[] = [];
    const stranded: string[] = [];
    for (const row of rows) {
      // its hold cannot have ended long enough ago yet: no store read
      if (row.createdAt + holdMs + this.strandedGraceMs > now || own.has(row.reservationId)) continue;
      const hold = await inventory.getHold(saleId, row.reservationId);
      if (hold && hold.status === 'EXPIRED' && hold.expiresAt + this.strandedGraceMs <= now) {
        stranded.push(row.reservationId);
        events.push(...expiryEvents(hold, now, true));
      } else if (hold?.status === 'RELEASED') {
        // its buyer gave it back, and the StockChanged(RELEASED) the worker fails it on was lost;
        // a release keeps no time, so it must have been seen at the previous check already
        released.add(row.reservationId);
        if (this.releasedAtLastCheck.has(row.reservationId)) {
          stranded.push(row.reservationId);
          events.push(
            holdStockChanged(hold, 'RELEASED', now, reservationEventId(hold.reservationId, 'stock-released')),
          );
        }
      } else if (
        hold?.status === 'CONFIRMED' &&
        row.status === 'PAYMENT_PENDING' &&
        hold.expiresAt + this.strandedGraceMs <= now
      ) {
        // the buyer's payment confirmed the hold in the store, and its record in the source of
        // truth never came (the webhook's delivery failed after the confirm, and the provider gave
        // up): a confirmed hold never expires, so nothing else would look. Its HoldExpired has the
        // checkout ask the provider, which answers the payment succeeded: the row is recorded
        // CONFIRMED (the auto-pay worker ignores HoldExpired; its own redelivery settles the row)
        stranded.push(row.reservationId);
        events.push(holdExpired(hold, now));
      } else if (!hold && inFlightExpiry(row, holdMs, this.bounds) + this.strandedGraceMs <= now) {
        // no record: nothing went back to the stock here (the rebuild counted its units available)
        stranded.push(row.reservationId);
        events.push(...expiryEvents(row, now, false));
      }
    }
    if (events.length === 0) return [];
    await this.options.publisher.publish(events);
    await this.options.alerts
      .alert({
        severity: 'warning',
        code: 'HOLD_EXPIRY_REPUBLISHED',
        message: `${stranded.length} reservations stayed in flight after their hold ended; their HoldExpired (or release) was published again`,
        context: { saleId, reservationIds: stranded },
      })
      .catch(() => undefined); // the events are out: the alert is for the operator only
    return stranded;
  }

  private async holdMsFor(saleId: string): Promise<number> {
    const known = this.holdMsOf.get(saleId);
    if (known !== undefined) return known;
    const sale = await this.options.repository!.getSale(saleId);
    if (!sale) throw new ConfigurationError(`sale ${saleId} is not in the source of truth`);
    this.holdMsOf.set(saleId, sale.holdMs);
    return sale.holdMs;
  }
}

/**
 * The events of one hold's expiry, with ids derived from the reservation: every publish of them
 * (the sweep's, a retry, the check's) is the same events, which consumers deduplicate. The
 * StockChanged only when the units went back to the store's stock.
 */
function expiryEvents(
  hold: Pick<HoldRecord, 'saleId' | 'reservationId' | 'userId' | 'quantity' | 'seatIds'>,
  now: number,
  stockReturned: boolean,
): DomainEvent[] {
  const events: DomainEvent[] = [holdExpired(hold, now)];
  if (stockReturned) {
    events.push(
      holdStockChanged(hold, 'EXPIRED', now, reservationEventId(hold.reservationId, 'stock-expired')),
    );
  }
  return events;
}
