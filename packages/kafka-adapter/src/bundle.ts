import type { DeadLetterStore, DependencyHealth, EventConsumer, EventPublisher } from '@seatrush/core';
import { probeDependency, RESULT_LISTENER_GROUP_PREFIX } from '@seatrush/core/ports';
import type { Admin } from 'kafkajs';
import type { KafkaClientName } from './clients/types';
import { createKafka, type KafkaConnection } from './connection';
import { KafkaEventConsumer, type KafkaEventConsumerOptions } from './consumer';
import { kafkaDeadLetterStore } from './dead-letter-store';
import { KafkaEventPublisher, type KafkaEventPublisherOptions } from './publisher';

/** A consumer's settings beyond what the bundle decides (connection, client, topics, group). */
export type ConsumerSettings = Omit<
  KafkaEventConsumerOptions,
  'connection' | 'client' | 'topicPrefix' | 'groupId'
>;

/** Options of {@link kafkaPorts}. */
export interface KafkaPortsOptions {
  /** Goes before every topic and consumer group name: the namespace of one deployment. */
  topicPrefix?: string;
  /** The client library (`platformatic`, the default: see `DEFAULT_CLIENT`; `kafkajs`; `confluent`). */
  client?: KafkaClientName;
  /**
   * This worker process's stable slot name (a pod name, `HOSTNAME-<index>`, a supervisor's
   * process number), the same after a restart and never shared by two live processes. Each
   * consumer gets `groupInstanceId` `<instanceId>` (the second of the same group in this bundle
   * `<instanceId>-1`, …): static membership, so a SIGKILLed worker's replacement takes its
   * partitions back within a second instead of after the session timeout. Without it, a killed
   * worker's partitions wait `sessionTimeoutMs` (10 s by default).
   */
  instanceId?: string;
  /** More publisher settings (batching, compression, provisioning, …). */
  publisher?: Omit<KafkaEventPublisherOptions, 'connection' | 'client' | 'topicPrefix'>;
  /** More consumer settings, for every group or per group (`(group) => …`); they win over `instanceId`. */
  consumer?: ConsumerSettings | ((group: string) => ConsumerSettings);
}

/** The event part of a runtime's ports: what `kafkaPorts` gives. */
export interface KafkaPorts {
  publisher: EventPublisher;
  /** A consumer in group `<topicPrefix>.<group>` (a new member each call). */
  consumer(group: string): EventConsumer;
  /** Connects the publisher and provisions the topics (fails fast when the brokers are unreachable). */
  verify(): Promise<void>;
  /** Flushes and closes the publisher (and the health probe's connection) the bundle opened. */
  close(): Promise<void>;
  /** `kafka`: whether the cluster answers (its metadata), within 2 s. */
  health(): Promise<Record<string, DependencyHealth>>;
  /** The dead-letter topic of this prefix: every worker's letters, listed and redriven. */
  deadLetterStore: DeadLetterStore;
}

/**
 * The Kafka bundle of a `createSeatRushRuntime`: a publisher and a consumer factory on the
 * brokers of `connection`, under one topic prefix. The publisher is the bundle's own; `close()`
 * flushes it.
 */
export function kafkaPorts(connection: KafkaConnection, options: KafkaPortsOptions = {}): KafkaPorts {
  const topicPrefix = options.topicPrefix ?? 'seatrush';
  const client = options.client === undefined ? {} : { client: options.client };
  const publisher = new KafkaEventPublisher({ ...options.publisher, connection, topicPrefix, ...client });
  const membersOf = new Map<string, number>();
  const slotOf = (group: string): Pick<ConsumerSettings, 'groupInstanceId'> => {
    if (options.instanceId === undefined) return {};
    const earlier = membersOf.get(group) ?? 0;
    membersOf.set(group, earlier + 1);
    return { groupInstanceId: earlier === 0 ? options.instanceId : `${options.instanceId}-${earlier}` };
  };
  const settingsOf = (group: string): ConsumerSettings => ({
    // a result listener hears what happens from now on; every other group, everything ever published
    fromBeginning: !group.startsWith(RESULT_LISTENER_GROUP_PREFIX),
    ...slotOf(group),
    ...(typeof options.consumer === 'function' ? options.consumer(group) : options.consumer),
  });
  let admin: Promise<Admin> | null = null;
  const connectedAdmin = () => {
    admin ??= (async () => {
      const created = createKafka(connection).admin();
      await created.connect();
      return created;
    })().catch((error: unknown) => {
      admin = null; // the next probe connects afresh
      throw error;
    });
    return admin;
  };
  return {
    publisher,
    consumer: (group) =>
      new KafkaEventConsumer({
        ...settingsOf(group),
        connection,
        topicPrefix,
        groupId: `${topicPrefix}.${group}`,
        ...client,
      }),
    verify: () => publisher.connect(),
    async close() {
      const opened = admin;
      admin = null;
      await Promise.all([publisher.close(), opened?.then((a) => a.disconnect()).catch(() => undefined)]);
    },
    async health() {
      const probe = async () => (await connectedAdmin()).describeCluster();
      return { kafka: await probeDependency(probe, connection.brokers.join(',')) };
    },
    deadLetterStore: kafkaDeadLetterStore(connection, topicPrefix),
  };
}
