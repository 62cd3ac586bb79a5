import { InfrastructureError } from '@seatrush/core';
import { validate, z } from '@seatrush/core/ports';
import type { Admin, ITopicConfig } from 'kafkajs';
import { createKafka, type KafkaConnection } from './connection';
import { retriable } from './retriable';
import { DEFAULT_TOPIC_PREFIX, TopicNames, TopicPrefix } from './topics';

/** How SeatRush's topics are created. */
export interface TopicSettings {
  /** Partitions per topic: the consumer group's parallelism. Default: the broker's `num.partitions`. */
  partitions?: number;
  /** Copies of each partition. Default: the broker's `default.replication.factor`. */
  replicationFactor?: number;
  /**
   * Copies that must have a message before acks=all answers; with replication factor 3, 2 keeps
   * every acknowledged message through the loss of one broker. Default: the broker's setting.
   */
  minInsyncReplicas?: number;
  /** How long messages are kept, in ms. Default: the broker's setting. */
  retentionMs?: number;
}

/** The validated shape of {@link TopicSettings}. */
export const TopicSettingsSchema = z
  .object({
    partitions: z.number().int().min(1).max(10_000).optional(),
    replicationFactor: z.number().int().min(1).max(32).optional(),
    minInsyncReplicas: z.number().int().min(1).max(32).optional(),
    retentionMs: z.number().int().min(-1).optional(),
  })
  .refine(
    (s) =>
      s.minInsyncReplicas === undefined ||
      s.replicationFactor === undefined ||
      s.minInsyncReplicas <= s.replicationFactor,
    { message: 'minInsyncReplicas cannot exceed replicationFactor', path: ['minInsyncReplicas'] },
  );

/** What {@link provisionTopics} found and did. */
export interface ProvisionResult {
  created: string[];
  existing: string[];
}

const ProvisionInput = z.object({
  topicPrefix: TopicPrefix.optional(),
  settings: TopicSettingsSchema.optional(),
});

/**
 * Creates the topics SeatRush uses (one per event type, and the dead-letter topic) with the
 * given partitions, replication factor and `min.insync.replicas`. Idempotent: topics that exist
 * are left as they are (changing a live topic's partition count would move keys between
 * partitions and break ordering, so that stays an operator's decision).
 * @throws ValidationError for bad settings; InfrastructureError when the brokers refuse.
 */
export async function provisionTopics(input: {
  connection: KafkaConnection;
  topicPrefix?: string;
  settings?: TopicSettings;
}): Promise<ProvisionResult> {
  const { topicPrefix, settings } = validate('topic provisioning', ProvisionInput, {
    topicPrefix: input.topicPrefix,
    settings: input.settings,
  });
  const admin = createKafka(input.connection).admin();
  await admin.connect();
  try {
    return await ensureTopics(
      admin,
      new TopicNames(topicPrefix ?? DEFAULT_TOPIC_PREFIX).all(),
      settings ?? {},
    );
  } finally {
    await admin.disconnect();
  }
}

/** Creates the missing ones among `topics` on a connected admin client. */
export async function ensureTopics(
  admin: Admin,
  topics: string[],
  settings: TopicSettings,
): Promise<ProvisionResult> {
  try {
    const present = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !present.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        // kafkajs's own wait gives up on a busy broker; the offsets check below waits instead.
        waitForLeaders: false,
        topics: missing.map((topic) => topicConfig(topic, settings)),
      });
      // A new partition's leader answers produce requests only once it has applied the metadata
      // (KRaft does so asynchronously): reading the offsets of every partition proves it has.
      for (const topic of missing) await retriable(() => admin.fetchTopicOffsets(topic), 20);
    }
    return { created: missing, existing: topics.filter((t) => present.has(t)) };
  } catch (cause) {
    // Two processes provisioning at once: the loser sees TOPIC_ALREADY_EXISTS, which is success.
    if (isTopicExists(cause)) return { created: [], existing: topics };
    throw new InfrastructureError(`could not create Kafka topics: ${describeCreateError(cause)}`, { cause });
  }
}

function topicConfig(topic: string, settings: TopicSettings): ITopicConfig {
  const configEntries: Array<{ name: string; value: string }> = [];
  if (settings.minInsyncReplicas !== undefined) {
    configEntries.push({ name: 'min.insync.replicas', value: String(settings.minInsyncReplicas) });
  }
  if (settings.retentionMs !== undefined)
    configEntries.push({ name: 'retention.ms', value: String(settings.retentionMs) });
  return {
    topic,
    numPartitions: settings.partitions ?? -1,
    replicationFactor: settings.replicationFactor ?? -1,
    configEntries,
  };
}

function isTopicExists(error: unknown): boolean {
  const e = error as { type?: string; errors?: Array<{ type?: string }> };
  return (
    e?.type === 'TOPIC_ALREADY_EXISTS' ||
    (e?.errors?.every((x) => x.type === 'TOPIC_ALREADY_EXISTS') ?? false)
  );
}

/** kafkajs reports one error per topic inside an aggregate; the first one says why. */
function describeCreateError(error: unknown): string {
  const inner = (error as { errors?: Array<{ message?: string }> })?.errors?.[0]?.message;
  return inner ? `${String(error)} (${inner})` : String(error);
}
