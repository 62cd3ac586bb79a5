import { randomUUID } from 'node:crypto';
import { InfrastructureError } from '@seatrush/core';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { MessageOrigin } from './dead-letter';
import { retriable } from './retriable';

/** Where a bounded read starts: the oldest message (default), a time, or offsets per partition. */
export interface ReadFrom {
  /** Start at the first message written at or after this time (ms since the epoch). */
  timestamp?: number;
  /** Start at these offsets (partition → offset); partitions not listed start at the oldest. */
  offsets?: Record<number, string>;
}

/**
 * Reads a topic from a starting point up to its end AS OF THE CALL (messages written later are
 * left for the next read), calling `onMessage` in order within each partition. It uses a
 * throwaway consumer group that commits nothing and is deleted afterwards.
 * @returns how many messages were read.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  from: ReadFrom,
  onMessage: (message: KafkaMessage, position: MessageOrigin) => Promise<void>,
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `seatrush-reader-${randomUUID()}`;
  try {
    const ends = await retriable(() => admin.fetchTopicOffsets(topic));
    const starts = new Map<number, bigint>(ends.map((e) => [e.partition, BigInt(e.low)]));
    if (from.timestamp !== undefined) {
      for (const p of await retriable(() => admin.fetchTopicOffsetsByTimestamp(topic, from.timestamp))) {
        starts.set(p.partition, BigInt(p.offset));
      }
    }
    for (const [partition, offset] of Object.entries(from.offsets ?? {}))
      starts.set(Number(partition), BigInt(offset));
    // Partitions that still have something between the start and the end seen now.
    const remaining = new Map<number, bigint>();
    for (const e of ends) {
      const start = starts.get(e.partition) ?? 0n;
      if (start < BigInt(e.high)) remaining.set(e.partition, BigInt(e.high));
    }
    if (remaining.size === 0) return 0;
    return await consumeUntil(kafka, groupId, topic, starts, remaining, onMessage);
  } catch (cause) {
    if (cause instanceof InfrastructureError) throw cause;
    throw new InfrastructureError(`could not read Kafka topic ${topic}: ${String(cause)}`, { cause });
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

async function consumeUntil(
  kafka: Kafka,
  groupId: string,
  topic: string,
  starts: Map<number, bigint>,
  remaining: Map<number, bigint>,
  onMessage: (message: KafkaMessage, position: MessageOrigin) => Promise<void>,
): Promise<number> {
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 100 });
  let read = 0;
  let finish: (error?: unknown) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    finish = (error) => (error === undefined ? resolve() : reject(error));
  });
  // Where each partition's next message to deliver is. A crash (a broker killed while the group
  // joins) restarts the consumer as a NEW kafkajs group, which forgets earlier seeks: so the seeks
  // are made on every join, from what has been delivered so far, and older messages are skipped.
  const next = new Map(starts);
  const idle = [...starts.keys()].filter((partition) => !remaining.has(partition));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) finish(event.payload.error);
    });
    // GROUP_JOIN is emitted synchronously after the assignment and before the first fetch.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const partition of remaining.keys()) {
        consumer.seek({ topic, partition, offset: String(next.get(partition) ?? 0n) });
      }
      if (idle.length > 0) consumer.pause([{ topic, partitions: idle }]);
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, isRunning }) => {
        const end = remaining.get(batch.partition);
        if (end === undefined) return;
        for (const message of batch.messages) {
          if (!isRunning()) return;
          const offset = BigInt(message.offset);
          if (offset < (next.get(batch.partition) ?? 0n)) continue;
          if (offset >= end) break;
          await onMessage(message, { topic, partition: batch.partition, offset: message.offset });
          read += 1;
          next.set(batch.partition, offset + 1n);
          if (offset + 1n >= end) {
            remaining.delete(batch.partition);
            if (remaining.size === 0) finish();
            return;
          }
        }
      },
    });
    await done;
    return read;
  } catch (error) {
    finish(error);
    throw error;
  } finally {
    await consumer.disconnect();
  }
}
