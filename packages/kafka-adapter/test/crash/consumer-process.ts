/**
 * A worker process for the crash test: consumes `ReservationRequested` events into an idempotent
 * sink — one file per event id, created exclusively, so a replayed event changes nothing — and
 * appends every delivery to a log (`<worker> <event id>`), duplicates included. The test SIGKILLs it mid-run. It says
 * 'loaded' once its code is loaded, starts consuming on the parent's message, then says 'started'.
 *
 * argv: brokers (comma-separated), topic prefix, group id, sink folder, client, worker name.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaEventConsumer } from '../../src';

/** Resolves when the parent says 'start': a standby is loaded before the kill, as a supervisor's warm spare. */
function startSignal(): Promise<void> {
  return new Promise((resolve) => process.once('message', () => resolve()));
}

async function main(): Promise<void> {
  const start = startSignal();
  process.send?.('loaded');
  await start;
  const [brokers = '', topicPrefix = '', groupId = '', sink = '', client = '', name = ''] =
    process.argv.slice(2);
  const consumer = new KafkaEventConsumer({
    connection: { brokers: brokers.split(','), clientId: 'crash-worker' },
    client: client === 'kafkajs' || client === 'confluent' ? client : 'platformatic',
    topicPrefix,
    groupId,
    provision: false,
    commitEvery: 500,
    // Commits every 500 handled, however fast: the test bounds the redelivered tail by
    // `commitEvery` alone. With the default 200 ms between commits, a quiet machine's worker
    // handled more than 500 a partition in 200 ms, and 2,853-3,541 came again (kafkajs, 3 of 3).
    commitIntervalMs: 0,
    // the replacement takes the killed member's slot (static membership, emulated on kafkajs)
    groupInstanceId: 'crash-worker-0',
  });
  await consumer.start({
    types: ['ReservationRequested'],
    handler: {
      async handle(event) {
        appendFileSync(`${sink}.deliveries`, `${name} ${event.eventId}\n`);
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
