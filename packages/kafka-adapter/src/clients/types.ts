/**
 * What the adapter needs from a Kafka client library, so the publisher and the consumer run
 * unchanged on @platformatic/kafka (the default) or on kafkajs. Each client lives in one file of
 * this folder; nothing outside it imports a client's producer or consumer.
 */

/** The Kafka client library the publisher and consumer use. */
export type KafkaClientName = 'platformatic' | 'kafkajs' | 'confluent';

/** Every client, for validating a `client` option. */
export const KAFKA_CLIENTS = [
  'platformatic',
  'kafkajs',
  'confluent',
] as const satisfies readonly KafkaClientName[];

/**
 * The client used when `client` is not given: @platformatic/kafka, by `bench:ratios` and the fault
 * suite (README, "Clients"). Through this adapter it is the fastest consumer of the three, and
 * publishes about as fast as confluent and ahead of kafkajs (the figures, with their dates, are in
 * the README's "Benchmarks"). It passes the fault suite's broker SIGKILL since its own `error`
 * event is the adapter's (6b7da81), where kafkajs 2.2.4's idempotent producer can stay stuck on
 * "out of order sequence number" after leadership moves (tulios/kafkajs#598). It is maintained
 * (kafkajs has had no release since 2.2.4) and has Kafka's own static membership and
 * lz4/snappy/zstd. kafkajs stays supported.
 */
export const DEFAULT_CLIENT: KafkaClientName = 'platformatic';

/** Header values as both clients write them. */
export type OutgoingHeaders = Record<string, string | Buffer>;

/** A message to write. Structurally a kafkajs `Message`. */
export interface OutgoingMessage {
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers: OutgoingHeaders;
  /** ms since the epoch, as text. */
  timestamp?: string;
  partition?: number;
}

/** One message bound for one topic. */
export interface Outgoing {
  topic: string;
  message: OutgoingMessage;
}

/** Header values as read; kafkajs may give a list for a repeated header. */
export type IncomingHeaders = Record<string, string | Buffer | Array<string | Buffer> | undefined>;

/** A message as read. Structurally a kafkajs `KafkaMessage`. */
export interface IncomingMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IncomingHeaders;
}

/** Writes messages with acks=all; the client's own retries, batching and idempotence. */
export interface ProducerDriver {
  connect(): Promise<void>;
  /**
   * The messages with `partition` set to the one Java's default partitioner chooses (murmur2 of
   * the key, round robin without one); a message that has one keeps it.
   */
  assign(outgoing: Outgoing[]): Promise<Outgoing[]>;
  /**
   * Sends the messages and says, message by message (same order), whether the in-sync replicas
   * acknowledged it: `undefined` when they did, else the error.
   */
  send(outgoing: Outgoing[]): Promise<unknown[]>;
  close(): Promise<void>;
}

/** A run of messages of one partition handed to the consumer, in offset order. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: IncomingMessage[];
  /** Keeps the membership alive during long work (a no-op where the client heartbeats by itself). */
  heartbeat(): Promise<void>;
  /** False once the consumer stops. */
  isRunning(): boolean;
  /** True once the partition was taken away (rebalance): the batch must end without committing. */
  isStale(): boolean;
  /** Marks a message handled (kafkajs re-reads from the first unresolved offset). */
  resolveOffset(offset: string): void;
  /** Commits: `next` is the offset of the next message to read. */
  commit(next: string): Promise<void>;
}

/** How a group member is run. */
export interface GroupRun {
  topics: string[];
  fromBeginning: boolean;
  /** Partitions handled at the same time (each one strictly in order). */
  concurrency: number;
  eachBatch: (batch: PartitionBatch) => Promise<void>;
  /** A failure of the client's own loop; consumption may go on. */
  onCrash: (error: unknown, restarting: boolean) => void;
}

/** A consumer group member. */
export interface GroupConsumerDriver {
  /** Joins the group and starts delivering; resolves once partitions are assigned. */
  run(input: GroupRun): Promise<void>;
  pause(topics: string[]): void;
  resume(topics: string[]): void;
  /** Leaves the group (its partitions move at once) and closes the connections. */
  disconnect(): Promise<void>;
}

/** Settings of a group member, client-neutral. */
export interface GroupSettings {
  groupId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxWaitTimeMs: number;
  /** Static membership (KIP-345): a restarted member with the same id takes its partitions back at once. */
  groupInstanceId?: string;
}

/** Settings of a producer, client-neutral. */
export interface ProducerSettings {
  idempotent: boolean;
  compression: Compression;
  /** ms the brokers have to acknowledge a produce request. */
  ackTimeoutMs: number;
}

/** Compression codecs; `lz4`, `snappy` and `zstd` need @platformatic/kafka or confluent (kafkajs has gzip only). */
export type Compression = 'none' | 'gzip' | 'lz4' | 'snappy' | 'zstd';
