import { type LoopOptions, type PeriodicTask, serviceLoop } from '../hold/periodic';
import type { AlertSink } from '../ports/alert-sink';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import type { HoldRecord, InventoryStore, UnrelayedHold } from '../ports/inventory-store';
import type { SaleDefinition } from '../sale/definition';
import { holdStockChanged } from '../stock/audit';
import { describeError } from './describe-error';
import { reservationEventId, reservationRequested } from './events';
import { PriceList } from './price-list';
import { holdAsOf } from './store-answer';

/** Options of {@link HoldRelay}. */
export interface HoldRelayOptions extends LoopOptions {
  sale: SaleDefinition;
  inventory: InventoryStore;
  publisher: EventPublisher;
  alerts: AlertSink;
  clock: Clock;
  /** How often the loop looks for entries left behind; default 250 ms. */
  intervalMs?: number;
  /**
   * Entries younger than this are left to the hand-over of the request that made them; the loop
   * takes the rest (a failed or slow publish, a process that died). Default 1 s.
   */
  relayAfterMs?: number;
  /** Entries per pass; default 500. */
  batchSize?: number;
  /** How long a request waits for its own hand-over before answering anyway; default 250 ms. */
  handOverWaitMs?: number;
}

/** Hand-overs published together (see `HoldRelay.gather`). */
interface HandOverBatch {
  entries: UnrelayedHold[];
  /**
   * Settles once the batch's events are acknowledged, or it is left to the loop, or
   * `handOverWaitMs` passed. Not its removal from the outbox: that follows in the background.
   */
  answered: Promise<void>;
}

/** A hold a service accepted: what it answers once the hold is handed to the pipeline. */
export interface AcceptedHold {
  ok: true;
  /**
   * Held, and durable: the hold is in the store's outbox, so the processor gets it whatever
   * happens to this process or the pipeline; the final answer comes as
   * ReservationConfirmed/Failed.
   */
  code: 'ACCEPTED';
  reservationId: string;
  /**
   * The hold as of the answer: a replay of a key whose hold has since expired, been released or
   * confirmed says so (never HELD for an expired hold).
   */
  hold: HoldRecord;
  amountCents: number;
  /** True when this answer is the stored outcome of an earlier request with the same key. */
  replayed: boolean;
}

/**
 * The relay a service was given, or one over the service's own ports (the host must then run a
 * relay loop for the sale somewhere: `createSeatRush` does).
 */
export function relayFor(
  sale: SaleDefinition,
  options: Pick<HoldRelayOptions, 'inventory' | 'publisher' | 'alerts' | 'clock'> & {
    relay?: HoldRelay | undefined;
  },
): HoldRelay {
  const { inventory, publisher, alerts, clock } = options;
  return options.relay ?? new HoldRelay({ sale, inventory, publisher, alerts, clock });
}

/**
 * Hands holds from the outbox to the pipeline (the transactional outbox's relay).
 *
 * The store writes every hold a buyer is told about into its outbox in the same atomic step as
 * the hold, so "held" is durable the moment it is said, and a failed publish can no longer undo
 * an answer already given. The request that made a hold hands it over at once ({@link handOver},
 * waiting at most `handOverWaitMs`, so the worker starts without delay); the loop
 * ({@link relayDue}) publishes whatever is left behind: a publish that failed or took too long,
 * or a process that died between the hold and the publish. An entry leaves the outbox only after
 * its events are acknowledged, so every entry is published at least once; the events have ids
 * derived from the reservation, and the processor is idempotent, so a second publish is harmless.
 */
export class HoldRelay {
  readonly sale: SaleDefinition;
  private readonly prices: PriceList;
  private readonly task: PeriodicTask;
  private readonly inFlight = new Set<Promise<boolean>>();
  /** The hand-overs gathered since the last microtask turn: published together, in one call. */
  private gathering: HandOverBatch | null = null;
  private readonly relayAfterMs: number;
  private readonly batchSize: number;
  private readonly handOverWaitMs: number;

  constructor(private readonly options: HoldRelayOptions) {
    this.sale = options.sale;
    this.prices = new PriceList(options.sale);
    this.relayAfterMs = options.relayAfterMs ?? 1_000;
    this.batchSize = options.batchSize ?? 500;
    this.handOverWaitMs = options.handOverWaitMs ?? 250;
    this.task = serviceLoop(
      options,
      250,
      () => this.relayDue(),
      (error) => this.alert('warning', 'RELAY_FAILED', 'an outbox pass failed; the next one retries', error),
    );
  }

  /**
   * The answer to a hold the store made or replayed: a new one is handed over first (a replayed
   * one was, by its first request), and the answer says the hold as it stands now.
   */
  async accept(made: { hold: HoldRecord; replayed: boolean }, enqueuedAt: number): Promise<AcceptedHold> {
    if (!made.replayed) await this.handOver(made.hold, enqueuedAt);
    const hold = holdAsOf(made.hold, this.options.clock.now());
    return {
      ok: true,
      code: 'ACCEPTED',
      reservationId: hold.reservationId,
      hold,
      amountCents: this.amountOf(hold),
      replayed: made.replayed,
    };
  }

  /** What a hold costs: the price list of the sale. */
  amountOf(hold: Pick<HoldRecord, 'quantity' | 'seatIds'>): number {
    return this.prices.amountOf(hold);
  }

