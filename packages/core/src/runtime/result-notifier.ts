import { randomUUID } from 'node:crypto';
import type { EventOf } from '../events/events';
import type { EventConsumer } from '../ports/event-consumer';

/** A reservation's final result, as the worker published it. */
export type ReservationResult = EventOf<'ReservationConfirmed'> | EventOf<'ReservationFailed'>;

/**
 * The consumer groups of result listeners start with this: an event bundle starts them at the
 * newest events (a listener hears results from now on), where the worker's group starts at the
 * oldest (it must process everything ever published).
 */
export const RESULT_LISTENER_GROUP_PREFIX = 'seatrush-results-';

/**
 * Hands every reservation result to this process's listeners (to push to the buyers it serves,
 * over SSE): a consumer group of its own per process, so every instance hears every result, not
 * only those its own worker produced. It starts with the first listener (a process without one,
 * a worker, costs the event stream nothing) and reads only what is published from then on.
 */
export class ResultNotifier {
  readonly #listeners = new Set<(result: ReservationResult) => void>();
  #consumer: EventConsumer | null = null;
  #started: Promise<void> | null = null;

  constructor(
    private readonly options: {
      consumer: (group: string) => EventConsumer;
      /** Whether consumers may start now (the runtime has started and not closed). */
      running: () => boolean;
      onError: (error: unknown) => void;
    },
  ) {}

  /** Calls `listener` with every result from now on; answers the unsubscribe function. */
  subscribe(listener: (result: ReservationResult) => void): () => void {
    this.#listeners.add(listener);
    this.ensureStarted();
    return () => this.#listeners.delete(listener);
  }

  /** Starts the consumer when a listener waits and the runtime runs (in the background: a group join takes time). */
  ensureStarted(): void {
    if (this.#started || this.#listeners.size === 0 || !this.options.running()) return;
    const consumer = this.options.consumer(`${RESULT_LISTENER_GROUP_PREFIX}${randomUUID().slice(0, 8)}`);
    this.#consumer = consumer;
    this.#started = consumer
      .start({
        types: ['ReservationConfirmed', 'ReservationFailed'],
        handler: {
          handle: async (event) => {
            if (event.type !== 'ReservationConfirmed' && event.type !== 'ReservationFailed') return;
            for (const listener of this.#listeners) listener(event);
          },
        },
      })
      .catch((error: unknown) => this.options.onError(error));
  }

  async stop(): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = null;
    this.#started = null;
    await consumer?.stop();
  }
}
