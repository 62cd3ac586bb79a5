import { createRequire } from 'node:module';
import type * as Confluent from '@confluentinc/kafka-javascript';
import { ConfigurationError } from '@seatrush/core';
import type { KafkaConnection } from '../connection';
import { PartitionCounts } from './partitions';
import type {
  GroupConsumerDriver,
  GroupRun,
  GroupSettings,
  Outgoing,
  OutgoingHeaders,
  ProducerDriver,
  ProducerSettings,
} from './types';

type ConfluentModule = typeof Confluent;

/**
 * `client: 'confluent'` was chosen but @confluentinc/kafka-javascript, or its native addon
 * (librdkafka), cannot be loaded: a plain install does not build it.
 */
export class KafkaClientUnavailableError extends ConfigurationError {}

let loaded: ConfluentModule | undefined;

/**
 * @confluentinc/kafka-javascript, loaded on first use: its native addon is built on demand
 * (scripts/confluent.sh), so a host that never chooses the client never loads it.
 * @throws KafkaClientUnavailableError when the package or its addon is missing.
 */
export function loadConfluent(): ConfluentModule {
  if (loaded) return loaded;
  try {
    // __filename in a CommonJS build (a bundle without shims has no import.meta.url there)
    const here = typeof __filename === 'string' ? __filename : import.meta.url;
    loaded = createRequire(here)('@confluentinc/kafka-javascript') as ConfluentModule;
    return loaded;
  } catch (cause) {
    throw new KafkaClientUnavailableError(
      "client 'confluent' needs @confluentinc/kafka-javascript with its native addon built: install it " +
        '(it is an optional peer dependency) and build librdkafka, in this repository with ' +
        '`bash scripts/confluent.sh` (see the kafka-adapter README, "The confluent client"): ' +
        String(cause),
      { cause },
    );
  }
}

/**
 * The confluent client on a publisher thread: refused. Its addon is not context-aware (it loads
 * once a process: "Module did not self-register" on a worker thread), and a thread would buy
 * nothing: librdkafka encodes, batches and sends on threads of its own already.
 */
export function confluentOffThread(): ConfigurationError {
  return new ConfigurationError(
    "thread: the confluent client cannot run on a publisher thread (its native addon loads once a process, and librdkafka already sends on threads of its own); leave thread off, or use client 'platformatic' or 'kafkajs'",
  );
}

/**
 * librdkafka's names for the connection's settings. TLS and SASL are mapped for what both other
 * clients share: `ssl: true` (or PEM strings), SASL PLAIN and SCRAM.
 */
export function rdkafkaConnection(connection: KafkaConnection): Record<string, string | number | boolean> {
  const ssl = connection.ssl !== undefined && connection.ssl !== false;
  const options: Record<string, string | number | boolean> = {
    'bootstrap.servers': connection.brokers.join(','),
    'client.id': connection.clientId ?? 'seatrush',
    'socket.connection.setup.timeout.ms': connection.connectionTimeoutMs ?? 3_000,
    'security.protocol': connection.sasl ? (ssl ? 'sasl_ssl' : 'sasl_plaintext') : ssl ? 'ssl' : 'plaintext',
  };
  if (ssl && typeof connection.ssl === 'object') {
    const tls = connection.ssl as { ca?: unknown; cert?: unknown; key?: unknown };
    const pem = (name: string, value: unknown, setting: string) => {
      if (value === undefined) return;
      const text = Array.isArray(value) ? value.map(String).join('\n') : value;
      if (typeof text !== 'string' && !Buffer.isBuffer(text)) {
        throw new ConfigurationError(`ssl.${name} must be PEM text for the confluent client`);
      }
      options[setting] = String(text);
    };
    pem('ca', tls.ca, 'ssl.ca.pem');
    pem('cert', tls.cert, 'ssl.certificate.pem');
    pem('key', tls.key, 'ssl.key.pem');
  }
  if (connection.sasl) {
    const mechanism = connection.sasl.mechanism.toUpperCase();
    if (!((mechanism === 'PLAIN' || mechanism.startsWith('SCRAM-')) && 'username' in connection.sasl)) {
      throw new ConfigurationError(
        `SASL mechanism ${connection.sasl.mechanism} is not mapped for the confluent client; use client: 'kafkajs'`,
      );
    }
    options['sasl.mechanisms'] = mechanism;
    options['sasl.username'] = connection.sasl.username;
    options['sasl.password'] = connection.sasl.password;
  }
  return options;
}

