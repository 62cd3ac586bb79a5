import type { EventConsumer } from '@seatrush/core';
import { type PgProjector, type PgReadModel, PROJECTED_EVENT_TYPES } from '@seatrush/pg-adapter';
import type { Logger } from 'pino';

/** The consumer group the projector reads on: its own, so it never takes events from the worker. */
export const PROJECTOR_GROUP = 'seatrush-projector';

/**
 * How stale the read side may be before a seat map is served from the hot store instead: the
 * documented bound (docs/performance.md, "Read side"). Beyond it the app answers from Redis and
 * counts a fallback, so no buyer ever sees a map older than this plus the 250 ms cache.
 */
export const MAX_STALENESS_MS = 5_000;

/**
 * The reads served from the read side: buyers' seat maps (GET and stream), and the operator stats'
 * stock figures (the sampler's tick and the dashboard's reads).
 */
export type ReadSideRead = 'seat-map' | 'stats';

/** How often the projector's consumer lag is measured. */
const LAG_POLL_MS = 500;
/** How long to wait before starting the projector again when Kafka refused. */
const RESTART_MS = 2_000;
/** Backlog marks kept at most (a projector that never catches up stops adding them). */
const MAX_TARGETS = 1_000;

/**
 * The read side as the app runs it on the real servers (issue 21): the pg-adapter's projector on
 * a consumer group of its own, started with the app and stopped before its clients close, and
 * the read model the seat map, the operator stats and the seat audit read (through the replica
 * pool). Staleness is measured, not guessed: every {@link LAG_POLL_MS} the consumer's lag is read;
 * the views are as fresh as the start of the latest poll whose backlog the projector has handled
 * since (a poll that found lag 0, or one that found L events when L more have been handled): every
 * event published before that moment is applied.
 */
export class ReadSide {
  readonly model: PgReadModel;
  readonly #projector: PgProjector;
  readonly #consumer: EventConsumer;
  readonly #log: Logger;
  readonly #now: () => number;
  #lag = -1;
  /** When the latest poll whose backlog has been applied began; null before the first. */
  #caughtUpAt: number | null = null;
  /**
   * Polls that found a backlog: once the projector has handled `handled` events, everything
   * published before `at` is applied (the committed lag counts no more than what was unhandled,
   * so this is conservative; with several instances sharing the group, very much so).
   */
  readonly #targets: Array<{ at: number; handled: number }> = [];
  readonly #fallbacks: Record<ReadSideRead, number> = { 'seat-map': 0, stats: 0 };
  #timer: NodeJS.Timeout | null = null;
  #restart: NodeJS.Timeout | null = null;
  #started = false;
  #stopped = false;
  #polling: Promise<void> | null = null;

  constructor(deps: {
    model: PgReadModel;
    projector: PgProjector;
    /** A consumer on {@link PROJECTOR_GROUP}. */
    consumer: EventConsumer;
    log: Logger;
    now?: () => number;
  }) {
    this.model = deps.model;
    this.#projector = deps.projector;
    this.#consumer = deps.consumer;
    this.#log = deps.log;
    this.#now = deps.now ?? Date.now;
  }

  /**
   * Starts the projector in the background (start-up never waits for Kafka; a refused start is
   * tried again every 2 s) and the lag polls.
   */
  start(): void {
    if (this.#timer || this.#stopped) return;
    void this.#startConsumer();
    this.#timer = setInterval(() => {
      this.#polling ??= this.#poll().finally(() => {
        this.#polling = null;
      });
    }, LAG_POLL_MS);
    this.#timer.unref();
  }

  async #startConsumer(): Promise<void> {
    try {
      await this.#consumer.start({ types: [...PROJECTED_EVENT_TYPES], handler: this.#projector });
      this.#started = true;
      if (this.#stopped) await this.#consumer.stop();
    } catch (error) {
      if (this.#stopped) return;
      this.#log.warn({ err: error }, 'read-side projector did not start: trying again');
      this.#restart = setTimeout(() => void this.#startConsumer(), RESTART_MS);
      this.#restart.unref();
    }
  }

  async #poll(): Promise<void> {
    if (!this.#started) return;
    const began = this.#now();
    const handled = this.#handled();
    try {
      this.#lag = await this.#consumer.lag();
      if (this.#lag === 0) {
        this.#caughtUpAt = began;
        this.#targets.length = 0;
      } else if (this.#targets.length < MAX_TARGETS) {
        this.#targets.push({ at: began, handled: handled + this.#lag });
      }
    } catch {
      this.#lag = -1;
    }
  }

  /** Events this process's projector has handled (applied or found applied). */
  #handled(): number {
    const { applied, duplicates } = this.#projector.progress();
    return applied + duplicates;
  }

  /** Moves `caughtUpAt` to the latest poll whose backlog the projector has handled since. */
  #advance(): void {
    const handled = this.#handled();
    while (this.#targets.length > 0 && this.#targets[0]!.handled <= handled) {
      this.#caughtUpAt = Math.max(this.#caughtUpAt ?? 0, this.#targets.shift()!.at);
    }
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
   * latest poll whose backlog has been applied. Infinity before the projector first caught up.
   */
  stalenessMs(): number {
    this.#advance();
    return this.#caughtUpAt === null ? Number.POSITIVE_INFINITY : Math.max(0, this.#now() - this.#caughtUpAt);
  }

  /** Whether reads may be served from the views now (staleness within {@link MAX_STALENESS_MS}). */
  fresh(): boolean {
    return this.stalenessMs() <= MAX_STALENESS_MS;
  }

  /** Counts a read of `read` served from the hot store because the views were too stale. */
  countFallback(read: ReadSideRead = 'seat-map'): void {
    this.#fallbacks[read] += 1;
  }

  /**
   * Reads served from the hot store because the views were too stale, since start: of one kind,
   * or of both when `read` is absent.
   */
  fallbacks(read?: ReadSideRead): number {
    return read === undefined ? this.#fallbacks['seat-map'] + this.#fallbacks.stats : this.#fallbacks[read];
  }

  /** Events the projector applied (first time) and skipped as already applied, since start. */
  progress(): { applied: number; duplicates: number } {
    const { applied, duplicates } = this.#projector.progress();
    return { applied, duplicates };
  }
}
