import { type DomainEvent, type DomainEventType, type EventPublisher, PublishError } from '@seatrush/core';
import { validate, z } from '@seatrush/core/ports';
import type { Kafka } from 'kafkajs';
import { ConfluentProducer, confluentOffThread } from './clients/confluent';
import { KafkajsProducer } from './clients/kafkajs';
import { PlatformaticProducer } from './clients/platformatic';
import { ThreadedProducer } from './clients/threaded';
import {
  type Compression,
  DEFAULT_CLIENT,
  KAFKA_CLIENTS,
  type KafkaClientName,
  type Outgoing,
  type ProducerDriver,
} from './clients/types';
import { checkEvents, encodeEvent, type KeyStrategy } from './codec';
import { createKafka, type KafkaConnection } from './connection';
import { MicroBatcher, type MicroBatcherOptions } from './micro-batcher';
import { ensureTopics, type TopicSettings, TopicSettingsSchema } from './provision';
import { DEFAULT_TOPIC_PREFIX, EVENT_TYPES, TopicNames, TopicPrefix } from './topics';

/** Options of {@link KafkaEventPublisher}. */
export interface KafkaEventPublisherOptions {
  connection: KafkaConnection;
  /**
   * The client library: `platformatic` (@platformatic/kafka, the default: see `DEFAULT_CLIENT`; a
   * third less CPU a record than kafkajs in the README's benchmark; maintained, lz4/snappy/zstd),
   * `kafkajs`, or `confluent` (@confluentinc/kafka-javascript, librdkafka: a native addon that
   * must be built, see the README; throws `KafkaClientUnavailableError` when it is not).
   */
  client?: KafkaClientName;
  /** Goes before every topic name. Default `seatrush`. */
  topicPrefix?: string;
  /**
   * The client's idempotent producer (no duplicates from its own retries). Default true: measured
   * sound against Kafka 4.4 on both clients (see README).
   */
  idempotent?: boolean;
  /**
   * Compression of produce requests. `lz4`, `snappy` and `zstd` need the platformatic client
   * (kafkajs has `gzip` only). Default `none`: on this SDK's small events it did not pay (README).
   */
  compression?: Compression;
  /**
   * Groups concurrent publishes into one produce request (neither JavaScript client lingers by
   * itself on `send`). Default `{ lingerMs: 2, maxBatchCount: 1000, maxBatchBytes: 1 MiB,
   * maxInFlight: 1 }`; on `confluent`, whose librdkafka lingers (5 ms) and batches by itself,
   * `{ lingerMs: 0, maxInFlight: 64 }`: the calls of one tick go together, none waits for the
   * last batch's answer. `false` sends each call alone.
   */
  batching?: Partial<MicroBatcherOptions> | false;
  /**
   * Idempotent producers the partitions are striped over, each with its own connections,
   * producer id and micro-batcher. An idempotent producer keeps one request in flight per
   * connection on both clients (Java's keeps 5), so one producer waits on the broker most of the
   * time; with several, that many requests are in flight. A partition is always written by the
   * same producer, so order per partition (per key) is kept. Default
   * {@link DEFAULT_PUBLISHER_PRODUCERS}; 1 is a single producer.
   */
  producers?: number;
  /**
   * Runs each producer on a worker thread of its own: the client's encoding, checksums and socket
   * work (most of a publish's CPU) leave the host's event loop, so publishing uses a second core.
   * Events are still checked and encoded here, grouped by the micro-batcher, and handed to the
   * thread a batch at a time; a publish still resolves only once Kafka acknowledged its events.
   * `true` loads the thread's module built beside this package (`dist/publisher-thread.js`);
   * `{ module }` names another build of `src/publisher-thread.ts` (the tests bundle one from the
   * sources). The connection's settings are copied to the thread, so they must be plain data (no
   * functions in `ssl`). Default false. Not with the `confluent` client (ConfigurationError):
   * librdkafka sends on threads of its own, and its addon cannot load on a worker thread.
   */
  thread?: boolean | { module: URL };
  /** Key strategy per event type (default `event`: the event's key, i.e. the reservation id). */
  keys?: Partial<Record<DomainEventType, KeyStrategy>>;
  /** Milliseconds the brokers have to acknowledge a produce request. Default 30,000. */
  ackTimeoutMs?: number;
  /** Creates missing topics on first use with these settings; `false` expects them to exist. Default `{}`. */
  provision?: TopicSettings | false;
}

