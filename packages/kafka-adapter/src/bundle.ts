import type { EventConsumer, EventPublisher } from '@seatrush/core';
import type { KafkaClientName } from './clients/types';
import type { KafkaConnection } from './connection';
import { KafkaEventConsumer, type KafkaEventConsumerOptions } from './consumer';
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
  /** The client library (`platformatic`, the default, or `kafkajs`). */
  client?: KafkaClientName;
  /** More publisher settings (batching, compression, provisioning, …). */
  publisher?: Omit<KafkaEventPublisherOptions, 'connection' | 'client' | 'topicPrefix'>;
  /**
   * More consumer settings, for every group or per group (`(group) => …`); `groupInstanceId`
   * makes a restarted worker take its partitions back at once.
   */
  consumer?: ConsumerSettings | ((group: string) => ConsumerSettings);
}

/** The event part of a runtime's ports: what `kafkaPorts` gives. */
export interface KafkaPorts {
  publisher: EventPublisher;
  /** A consumer in group `<topicPrefix>.<group>` (a new member each call). */
  consumer(group: string): EventConsumer;
  /** Connects the publisher and provisions the topics (fails fast when the brokers are unreachable). */
  verify(): Promise<void>;
  /** Flushes and closes the publisher the bundle opened. */
  close(): Promise<void>;
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
  return {
    publisher,
    consumer: (group) =>
      new KafkaEventConsumer({
        ...options.consumer,
        connection,
        topicPrefix,
        groupId: `${topicPrefix}.${group}`,
        ...client,
      }),
    verify: () => publisher.connect(),
    close: () => publisher.close(),
  };
}
