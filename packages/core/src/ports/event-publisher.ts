import type { DomainEvent } from '../events/events';

/**
 * Publishes domain events durably (Kafka: acks=all). Resolves only once every event is
 * acknowledged; rejects with `PublishError` otherwise, so the caller can compensate.
 */
export interface EventPublisher {
  publish(events: DomainEvent[]): Promise<void>;
  /** Sends what is buffered and stops; later publishes are refused. */
  close(): Promise<void>;
}
