import {
  ConfigurationError,
  type EventConsumer,
  type EventHandler,
  InfrastructureError,
} from '@seatrush/core';
import type { PgProjector, ProjectorProgress } from './pg-projector';
import type { PgReadModel } from './pg-read-model';
import { PROJECTED_EVENT_TYPES } from './projection';
import { ProjectionStaleness } from './staleness';

/** The consumer group the projector reads on: its own, so it never takes events from a worker. */
export const PROJECTOR_GROUP = 'seatrush-projector';

/**
 * How stale the views may be before a read is answered from the hot store instead (ms): the
 * default of {@link ReadSideOptions.maxStalenessMs}.
 */
export const DEFAULT_MAX_STALENESS_MS = 5_000;

/**
 * The reads both the views and the hot store can answer, counted apart: a buyer's seat map, and
 * the operator's stock figures.
 */
export type ViewRead = 'seat-map' | 'stats';

/**
 * Why a read was answered from the hot store: the views were past the staleness bound, or
 * PostgreSQL failed (an `InfrastructureError`).
 */
export type FallbackReason = 'stale' | 'unavailable';

/** What {@link ReadSide.serve} answered, and from where. */
export interface ServedRead<T> {
  value: T;
  source: 'read-side' | 'hot-store';
  /** The views' staleness bound when the read was decided (ms; Infinity before the first catch-up). */
  stalenessMs: number;
  /** Why the hot store answered; null when the views did. */
  fallback: FallbackReason | null;
}

/** The parts and settings of a {@link ReadSide}. */
export interface ReadSideOptions {
  /** The views the reads are served from (through the replica pool). */
  model: PgReadModel;
  /** The projector that builds them ({@link PgProjector}: anything that handles events and counts them). */
  projector: EventHandler & { progress(): Pick<ProjectorProgress, 'applied' | 'duplicates'> };
  /**
   * A consumer on {@link PROJECTOR_GROUP} (e.g. `ports.consumer(PROJECTOR_GROUP)`). Its `lag()`
   * must count only the projected events, as Kafka's does for the topics it subscribes to. The
   * projector applies a batch in one transaction, so batches larger than kafka-adapter's default
   * of 50 catch up faster (500: 1.5 to 2.2 times the events/s, docs/performance.md).
   */
  consumer: EventConsumer;
  /** The staleness bound (ms), 5,000 by default: past it, reads go to the hot store, counted. */
  maxStalenessMs?: number;
  /** How often the consumer lag is read (ms), 500 by default. */
  lagPollMs?: number;
  /** How long to wait before starting the projector again when its consumer refused (ms), 2,000 by default. */
  restartMs?: number;
  /** Told when the projector's consumer did not start, or the views failed and a read fell back. */
  onWarning?: (message: string, error: unknown) => void;
  /** The clock (ms), `Date.now` by default. */
  now?: () => number;
}

/**
 * The read side as a host runs it (CQRS, issue 21): the projector on a consumer group of its own,
 * started in the background and stopped before the host's clients close, and the rule that
 * decides where a read is answered from. A read is served from the views while their staleness
 * is within the bound, and from the hot store (counted, by read and reason) when they are past it
 * or PostgreSQL fails. Decisions (holds, SEAT_TAKEN) are never the read side's.
 *
 * Staleness is measured, not guessed ({@link ProjectionStaleness}): every `lagPollMs` the
 * consumer's lag is read; the views are as fresh as the start of the latest poll whose backlog the
 * projector has handled since. A reader therefore sees the views at most `maxStalenessMs` (plus a
 * replica's replication lag) behind the events, or the hot store.
 */
