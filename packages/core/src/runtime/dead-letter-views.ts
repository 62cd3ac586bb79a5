import { randomUUID } from 'node:crypto';
import type { DomainEvent } from '../events/events';
import type { DeadLetterStore, DeadLetterView } from '../ports/dead-letter-store';
import type { DeadLetter } from '../ports/event-consumer';
import type { EventPublisher } from '../ports/event-publisher';

/** Dead letters kept in this process when the event bundle has no store of its own (the newest last). */
const MAX_DEAD_LETTERS = 500;

/**
 * What an operator sees of dead letters and how one is sent again: the event bundle's store when
 * it has one (Kafka's dead-letter topic: every worker's letters, surviving restarts), else the
 * letters this process's worker gave up on, republished through the publisher.
 */
export class DeadLetterViews implements DeadLetterStore {
  readonly #kept: Array<DeadLetterView & { event: DomainEvent | null; letter: DeadLetter }> = [];

  constructor(
    private readonly options: { store?: DeadLetterStore; publisher: EventPublisher; now: () => number },
  ) {}

  /** Records a letter of this process's worker. */
  keep(letter: DeadLetter): void {
    this.#kept.push({
      id: randomUUID(),
      eventType: letter.event?.type ?? null,
      saleId: letter.event?.saleId ?? null,
      error: letter.error,
      attempts: letter.attempts,
      source: letter.source,
      redrivable: letter.event !== null,
      at: this.options.now(),
      event: letter.event,
      letter,
    });
    while (this.#kept.length > MAX_DEAD_LETTERS) this.#kept.shift();
  }

  /** The letters this process's worker gave up on, as the consumer handed them over. */
  local(): DeadLetter[] {
    return this.#kept.map((kept) => kept.letter);
  }

  async list(): Promise<DeadLetterView[]> {
    if (this.options.store) return this.options.store.list();
    return this.#kept.map(({ event: _event, letter: _letter, ...view }) => view);
  }

  async redrive(id: string): Promise<boolean> {
    if (this.options.store) return this.options.store.redrive(id);
    const index = this.#kept.findIndex((kept) => kept.id === id);
    const kept = this.#kept[index];
    if (!kept?.event) return false;
    await this.options.publisher.publish([kept.event]);
    this.#kept.splice(index, 1);
    return true;
  }
}
