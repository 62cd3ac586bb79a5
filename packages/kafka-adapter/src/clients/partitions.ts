import { murmur2 } from '@platformatic/kafka';
import type { Outgoing } from './types';

/**
 * Java's default partitioner (murmur2 of the key, made positive, modulo the partition count) —
 * the choice kafkajs's default partitioner makes too, so a key stays on its partition whichever
 * client wrote it. @platformatic/kafka's own default (`murmur2 >>> 0`) differs for half the keys.
 */
export function javaPartition(key: string | Buffer, partitions: number): number {
  return (murmur2(typeof key === 'string' ? Buffer.from(key) : key) & 0x7fffffff) % partitions;
}

/** How long partition counts are trusted, as the clients' own `metadataMaxAge`. */
const METADATA_MAX_AGE_MS = 300_000;

/** Each topic's partition count, as the cluster's metadata gives it (a topic missing is left out). */
export type FetchPartitionCounts = (topics: string[]) => Promise<Map<string, number>>;

/**
 * The partition Java's default partitioner chooses for a message, from each topic's partition
 * count, fetched through the client's metadata and trusted for `METADATA_MAX_AGE_MS`.
 */
export class PartitionCounts {
  private readonly counts = new Map<string, { count: number; fetchedAt: number }>();
  private roundRobin = 0;

  constructor(private readonly fetch: FetchPartitionCounts) {}

  /** Fetches the counts of the topics of messages without a partition whose count is missing or old. */
  async refresh(outgoing: Outgoing[]): Promise<void> {
    const now = Date.now();
    const stale = new Set<string>();
    for (const { topic, message } of outgoing) {
      if (
        message.partition === undefined &&
        now - (this.counts.get(topic)?.fetchedAt ?? Number.NEGATIVE_INFINITY) > METADATA_MAX_AGE_MS
      )
        stale.add(topic);
    }
    if (stale.size === 0) return;
    const counts = await this.fetch([...stale]);
    for (const topic of stale) {
      const count = counts.get(topic);
      if (count) this.counts.set(topic, { count, fetchedAt: now });
    }
  }

  /** Java's partition for the message's key, round robin without one (after `refresh`). */
  partitionOf({ topic, message }: Outgoing): number {
    const count = this.counts.get(topic)?.count ?? 1;
    return message.key === null ? this.roundRobin++ % count : javaPartition(message.key, count);
  }

  /** The messages, each with its partition: the one it has, or `partitionOf`'s. */
  async assign(outgoing: Outgoing[]): Promise<Outgoing[]> {
    await this.refresh(outgoing);
    return outgoing.map((o) =>
      o.message.partition !== undefined
        ? o
        : { topic: o.topic, message: { ...o.message, partition: this.partitionOf(o) } },
    );
  }
}