const KeyStrategySchema = z.enum(['event', 'sale', 'none']);
const OptionsSchema = z.object({
  client: z.enum(KAFKA_CLIENTS).optional(),
  topicPrefix: TopicPrefix.optional(),
  idempotent: z.boolean().optional(),
  compression: z.enum(['none', 'gzip', 'lz4', 'snappy', 'zstd']).optional(),
  batching: z
    .union([
      z.literal(false),
      z.object({
        lingerMs: z.number().int().min(0).max(60_000).optional(),
        maxBatchCount: z.number().int().min(1).max(100_000).optional(),
        maxBatchBytes: z
          .number()
          .int()
          .min(1)
          .max(64 * 1024 * 1024)
          .optional(),
        maxInFlight: z.number().int().min(1).max(64).optional(),
      }),
    ])
    .optional(),
  keys: z
    .partialRecord(z.enum(EVENT_TYPES as [DomainEventType, ...DomainEventType[]]), KeyStrategySchema)
    .optional(),
  ackTimeoutMs: z.number().int().positive().optional(),
  producers: z.number().int().min(1).max(32).optional(),
  thread: z.union([z.boolean(), z.object({ module: z.instanceof(URL) })]).optional(),
  provision: z.union([z.literal(false), TopicSettingsSchema]).optional(),
});

/** What a batch is sent with when the publisher is not batching. */
const UNBATCHED: MicroBatcherOptions = {
  lingerMs: 0,
  maxBatchCount: 1,
  maxBatchBytes: Number.MAX_SAFE_INTEGER,
  maxInFlight: 64,
};

/**
 * Producers a publisher stripes partitions over when `producers` is not given: several produce
 * requests in flight, as Java's producer keeps 5 per connection. On the loaded 2-core bench
 * machine it measured within noise of 1 (README: the CPU, not the broker, was the limit there).
 */
// 1: 4 measured within noise of 1 here. (The "loss" once seen with 4 on kafkajs was the broker's
// time retention deleting test events stamped in 2023; see the README.)
export const DEFAULT_PUBLISHER_PRODUCERS = 1;

/** The publisher thread's module, built beside this one (`src/publisher-thread.ts`). */
const PUBLISHER_THREAD = new URL('./publisher-thread.js', import.meta.url);

/** One producer with the micro-batcher in front of it; it writes its share of the partitions. */
interface Lane {
  producer: ProducerDriver;
  batcher: MicroBatcher<Outgoing>;
}

/**
 * Publishes domain events to Kafka with acks=all. Concurrent `publish` calls are grouped by a
 * micro-batcher into one produce request; each call resolves only when every one of its events
 * is acknowledged by the in-sync replicas, and rejects with `PublishError` otherwise, so the
 * caller compensates (restores stock, releases the hold).
 */
export class KafkaEventPublisher implements EventPublisher {
  /** The topic names this publisher writes to. */
  readonly topics: TopicNames;
  /** The client library in use. */
  readonly client: KafkaClientName;
  private readonly kafka: Kafka;
  private readonly lanes: Lane[];
  /** Each topic's first lane, so the topics' partitions 0 do not all land on lane 0. */
  private readonly laneOffsets = new Map<string, number>();
  private readonly keys: Partial<Record<DomainEventType, KeyStrategy>>;
  private readonly provision: TopicSettings | false;
  private ready: Promise<void> | undefined;
  private closed = false;

  /** @throws ValidationError when an option is malformed. */
  constructor(options: KafkaEventPublisherOptions) {
    const valid = validate('Kafka publisher options', OptionsSchema, { ...options, connection: undefined });
    this.kafka = createKafka(options.connection);
    this.topics = new TopicNames(valid.topicPrefix ?? DEFAULT_TOPIC_PREFIX);
    this.client = valid.client ?? DEFAULT_CLIENT;
    if (valid.thread && this.client === 'confluent') throw confluentOffThread();
    const settings = {
      idempotent: valid.idempotent ?? true,
      compression: valid.compression ?? 'none',
      ackTimeoutMs: valid.ackTimeoutMs ?? 30_000,
    };
    this.keys = valid.keys ?? {};
    this.provision = valid.provision ?? {};
    // librdkafka lingers and batches by itself, with 5 requests in flight: the micro-batcher only
    // groups the calls of one tick and never waits for an answer before the next batch
    const librdkafka = this.client === 'confluent';
    const batching: MicroBatcherOptions =
      valid.batching === false
        ? UNBATCHED
        : {
            lingerMs: valid.batching?.lingerMs ?? (librdkafka ? 0 : 2),
            maxBatchCount: valid.batching?.maxBatchCount ?? 1_000,
            maxBatchBytes: valid.batching?.maxBatchBytes ?? 1024 * 1024,
            maxInFlight: valid.batching?.maxInFlight ?? (librdkafka ? 64 : 1),
          };
    this.lanes = Array.from({ length: valid.producers ?? DEFAULT_PUBLISHER_PRODUCERS }, () => {
      const producer = valid.thread
        ? new ThreadedProducer(valid.thread === true ? PUBLISHER_THREAD : valid.thread.module, {
            client: this.client,
            connection: options.connection,
            settings,
          })
        : this.client === 'kafkajs'
          ? new KafkajsProducer(this.kafka, settings)
          : this.client === 'confluent'
            ? new ConfluentProducer(options.connection, settings)
            : new PlatformaticProducer(options.connection, settings);
      return {
        producer,
        batcher: new MicroBatcher<Outgoing>(batching, (batch) => this.sendBatch(producer, batch), sizeOf),
      };
    });
  }