/** What a message's delivery report settles: its batch's outcome at its index. */
interface Delivery {
  outcome: unknown[];
  index: number;
  settle: () => void;
}

/**
 * librdkafka's idempotent producer, on the client's native API (node-rdkafka's): acks=all, 5
 * requests in flight per connection with idempotence (librdkafka keeps order and sequence
 * numbers across them, as Java's producer does), its own linger and batching, and a delivery
 * report per message, which settles that message's outcome. A message without a partition is
 * placed by librdkafka's `murmur2_random` partitioner: Java's murmur2 choice for a key (a test
 * checks it against `javaPartition`), a random partition without one.
 *
 * Why the native API: its delivery report is per message, which is what `send` answers; the
 * client's KafkaJS-compatible `send` awaits all its messages with one `Promise.all` (one failure
 * fails the whole call) on top of the same `produce`.
 */
export class ConfluentProducer implements ProducerDriver {
  private readonly producer: Confluent.Producer;
  private readonly partitions = new PartitionCounts(async (topics) => {
    const counts = new Map<string, number>();
    for (const topic of topics) {
      const metadata = await new Promise<Confluent.Metadata>((resolve, reject) =>
        this.producer.getMetadata({ topic, timeout: 10_000 }, (error, data) =>
          error ? reject(error) : resolve(data),
        ),
      );
      counts.set(topic, metadata.topics.find((t) => t.name === topic)?.partitions.length ?? 0);
    }
    return counts;
  });
  private lastError: unknown;

  constructor(connection: KafkaConnection, settings: ProducerSettings) {
    const { Producer } = loadConfluent();
    this.producer = new Producer({
      ...rdkafkaConnection(connection),
      'request.required.acks': -1,
      'enable.idempotence': settings.idempotent,
      'max.in.flight.requests.per.connection': 5,
      // Java's default linger; concurrent publishes share a request
      'linger.ms': 5,
      'compression.codec': settings.compression,
      partitioner: 'murmur2_random',
      'request.timeout.ms': settings.ackTimeoutMs,
      // a publish is bounded: retries stop after two acknowledgement timeouts
      'message.timeout.ms': settings.ackTimeoutMs * 2,
      'allow.auto.create.topics': false,
      dr_cb: true,
    } as Confluent.ProducerGlobalConfig);
    this.producer.on('delivery-report', (error, report) => {
      const delivery = report.opaque as Delivery;
      delivery.outcome[delivery.index] = error ?? undefined;
      delivery.settle();
    });
    // librdkafka reports broker trouble here and retries by itself; the outcomes carry failures
    this.producer.on('event.error', (error) => {
      this.lastError = error;
    });
  }

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.producer.connect({ timeout: 10_000 }, (error) => {
        if (error) {
          reject(this.lastError ?? error);
          return;
        }
        this.producer.setPollInBackground(true);
        resolve();
      });
    });
  }

  assign(outgoing: Outgoing[]): Promise<Outgoing[]> {
    return this.partitions.assign(outgoing);
  }

  send(outgoing: Outgoing[]): Promise<unknown[]> {
    return new Promise((resolve) => {
      const outcome: unknown[] = new Array(outgoing.length);
      let left = outgoing.length;
      const settle = () => {
        left -= 1;
        if (left === 0) resolve(outcome);
      };
      for (let index = 0; index < outgoing.length; index += 1) {
        const { topic, message } = outgoing[index]!;
        try {
          this.producer.produce(
            topic,
            message.partition ?? -1,
            message.value === null ? null : toBuffer(message.value),
            message.key,
            message.timestamp === undefined ? null : Number(message.timestamp),
            { outcome, index, settle } satisfies Delivery,
            toRdkafkaHeaders(message.headers),
          );
        } catch (error) {
          // refused before it was queued (e.g. the local queue is full)
          outcome[index] = error;
          settle();
        }
      }
    });
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.producer.flush(30_000, () => {
        this.producer.disconnect((error) => (error ? reject(error) : resolve()));
      });
    });
  }
}

function toBuffer(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value) : value;
}

