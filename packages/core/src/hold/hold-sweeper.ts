import { z } from 'zod';
import { ConfigurationError } from '../common/errors';
import { EpochMs, SaleId } from '../common/ids';
import { validate } from '../common/validate';
import type { DomainEvent, EventOf } from '../events/events';
import type { AlertSink } from '../ports/alert-sink';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import type { HoldRecord, InventoryStore } from '../ports/inventory-store';
import { describeError } from '../reservation/describe-error';
import { reservationEventId } from '../reservation/events';
import { holdStockChanged } from '../stock/audit';
import { PeriodicTask, systemTimer, type Timer } from './periodic';

/** Options of {@link HoldSweeper}. */
export interface HoldSweeperOptions {
  /** The sales to sweep. */
  saleIds: string[];
  inventory: InventoryStore;
  publisher: EventPublisher;
  alerts: AlertSink;
  clock: Clock;
  /** Schedules the loop; the Node.js timer by default. */
  timer?: Timer;
  /** How often the loop sweeps; default 1 s. */
  intervalMs?: number;
  /** Holds expired per store call; default 500 (a sweep repeats until fewer come back). */
  batchSize?: number;
}

/** What one sweep did. */
export interface SweepReport {
  expired: HoldRecord[];
  /** Set when the audit events could not be published (the expiries stand). */
  publishError?: unknown;
}

/**
 * Returns the stock of holds whose time has passed (docs/design.md §Holds and stock: expiry).
 *
 * Redis keyspace notifications are fire-and-forget and lost while nobody listens, so this sweep
 * over the store's expiry index is the guarantee. Several sweepers may run at once (one per API
 * instance): the store's `expireDue` expires each hold exactly once, so each HoldExpired event is
 * published by exactly one of them.
 */
export class HoldSweeper {
  private readonly saleIds: string[];
  private readonly batchSize: number;
  private readonly task: PeriodicTask;

  constructor(private readonly options: HoldSweeperOptions) {
    this.saleIds = validate('sale ids', z.array(SaleId).min(1), options.saleIds);
    this.batchSize = options.batchSize ?? 500;
    if (!Number.isInteger(this.batchSize) || this.batchSize <= 0) {
      throw new ConfigurationError('batchSize must be a positive integer');
    }
    this.task = new PeriodicTask({
      intervalMs: options.intervalMs ?? 1_000,
      timer: options.timer ?? systemTimer,
      work: () => this.sweepOnce(),
      onError: (error) => {
        void options.alerts
          .alert({
            severity: 'warning',
            code: 'SWEEP_FAILED',
            message: 'a hold sweep failed; the next one retries',
            context: { saleIds: this.saleIds, error: describeError(error) },
          })
          .catch(() => undefined); // the alert sink itself is down: nothing left to tell
      },
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
   * HoldExpired and a StockChanged event for each. Safe to run concurrently with other sweepers.
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
    const report: SweepReport = { expired };
    if (expired.length === 0) return report;
    const events: DomainEvent[] = expired.flatMap((hold) => [
      holdExpired(hold, at),
      holdStockChanged(hold, 'EXPIRED', at),
    ]);
    try {
      await this.options.publisher.publish(events);
    } catch (error) {
      report.publishError = error;
      await this.options.alerts.alert({
        severity: 'warning',
        code: 'AUDIT_PUBLISH_FAILED',
        message: `${expired.length} hold expiries could not be published to the audit log`,
        context: { reservationIds: expired.map((hold) => hold.reservationId), error: describeError(error) },
      });
    }
    return report;
  }
}

function holdExpired(hold: HoldRecord, now: number): EventOf<'HoldExpired'> {
  return {
    eventId: reservationEventId(hold.reservationId, 'expired'),
    type: 'HoldExpired',
    version: 1,
    saleId: hold.saleId,
    key: hold.reservationId,
    occurredAt: now,
    payload: {
      reservationId: hold.reservationId,
      userId: hold.userId,
      quantity: hold.quantity,
      seatIds: hold.seatIds,
    },
  };
}
