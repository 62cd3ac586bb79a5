/**
 * A worker process for the crash test: consumes `ReservationRequested` events into an idempotent
 * sink — one file per event id, created exclusively, so a replayed event changes nothing — and
 * appends every delivery to a log, duplicates included. The test SIGKILLs it mid-run.
 *
 * argv: brokers (comma-separated), topic prefix, group id, sink folder.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaEventConsumer } from '../../src';

async function main(): Promise<void> {
  const [brokers = '', topicPrefix = '', groupId = '', sink = ''] = process.argv.slice(2);
  const consumer = new KafkaEventConsumer({
    connection: { brokers: brokers.split(','), clientId: 'crash-worker' },
    topicPrefix,
    groupId,
    provision: false,
    commitEvery: 500,
    // the killed member's partitions move on once its session lapses: keep that short
    sessionTimeoutMs: 10_000,
  });
  await consumer.start({
    types: ['ReservationRequested'],
    handler: {
      async handle(event) {
        appendFileSync(`${sink}.deliveries`, `${event.eventId}\n`);
        try {
          writeFileSync(join(sink, event.eventId), event.key, { flag: 'wx' });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
      },
    },
  });
  process.on('SIGTERM', () => {
    consumer.stop().then(() => process.exit(0));
  });
  process.send?.('started');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
