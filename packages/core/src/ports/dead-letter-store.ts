/** A dead-lettered event as an operator sees it. */
export interface DeadLetterView {
  /** Stable while the letter is kept, and safe in a URL. */
  id: string;
  eventType: string | null;
  saleId: string | null;
  error: { code: string; message: string };
  attempts: number;
  /** Where the event was consumed from (a topic, a queue). */
  source: string;
  /** Whether it holds a parsed event that can be published again. */
  redrivable: boolean;
  at: number;
}

/**
 * Where dead letters outlive the process that made them (Kafka's dead-letter topic): every
 * worker's letters, listed and sent again by an operator.
 */
export interface DeadLetterStore {
  list(): Promise<DeadLetterView[]>;
  /** Publishes the letter again to where it came from; false when there is no such letter. */
  redrive(id: string): Promise<boolean>;
}