  /**
   * Connects and creates missing topics. Optional: the first publish does it; call it at start-up
   * to fail fast and to keep the first publish's latency low.
   */
  connect(): Promise<void> {
    this.ready ??= this.open().catch((cause: unknown) => {
      this.ready = undefined;
      throw new PublishError(`could not connect to Kafka: ${String(cause)}`, { cause });
    });
    return this.ready;
  }

  /**
   * Publishes events; resolves once every one is acknowledged (acks=all). Events of one call
   * with the same key keep their order.
   * @throws ValidationError when an event is malformed (nothing is sent);
   *   PublishError when Kafka did not acknowledge them, or the publisher is closed.
   */
  async publish(events: DomainEvent[]): Promise<void> {
    checkEvents(events);
    if (this.closed) throw new PublishError('the publisher is closed');
    if (events.length === 0) return;
    await (this.ready ?? this.connect());
    const lanes = this.lanes;
    if (lanes.length === 1 && events.length === 1) {
      // the common call (one event): no array of one outgoing message, no Promise.all over it
      const event = events[0]!;
      return lanes[0]!.batcher.add({
        topic: this.topics.of(event.type),
        message: encodeEvent(event, this.keys[event.type] ?? 'event'),
      });
    }
    const outgoing = events.map((event) => ({
      topic: this.topics.of(event.type),
      message: encodeEvent(event, this.keys[event.type] ?? 'event'),
    }));
    if (lanes.length === 1) {
      await Promise.all(outgoing.map((o) => lanes[0]!.batcher.add(o)));
      return;
    }
    let assigned: Outgoing[];
    try {
      assigned = await lanes[0]!.producer.assign(outgoing);
    } catch (cause) {
      throw new PublishError(`could not read the partitions of the topics: ${String(cause)}`, { cause });
    }
    await Promise.all(assigned.map((o) => this.laneOf(o).batcher.add(o)));
  }

  /** Sends what is buffered, waits for its acknowledgements, and disconnects; later publishes are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.lanes.map((lane) => lane.batcher.flush()));
    await Promise.all(this.lanes.map((lane) => lane.producer.close()));
  }

  private async open(): Promise<void> {
    if (this.provision !== false) {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        await ensureTopics(admin, this.topics.all(), this.provision);
      } finally {
        await admin.disconnect();
      }
    }
    await Promise.all(this.lanes.map((lane) => lane.producer.connect()));
  }

  /** The lane that writes the message's partition: always the same one for a partition. */
  private laneOf({ topic, message }: Outgoing): Lane {
    let offset = this.laneOffsets.get(topic);
    if (offset === undefined) {
      offset = this.laneOffsets.size;
      this.laneOffsets.set(topic, offset);
    }
    return this.lanes[((message.partition ?? 0) + offset) % this.lanes.length]!;
  }

  private async sendBatch(producer: ProducerDriver, batch: Outgoing[]): Promise<unknown[]> {
    try {
      const outcome = await producer.send(batch);
      return outcome.map((error) =>
        error === undefined
          ? undefined
          : new PublishError(`Kafka did not acknowledge the event: ${String(error)}`, { cause: error }),
      );
    } catch (cause) {
      throw new PublishError(`Kafka did not acknowledge ${batch.length} event(s): ${String(cause)}`, {
        cause,
      });
    }
  }
}

function sizeOf({ message }: Outgoing): number {
  // The body dominates; keys and headers are small and bounded by the envelope's schema.
  return typeof message.value === 'string' ? Buffer.byteLength(message.value) + 256 : 256;
}
