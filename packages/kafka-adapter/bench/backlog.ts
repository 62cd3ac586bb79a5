/** The consume benchmarks' backlog: a topic filled with events, and a handler that counts them. */
import type { DomainEvent, EventHandler } from '@seatrush/core';
import { type Compression, type KafkaConnection, KafkaEventPublisher } from '../src';
import { event } from './events';

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
