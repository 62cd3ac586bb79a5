/** The consume benchmarks' backlog: a topic filled with events, and a handler that counts them. */
import type { DomainEvent, EventHandler } from '@seatrush/core';
import type { Admin } from 'kafkajs';
import { type Compression, ensureTopics, type KafkaConnection, KafkaEventPublisher } from '../src';
import { event } from './events';

/** Partitions of every benchmark topic, on both sides of a ratio. */
export const BENCH_PARTITIONS = 6;

/** Creates a benchmark topic of {@link BENCH_PARTITIONS} partitions, its records kept forever. */
export async function createBenchTopic(admin: Admin, topic: string): Promise<void> {
  // Kept forever: the events' timestamps are of 2023, so the broker's time retention would delete
  // a round's records minutes after they were written, under a consumer still waiting for them.
  await ensureTopics(admin, [topic], { partitions: BENCH_PARTITIONS, retentionMs: -1 });
}

/** Publishes `records` benchmark events under `topicPrefix`, 500 a call, 20 calls at a time. */
export async function fillBacklog(input: {
  connection: KafkaConnection;
  topicPrefix: string;
  records: number;
  compression?: Compression;
}): Promise<void> {
  const { records } = input;
  const publisher = new KafkaEventPublisher({
    connection: input.connection,
    topicPrefix: input.topicPrefix,
    compression: input.compression ?? 'none',
    provision: false,
  });
  let next = 0;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next < records) {
        const from = next;
        next += 500;
        await publisher.publish(
          Array.from({ length: Math.min(500, records - from) }, (_, i) => event(from + i)),
        );
      }
    }),
  );
  await publisher.close();
}

/**
 * An empty handler that counts what it is given (`handleBatch`, and `handle` for a chunk of one)
 * and resolves `done` at `records`.
 */
export function countingHandler(records: number): {
  handler: EventHandler;
  seen: () => number;
  batches: () => number;
  done: Promise<void>;
} {
  let seen = 0;
  let batches = 0;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const count = (n: number) => {
    seen += n;
    if (seen >= records) finish();
  };
  const handler: EventHandler = {
    handle: async () => count(1),
    handleBatch: async (events: DomainEvent[]) => {
      batches += 1;
      count(events.length);
      return { failed: [] };
    },
  };
  return { handler, seen: () => seen, batches: () => batches, done };
}