function toRdkafkaHeaders(headers: OutgoingHeaders): Confluent.MessageHeader[] {
  const list: Confluent.MessageHeader[] = [];
  for (const name in headers) list.push({ [name]: headers[name]! });
  return list;
}

/** The most messages of one partition handed over at once. */
const MAX_BATCH = 1_000;

/** The pause before a failed batch is fetched and handed over again, in ms. */
const RETRY_BATCH_MS = 1_000;

/**
 * A librdkafka consumer group member, on the client's KafkaJS-compatible API: its `eachBatch`,
 * `resolveOffset`, staleness and explicit-offset commits are the ones the adapter's consumer
 * runs on with kafkajs, and its batches come from librdkafka's prefetch queue (fetching, decoding
 * and heartbeats on librdkafka's own threads). Static membership is librdkafka's
 * `group.instance.id` (KIP-345).
 */
export class ConfluentGroupConsumer implements GroupConsumerDriver {
  private readonly kafka: Confluent.KafkaJS.Kafka;
  private consumer: Confluent.KafkaJS.Consumer | undefined;
  private running = false;

  constructor(
    private readonly connection: KafkaConnection,
    private readonly settings: GroupSettings,
  ) {
    const { KafkaJS } = loadConfluent();
    this.kafka = new KafkaJS.Kafka({});
  }

  async run(input: GroupRun): Promise<void> {
    const { KafkaJS } = loadConfluent();
    const { settings } = this;
    let joined!: () => void;
    const assigned = new Promise<void>((resolve) => {
      joined = resolve;
    });
    const consumer = this.kafka.consumer({
      ...rdkafkaConnection(this.connection),
      kafkaJS: {
        groupId: settings.groupId,
        sessionTimeout: settings.sessionTimeoutMs,
        heartbeatInterval: settings.heartbeatIntervalMs,
        maxWaitTimeInMs: settings.maxWaitTimeMs,
        fromBeginning: input.fromBeginning,
        autoCommit: false,
        allowAutoTopicCreation: false,
        logLevel: this.connection.logLevel ?? KafkaJS.logLevel.ERROR,
      },
      // Messages a batch takes from librdkafka's prefetch queue at most (the client's default is
      // 32; the platformatic driver hands over up to 1,000 too). On a 200,000-message backlog,
      // 3 interleaved pairs (2026-12-06 18:41 UTC, load 1.2-2.4, bench:consume-idle): 36,161-
      // 38,893/s at 30.3-31.7 us of CPU a message against 33,065-35,629/s at 33.3-35.7 us.
      'js.consumer.max.batch.size': MAX_BATCH,
      ...(settings.groupInstanceId === undefined ? {} : { 'group.instance.id': settings.groupInstanceId }),
      rebalance_cb: (error: Confluent.LibrdKafkaError) => {
        if (error.code === KafkaJS.ErrorCodes.ERR__ASSIGN_PARTITIONS) joined();
      },
    } as Confluent.KafkaJS.ConsumerConstructorConfig);
    this.consumer = consumer;
    this.running = true;
    await consumer.connect();
    await consumer.subscribe({ topics: input.topics });
    await consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: input.concurrency,
      eachBatch: async ({ batch, isRunning, isStale, resolveOffset }) => {
        try {
          await input.eachBatch({
            topic: batch.topic,
            partition: batch.partition,
            messages: batch.messages,
            // librdkafka heartbeats on its own thread
            heartbeat: async () => {},
            isRunning,
            isStale,
            resolveOffset,
            commit: (offset) =>
              consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset }]),
          });
        } catch (error) {
          // The batch failed without finishing (e.g. a dead letter could not be written): the
          // client seeks back to the first unresolved message, which comes again after a pause.
          input.onCrash(error, true);
          await new Promise((resolve) => setTimeout(resolve, RETRY_BATCH_MS));
        }
      },
    });
    await assigned;
  }

  pause(topics: string[]): void {
    if (this.running) this.consumer?.pause(topics.map((topic) => ({ topic })));
  }

  resume(topics: string[]): void {
    if (this.running) this.consumer?.resume(topics.map((topic) => ({ topic })));
  }

  async disconnect(): Promise<void> {
    this.running = false;
    await this.consumer?.disconnect();
  }
}
