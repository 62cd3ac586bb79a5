import type { DeadLetterStore, DeadLetterView } from '@seatrush/core';
import type { KafkaConnection } from './connection';
import type { DeadLetterRecord } from './dead-letter';
import { readDeadLetters, redriveDeadLetters } from './replay';

/**
 * The dead-letter topic of one topic prefix as an operator sees it: what every worker gave up on,
 * surviving restarts. A letter's id is its place in the topic (`partition-offset`): stable, and
 * safe in a URL. Redriving publishes it again, unchanged, to the topic it came from.
 */
export function kafkaDeadLetterStore(connection: KafkaConnection, topicPrefix: string): DeadLetterStore {
  const idOf = (letter: DeadLetterRecord) => `${letter.position.partition}-${letter.position.offset}`;
  return {
    async list() {
      const letters = await readDeadLetters({ connection, topicPrefix });
      return letters.map(
        (letter): DeadLetterView => ({
          id: idOf(letter),
          eventType: letter.event?.type ?? null,
          saleId: letter.event?.saleId ?? null,
          error: letter.error,
          attempts: letter.attempts,
          source: letter.source,
          redrivable: true,
          at: letter.deadLetteredAt,
        }),
      );
    },
    async redrive(id) {
      const { redriven } = await redriveDeadLetters({
        connection,
        topicPrefix,
        filter: (letter) => idOf(letter) === id,
      });
      return redriven > 0;
    },
  };
}