  /**
   * Publishes a new hold's events and takes it out of the outbox, waiting at most `handOverWaitMs`
   * for the publish. Never throws: whatever is not acknowledged in time stays in the outbox for the
   * loop. The wait ends when the events are acknowledged, not when the entry has left the outbox:
   * the hold was durable before (it is in the outbox), and an entry whose removal is late or fails
   * is only published again by the loop, a duplicate the pipeline drops. So a reserve answers after
   * one store round trip and the publish, not a second round trip for the removal ({@link flush}
   * and {@link stop} still wait for it).
   */
  async handOver(hold: HoldRecord, enqueuedAt: number): Promise<void> {
    const batch = this.gathering ?? this.gather();
    batch.entries.push({ reservationId: hold.reservationId, enqueuedAt, hold });
    await batch.answered;
  }

  /**
   * Opens a batch of hand-overs: the holds handed over until the microtasks queued now have run
   * (the replies of one Redis read, say, whose requests advance in step) are published in one
   * call and marked relayed in one, instead of one publish and one outbox write per hold. The
   * batch's wait is bounded by one timer, set when the first hold joined it, so no hold waits
   * longer than `handOverWaitMs`.
   */
  private gather(): HandOverBatch {
    const entries: UnrelayedHold[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.handOverWaitMs);
    });
    let published!: () => void;
    const acknowledged = new Promise<void>((resolve) => {
      published = resolve;
    });
    const publishing = new Promise<void>((resolve) => queueMicrotask(resolve))
      .then(() => {
        this.gathering = null;
        return this.publish(entries, published);
      })
      .then(
        (relayed) => relayed > 0,
        () => false,
      );
    this.inFlight.add(publishing);
    void publishing.finally(() => {
      this.inFlight.delete(publishing);
      published(); // failed before the acknowledgement: the answer need not wait for the timer
      clearTimeout(timer);
    });
    const batch: HandOverBatch = { entries, answered: Promise.race([acknowledged, waited]) };
    this.gathering = batch;
    return batch;
  }

  /**
   * One pass of the loop: publishes every outbox entry older than `relayAfterMs` (in batches),
   * dropping, with a critical alert, an entry whose hold record is gone. Answers how many entries
   * left the outbox; throws when the publisher fails (they stay for the next pass).
   */
  async relayDue(): Promise<number> {
    let relayed = 0;
    for (;;) {
      const entries = await this.options.inventory.unrelayed({
        saleId: this.sale.id,
        enqueuedUpTo: this.options.clock.now() - this.relayAfterMs,
        limit: this.batchSize,
      });
      if (entries.length === 0) return relayed;
      relayed += await this.publish(entries);
      if (entries.length < this.batchSize) return relayed;
    }
  }

  /** How many holds wait in the outbox for the pipeline, up to `limit`, and how old the oldest is. */
  async backlog(limit = 10_000): Promise<{ holds: number; oldestAgeMs: number | null }> {
    const now = this.options.clock.now();
    const entries = await this.options.inventory.unrelayed({
      saleId: this.sale.id,
      enqueuedUpTo: now,
      limit,
    });
    const oldest = entries[0];
    return { holds: entries.length, oldestAgeMs: oldest ? now - oldest.enqueuedAt : null };
  }

  /** Waits until every hand-over in flight has settled (acknowledged, or left to the loop). */
  async flush(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  /** Starts the loop; safe in every instance (a duplicate publish is deduplicated downstream). */
  start(): void {
    this.task.start();
  }

  /** Stops the loop and waits for the hand-overs in flight. */
  async stop(): Promise<void> {
    await this.task.stop();
    await this.flush();
  }

  /**
   * Publishes the live entries' events, alerts the lost ones, then takes them all out of the
   * outbox. `acknowledged` is called once the events are acknowledged (or there were none), before
   * the removal.
   */
  private async publish(entries: UnrelayedHold[], acknowledged?: () => void): Promise<number> {
    const live = entries.filter(
      (entry): entry is UnrelayedHold & { hold: HoldRecord } => entry.hold !== null,
    );
    const lost = entries.filter((entry) => entry.hold === null).map((entry) => entry.reservationId);
    if (live.length > 0) {
      await this.options.publisher.publish(
        live.flatMap(({ hold, enqueuedAt }) => [
          // the same ids and times on every publish of an entry: a second one is a duplicate
          reservationRequested(hold, this.amountOf(hold), enqueuedAt),
          holdStockChanged(hold, 'HELD', enqueuedAt, reservationEventId(hold.reservationId, 'stock-held')),
        ]),
      );
    }
    acknowledged?.();
    if (lost.length > 0) {
      await this.alert(
        'critical',
        'OUTBOX_HOLD_MISSING',
        `${lost.length} acknowledged holds lost their record before the pipeline had them`,
        {
          reservationIds: lost,
        },
      );
    }
    await this.options.inventory.markRelayed({
      saleId: this.sale.id,
      reservationIds: entries.map((entry) => entry.reservationId),
    });
    return entries.length;
  }

  private async alert(
    severity: 'warning' | 'critical',
    code: string,
    message: string,
    detail: unknown,
  ): Promise<void> {
    const context =
      detail instanceof Error || typeof detail !== 'object' || detail === null
        ? { saleId: this.sale.id, error: describeError(detail) }
        : { saleId: this.sale.id, ...detail };
    await this.options.alerts.alert({ severity, code, message, context }).catch(() => undefined);
  }
}
