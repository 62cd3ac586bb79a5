import type { DomainEvent, DomainEventType } from '../events/events';

/** Why a message ended in the dead-letter topic. */
export interface DeadLetter {
  /** The event, when it could be parsed; null for a poison message. */
  event: DomainEvent | null;
  /** The raw message body, as received. */
  raw: string;
  error: { code: string; message: string };
  attempts: number;
  /** Where it came from (topic/partition/offset for Kafka). */
  source: string;
}

/** What {@link EventHandler.handleBatch} could not finish: the consumer retries those one by one. */
export interface BatchOutcome {
  failed: Array<{ event: DomainEvent; error: unknown }>;
}

export interface EventHandler {
  /**
   * Handles one event. Throwing means "try again": the consumer retries with backoff, then
   * dead-letters it. Must be idempotent: a crash replays events already handled.
   */
  handle(event: DomainEvent, context: { attempt: number }): Promise<void>;
  /**
   * Optional: handles several events of one partition at once (the reservation processor writes
   * them in ONE insert and settles them concurrently: docs/design.md §Database write path). The
   * events it reports as `failed` are retried one by one through {@link handle}; throwing retries
   * them all that way. Same idempotency as `handle`. Consumers that deliver one at a time never
   * call it.
   */
  handleBatch?(events: DomainEvent[]): Promise<BatchOutcome>;
  /** Called once an event is dead-lettered (after the last retry or at once for poison). */
  onDeadLetter?(letter: DeadLetter): Promise<void>;
}

export interface RetryPolicy {
  /** Tries in all, the first included. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * Delivers events at least once to a handler, in order per key, acknowledging (committing) each
 * only after the handler's work is durable.
 */
export interface EventConsumer {
  start(input: { types: DomainEventType[]; handler: EventHandler; retry?: RetryPolicy }): Promise<void>;
  stop(): Promise<void>;
  /** Events published but not yet handled (Kafka: consumer lag summed over partitions). */
  lag(): Promise<number>;
}