export class ReadSide {
  /** The views, for reads with no hot-store counterpart (buyer history, seat audit). */
  readonly model: PgReadModel;
  /** The staleness bound in ms. */
  readonly maxStalenessMs: number;
  readonly #projector: ReadSideOptions['projector'];
  readonly #consumer: EventConsumer;
  readonly #staleness = new ProjectionStaleness();
  readonly #lagPollMs: number;
  readonly #restartMs: number;
  readonly #warn: (message: string, error: unknown) => void;
  readonly #now: () => number;
  readonly #fallbacks: Record<ViewRead, Record<FallbackReason, number>> = {
    'seat-map': { stale: 0, unavailable: 0 },
    stats: { stale: 0, unavailable: 0 },
  };
  #lag = -1;
  #timer: NodeJS.Timeout | null = null;
  #restart: NodeJS.Timeout | null = null;
  #started = false;
  #stopped = false;
  #polling: Promise<void> | null = null;

  /** @throws ConfigurationError when a duration is not a positive finite number. */
  constructor(options: ReadSideOptions) {
    this.model = options.model;
    this.#projector = options.projector;
    this.#consumer = options.consumer;
    this.maxStalenessMs = positive('maxStalenessMs', options.maxStalenessMs ?? DEFAULT_MAX_STALENESS_MS);
    this.#lagPollMs = positive('lagPollMs', options.lagPollMs ?? 500);
    this.#restartMs = positive('restartMs', options.restartMs ?? 2_000);
    this.#warn = options.onWarning ?? (() => undefined);
    this.#now = options.now ?? Date.now;
  }

  /**
   * Starts the projector in the background (never waits for Kafka: a refused start is tried again
   * every `restartMs`) and the lag polls. Calling it again, or after {@link stop}, does nothing.
   */
  start(): void {
    if (this.#timer || this.#stopped) return;
    void this.#startConsumer();
    this.#timer = setInterval(() => {
      this.#polling ??= this.poll().finally(() => {
        this.#polling = null;
      });
    }, this.#lagPollMs);
    this.#timer.unref();
  }

  async #startConsumer(): Promise<void> {
    try {
      await this.#consumer.start({ types: [...PROJECTED_EVENT_TYPES], handler: this.#projector });
      this.#started = true;
      if (this.#stopped) {
        this.#started = false;
        await this.#consumer.stop();
      }
    } catch (error) {
      if (this.#stopped) return;
      this.#warn('read-side projector did not start: trying again', error);
      this.#restart = setTimeout(() => void this.#startConsumer(), this.#restartMs);
      this.#restart.unref();
    }
  }

  /**
   * Reads the consumer's lag once and records it (what the timer does every `lagPollMs`; a host or
   * a test may call it to measure at once). Does nothing before the projector started; a failed
   * read leaves the lag unknown (-1) and the staleness growing.
   */
  async poll(): Promise<void> {
    if (!this.#started) return;
    const began = this.#now();
    try {
      this.#lag = await this.#consumer.lag();
      // counted once the lag is read, not before: events handled while lag() ran (Kafka's waits
      // for the batches in flight) are missing from the lag, so counting them in the mark too
      // would settle it that many events early; counting later is only conservative
      this.#staleness.recordPoll(began, this.#handled(), this.#lag);
    } catch {
      this.#lag = -1;
    }
  }

  /** Events this process's projector has handled (applied, or found applied before). */
  #handled(): number {
    const { applied, duplicates } = this.#projector.progress();
    return applied + duplicates;
  }

  /** Stops the lag polls and the projector (its batch in hand finishes and commits first). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#restart) clearTimeout(this.#restart);
    this.#timer = null;
    await this.#polling;
    if (this.#started) await this.#consumer.stop();
    this.#started = false;
  }

  /** The projector's consumer lag in events at the last poll; -1 when unknown (not started, Kafka down). */
  lag(): number {
    return this.#lag;
  }

  /**
   * How far behind the event topics the views may be, in ms: the time since the start of the
   * latest poll whose backlog has been handled. Infinity before the projector first caught up.
   */
  stalenessMs(): number {
    return this.#staleness.stalenessMs(this.#now(), this.#handled());
  }

  /** Whether reads may be served from the views now (staleness within `maxStalenessMs`). */
  fresh(): boolean {
    return this.stalenessMs() <= this.maxStalenessMs;
  }

  /**
   * Answers a read from the views while they are fresh, else from the hot store, counting the
   * fallback: the whole rule, for a host that has both answers at hand.
   * @param read which read it is (counted apart)
   * @param fromViews reads the views; an `InfrastructureError` (PostgreSQL failed) falls back too
   * @param fromHotStore reads the hot store
   * @throws whatever `fromHotStore` throws, and `fromViews`' errors other than InfrastructureError
   *   (a ValidationError: the hot store would refuse the same input)
   */
  async serve<T>(
    read: ViewRead,
    fromViews: (model: PgReadModel) => Promise<T>,
    fromHotStore: () => Promise<T>,
  ): Promise<ServedRead<T>> {
    const stalenessMs = this.stalenessMs();
    let fallback: FallbackReason = 'stale';
    if (stalenessMs <= this.maxStalenessMs) {
      try {
        return { value: await fromViews(this.model), source: 'read-side', stalenessMs, fallback: null };
      } catch (error) {
        if (!(error instanceof InfrastructureError)) throw error;
        this.#warn(`read-side ${read} failed: answered from the hot store`, error);
        fallback = 'unavailable';
      }
    }
    this.countFallback(read, fallback);
    return { value: await fromHotStore(), source: 'hot-store', stalenessMs, fallback };
  }

  /**
   * Counts a read answered from the hot store, for a host that applies the rule itself
   * ({@link fresh}, then the views or the hot store).
   */
  countFallback(read: ViewRead = 'seat-map', reason: FallbackReason = 'stale'): void {
    this.#fallbacks[read][reason] += 1;
  }

  /**
   * Reads answered from the hot store since start: of one read or both, for one reason or both.
   */
  fallbacks(read?: ViewRead, reason?: FallbackReason): number {
    const reads: ViewRead[] = read === undefined ? ['seat-map', 'stats'] : [read];
    const reasons: FallbackReason[] = reason === undefined ? ['stale', 'unavailable'] : [reason];
    let total = 0;
    for (const r of reads) for (const why of reasons) total += this.#fallbacks[r][why];
    return total;
  }

  /** Events the projector applied (first time) and skipped as applied before, since start. */
  progress(): { applied: number; duplicates: number } {
    const { applied, duplicates } = this.#projector.progress();
    return { applied, duplicates };
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new ConfigurationError(`ReadSide: ${name} must be a positive number of ms`);
  return value;
}
