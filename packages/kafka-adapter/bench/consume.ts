/**
 * Consumer benchmark: how fast KafkaEventConsumer works off a backlog of reservations when each one
 * waits on I/O (a payment call, SETTLE_MS), handled one at a time per partition (`handle`) versus
 * handed over in chunks (`handleBatch`, settled 16 at a time after one simulated insert, as
 * ReservationProcessor.handleBatch does). The handler is synthetic so the figure is the
 * consumer's, not a database's. Prints figures; asserts nothing. Run: `pnpm --filter
 * @seatrush/kafka-adapter bench:consume` (reads KAFKA_BROKERS; about 30 s).
 */
import { performance } from 'node:perf_hooks';
import type { DomainEvent, EventHandler } from '@seatrush/core';
import { logLevel } from 'kafkajs';
import { KafkaEventConsumer, KafkaEventPublisher } from '../src';
import { event } from './events';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000);
const SETTLE_MS = Number(process.env.SETTLE_MS ?? 10);
const INSERT_MS = 3;
const PARTITIONS = 6;
const CONCURRENCY = 16;

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function run(label: string, batched: boolean): Promise<void> {
  const topicPrefix = `bench_${process.pid}_consume_${batched ? 'batch' : 'single'}`;
  const connection = { brokers, logLevel: logLevel.NOTHING };
  const publisher = new KafkaEventPublisher({
    connection,
    topicPrefix,
    provision: { partitions: PARTITIONS },
  });
  for (let n = 0; n < EVENTS; n += 500) {
    await publisher.publish(Array.from({ length: Math.min(500, EVENTS - n) }, (_, i) => event(n + i)));
  }
  await publisher.close();

  const settled = new Set<string>();
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const settle = async (e: DomainEvent) => {
    await wait(SETTLE_MS);
    settled.add(e.eventId);
    if (settled.size === EVENTS) finish();
  };
  const handler: EventHandler = { handle: (e) => wait(INSERT_MS).then(() => settle(e)) };
  if (batched) {
    handler.handleBatch = async (events) => {
      await wait(INSERT_MS); // one insert for the chunk
      let next = 0;
      const worker = async () => {
        while (next < events.length) await settle(events[next++]!);
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, events.length) }, worker));
      return { failed: [] };
    };
  }
  const consumer = new KafkaEventConsumer({
    connection,
    topicPrefix,
    groupId: `${topicPrefix}.workers`,
    provision: { partitions: PARTITIONS },
  });
  const started = performance.now();
  await consumer.start({ types: ['ReservationRequested'], handler });
  await done;
  const seconds = (performance.now() - started) / 1_000;
  await consumer.stop();
  console.log(
    `${label.padEnd(34)} ${EVENTS} reservations in ${seconds.toFixed(2)} s = ${Math.round(EVENTS / seconds)}/s`,
  );
}

async function main(): Promise<void> {
  console.log(
    `backlog of ${EVENTS} on ${PARTITIONS} partitions, 3 consumed at once, each settle waits ${SETTLE_MS} ms (+${INSERT_MS} ms insert)`,
  );
  await run('one at a time (handle)', false);
  await run('in chunks of 50 (handleBatch)', true);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
