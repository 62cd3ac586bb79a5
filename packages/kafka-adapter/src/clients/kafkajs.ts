import { ConfigurationError } from '@seatrush/core';
import { type Admin, CompressionTypes, type Consumer, type Kafka, type Producer } from 'kafkajs';
import { PartitionAssigner, sendAcknowledged } from '../acknowledged-send';
import { createKafka, type KafkaConnection } from '../connection';
import { EmulatedStaticMembership } from './kafkajs-static-membership';
import type {
  GroupConsumerDriver,
  GroupRun,
  GroupSettings,
  Outgoing,
  ProducerDriver,
  ProducerSettings,
} from './types';

/**
 * kafkajs's idempotent producer keeps one request in flight per broker and has no linger, so the
 * publisher's micro-batcher groups calls; each partition's acknowledgement is checked (see
 * `sendAcknowledged`).
 */
export class KafkajsProducer implements ProducerDriver {
  private readonly producer: Producer;
  private readonly partitions: PartitionAssigner;
  private readonly compression: CompressionTypes;
  private readonly ackTimeoutMs: number;
  private adminClient: Promise<Admin> | undefined;

  constructor(
    private readonly kafka: Kafka,
    settings: ProducerSettings,
  ) {
    if (settings.compression !== 'none' && settings.compression !== 'gzip') {
      throw new ConfigurationError(
        `compression ${settings.compression} needs the platformatic client; kafkajs has gzip only`,
      );
    }
    this.producer = kafka.producer({
      idempotent: settings.idempotent,
      // kafkajs requires one request in flight per broker for its idempotent sequence numbers.
      maxInFlightRequests: settings.idempotent ? 1 : undefined,
      allowAutoTopicCreation: false,
    });
    this.compression = settings.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    this.ackTimeoutMs = settings.ackTimeoutMs;
    this.partitions = new PartitionAssigner(() => this.admin());
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  assign(outgoing: Outgoing[]): Promise<Outgoing[]> {
    return this.partitions.assign(outgoing);
  }

  async send(outgoing: Outgoing[]): Promise<unknown[]> {
    return sendAcknowledged(this.producer, await this.partitions.assign(outgoing), {
      timeoutMs: this.ackTimeoutMs,
      compression: this.compression,
    });
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
    const admin = await this.adminClient?.catch(() => undefined);
    this.adminClient = undefined;
    await admin?.disconnect();
  }

  /** An admin client for partition metadata, connected once. */
  private admin(): Promise<Admin> {
    this.adminClient ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.adminClient = undefined;
      throw error;
    });
    return this.adminClient;
  }
}

/**
 * A kafkajs consumer group member (`eachBatch`, manual commits). kafkajs has no static
 * membership; with `groupInstanceId` it is emulated ({@link EmulatedStaticMembership}).
 */
export class KafkajsGroupConsumer implements GroupConsumerDriver {
  private readonly consumer: Consumer;
  private readonly membership: EmulatedStaticMembership | undefined;
  private readonly sessionTimeoutMs: number;

  constructor(connection: KafkaConnection, settings: GroupSettings) {
    this.membership =
      settings.groupInstanceId === undefined
        ? undefined
        : new EmulatedStaticMembership(connection, settings.groupId, settings.groupInstanceId);
    const kafka: Kafka = createKafka(
      this.membership ? { ...connection, clientId: this.membership.clientId } : connection,
    );
    this.sessionTimeoutMs = settings.sessionTimeoutMs;
    this.consumer = kafka.consumer({
      groupId: settings.groupId,
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: settings.heartbeatIntervalMs,
      maxWaitTimeInMs: settings.maxWaitTimeMs,
      allowAutoTopicCreation: false,
    });
  }

  async run(input: GroupRun): Promise<void> {
    const consumer = this.consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: input.topics, fromBeginning: input.fromBeginning });
    let hasJoined = false;
    const joined = new Promise<void>((resolve) =>
      consumer.on(consumer.events.GROUP_JOIN, () => {
        hasJoined = true;
        resolve();
      }),
    );
    consumer.on(consumer.events.CRASH, (event) => input.onCrash(event.payload.error, event.payload.restart));
    // runs beside the join, which waits for the slot's dead predecessor until it is evicted
    const eviction = this.membership
      ?.evictPredecessors(() => hasJoined, this.sessionTimeoutMs)
      .catch((error: unknown) => input.onCrash(error, true));
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: input.concurrency,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset, commitOffsetsIfNecessary }) =>
        input.eachBatch({
          topic: batch.topic,
          partition: batch.partition,
          messages: batch.messages,
          heartbeat,
          isRunning,
          isStale,
          resolveOffset,
          // The payload's commit with explicit offsets goes straight to the group coordinator,
          // also while the consumer is stopping (consumer.commitOffsets is a no-op by then).
          commit: (offset) =>
            commitOffsetsIfNecessary({
              topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset }] }],
            }),
        }),
    });
    await joined;
    await eviction;
  }

  pause(topics: string[]): void {
    this.consumer.pause(topics.map((topic) => ({ topic })));
  }

  resume(topics: string[]): void {
    this.consumer.resume(topics.map((topic) => ({ topic })));
  }

  disconnect(): Promise<void> {
    return this.consumer.disconnect();
  }
}
