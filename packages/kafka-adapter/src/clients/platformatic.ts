import {
  type BaseOptions,
  Consumer,
  type GroupAssignment,
  type Message,
  type MessagesStream,
  type MessageToProduce,
  Producer,
  type SASLOptions,
} from '@platformatic/kafka';
import { ConfigurationError } from '@seatrush/core';
import type { KafkaConnection } from '../connection';
import { PartitionCounts } from './partitions';
import type {
  GroupConsumerDriver,
  GroupRun,
  GroupSettings,
  IncomingHeaders,
  IncomingMessage,
  Outgoing,
  PartitionBatch,
  ProducerDriver,
  ProducerSettings,
} from './types';

type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>;

/** The client options every @platformatic/kafka client of a connection shares. */
export function platformaticOptions(connection: KafkaConnection): BaseOptions {
  const options: BaseOptions = {
    clientId: connection.clientId ?? 'seatrush',
    bootstrapBrokers: connection.brokers,
    connectTimeout: connection.connectionTimeoutMs ?? 3_000,
    timeout: connection.requestTimeoutMs ?? 30_000,
    requestTimeout: connection.requestTimeoutMs ?? 30_000,
    retries: connection.retries ?? 5,
    retryDelay: 200,
  };
  if (connection.ssl !== undefined && connection.ssl !== false) {
    options.tls = connection.ssl === true ? {} : (connection.ssl as BaseOptions['tls']);
  }
  if (connection.sasl !== undefined) options.sasl = saslOf(connection.sasl);
  return options;
}

/** kafkajs's `sasl` shape to @platformatic/kafka's, for the mechanisms both know. */
function saslOf(sasl: NonNullable<KafkaConnection['sasl']>): SASLOptions {
  const mechanism = sasl.mechanism.toUpperCase();
  if ((mechanism === 'PLAIN' || mechanism.startsWith('SCRAM-')) && 'username' in sasl) {
    return {
      mechanism: mechanism as SASLOptions['mechanism'],
      username: sasl.username,
      password: sasl.password,
    };
  }
  throw new ConfigurationError(
    `SASL mechanism ${sasl.mechanism} is not mapped for the platformatic client; use client: 'kafkajs'`,
  );
}

/**
 * @platformatic/kafka's idempotent producer: acks=all, its own retries and sequence numbers. The
 * micro-batcher in front of it groups concurrent calls into one request. Messages get an explicit
 * partition (Java's choice), so each one's acknowledgement is read from the answer.
 */
export class PlatformaticProducer implements ProducerDriver {
  private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  private readonly partitions = new PartitionCounts(async (topics) => {
    const metadata = await this.producer.metadata({ topics, forceUpdate: true });
    return new Map(topics.map((topic) => [topic, metadata.topics.get(topic)?.partitionsCount ?? 0]));
  });

  constructor(connection: KafkaConnection, settings: ProducerSettings) {
    const base = platformaticOptions(connection);
    this.producer = new Producer({
      ...base,
      timeout: settings.ackTimeoutMs,
      // The client retries without end when idempotent and given none; a publish must be bounded.
      retries: typeof base.retries === 'number' && base.retries > 1 ? base.retries : 5,
      idempotent: settings.idempotent,
      acks: -1,
      compression: settings.compression === 'none' ? undefined : settings.compression,
      autocreateTopics: false,
      strict: false,
    });
  }

  async connect(): Promise<void> {
    await this.producer.metadata({ topics: [] });
  }

  assign(outgoing: Outgoing[]): Promise<Outgoing[]> {
    return this.partitions.assign(outgoing);
  }

  async send(outgoing: Outgoing[]): Promise<unknown[]> {
    await this.partitions.refresh(outgoing);
    const partitions: number[] = new Array(outgoing.length);
    const messages: Array<MessageToProduce<Buffer, Buffer, Buffer, Buffer>> = new Array(outgoing.length);
    for (let i = 0; i < outgoing.length; i += 1) {
      // the partition is chosen here, without a copy of each message as `assign` makes
      const { topic, message } = outgoing[i]!;
      const partition = message.partition ?? this.partitions.partitionOf(outgoing[i]!);
      partitions[i] = partition;
      messages[i] = {
        topic,
        partition,
        key: message.key === null ? undefined : toBuffer(message.key),
        value: message.value === null ? undefined : toBuffer(message.value),
        headers: toBufferHeaders(message.headers),
        timestamp: message.timestamp === undefined ? undefined : BigInt(message.timestamp),
      };
    }
    let acknowledged: Set<string>;
    let failure: unknown;
    try {
      const result = await this.producer.send({ messages });
      acknowledged = new Set((result.offsets ?? []).map((o) => `${o.topic}/${o.partition}`));
    } catch (error) {
      // Requests to other leaders may have been answered: those partitions are acknowledged.
      const produced = (error as { produced?: { offsets?: Array<{ topic: string; partition: number }> } })
        .produced;
      acknowledged = new Set((produced?.offsets ?? []).map((o) => `${o.topic}/${o.partition}`));
      failure = error;
    }
    return outgoing.map(({ topic }, i) =>
      acknowledged.has(`${topic}/${partitions[i]}`)
        ? undefined
        : (failure ?? new Error(`no acknowledgement for ${topic}/${partitions[i]}`)),
    );
  }

  close(): Promise<void> {
    return this.producer.close(true);
  }
}

function toBuffer(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value) : value;
}

/** Header names as bytes, made once: every message carries the same few (`HEADERS`). */
const headerNames = new Map<string, Buffer>();
const HEADER_NAMES_CACHED = 64;

function toBufferHeaders(headers: Record<string, string | Buffer>): Map<Buffer, Buffer> {
  const map = new Map<Buffer, Buffer>();
  for (const name in headers) {
    let bytes = headerNames.get(name);
    if (bytes === undefined) {
      bytes = Buffer.from(name);
      // bounded: a host's own header names beyond the first few are converted each time
      if (headerNames.size < HEADER_NAMES_CACHED) headerNames.set(name, bytes);
    }
    map.set(bytes, toBuffer(headers[name]!));
  }
  return map;
}

/**
 * Bytes of one fetch response, and of one partition in it. The client's defaults (50 MiB each)
 * make a response of hundreds of socket chunks, and its reader finds a position by walking the
 * chunk list from the start on every read: decoding a response is quadratic in its size. At
 * 512 KiB a response is a few chunks, and a partition may fill it. On the benchmark's
 * 200,000-message backlog (2026-12-06, runs interleaved) the consumer cost 13.8-14.7 µs of CPU a
 * message with 512 KiB against 15.1-16.5 µs with 1 MiB (the Java consumer's
 * `max.partition.fetch.bytes` and kafkajs's default, which the JVM's reader pays nothing for).
 */
const FETCH_MAX_BYTES = 524_288;
const FETCH_MAX_BYTES_PER_PARTITION = 524_288;

/** Messages fetched ahead of the handlers before fetching pauses, and when it resumes. */
const HIGH_WATER = 10_000;
const LOW_WATER = 2_000;
/** The most messages of one partition handed over at once. */
const MAX_BATCH = 1_000;
/** The pause before a failed batch is handed over again, in ms. */
const RETRY_BATCH_MS = 1_000;

interface PartitionState {
  topic: string;
  partition: number;
  queue: RawMessage[];
  /** The next offset not yet queued or handled here: older ones fetched again are skipped. */
  next: bigint | undefined;
  /** Bumped when the partition is taken away: a batch of an older epoch is stale. */
  epoch: number;
  assigned: boolean;
  working: boolean;
}

/**
 * A @platformatic/kafka consumer group member. The client fetches into one stream; here each
 * partition gets its own queue and is handed over in order, up to `concurrency` partitions at
 * once. The client heartbeats by itself; after a rebalance it fetches again from the committed
 * offsets, so a partition's messages already handed over here are skipped, and batches of a
 * partition that moved away end without committing.
 */
export class PlatformaticGroupConsumer implements GroupConsumerDriver {
  private readonly consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  private readonly partitions = new Map<string, PartitionState>();
  private queued = 0;
  private running = false;
  private userPaused = false;
  private flowPaused = false;
  private activeWorkers = 0;
  private readonly waitingWorkers: PartitionState[] = [];
  private input: GroupRun | undefined;
  /** Set once the client failed for good: reported once; the adapter replaces this member. */
  private failed = false;
  /** Fails `run` while it waits for the first assignment. */
  private failJoin: ((error: unknown) => void) | undefined;

  constructor(connection: KafkaConnection, settings: GroupSettings) {
    this.consumer = new Consumer({
      ...platformaticOptions(connection),
      groupId: settings.groupId,
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: settings.heartbeatIntervalMs,
      rebalanceTimeout: Math.max(settings.sessionTimeoutMs, 10_000),
      maxWaitTime: settings.maxWaitTimeMs,
      groupInstanceId: settings.groupInstanceId,
      autocommit: false,
      autocreateTopics: false,
      strict: false,
    });
    // The client emits `error` when the rejoin it starts by itself (a heartbeat answered
    // "rebalance in progress") fails, e.g. because the group coordinator died during the
    // JoinGroup; it heartbeats no more after that. Node throws an `error` event nobody listens to:
    // before this listener, that exception killed the host process (the fault suite's broker kill,
    // 2026-12-06: the example's worker died and 134 acknowledged reservations were never handled).
    this.consumer.on('error', (error: unknown) => this.fail(error));
  }

  async run(input: GroupRun): Promise<void> {
    this.input = input;
    this.running = true;
    const joined = new Promise<void>((resolve, reject) => {
      this.failJoin = reject;
      this.consumer.once('consumer:group:join', () => {
        this.failJoin = undefined;
        resolve();
      });
    });
    joined.catch(() => undefined); // awaited below, after the stream is made
    this.consumer.on('consumer:group:join', ({ assignments }: { assignments?: GroupAssignment[] }) =>
      this.assign(assignments ?? []),
    );
    const stream = await this.consumer.consume({
      topics: input.topics,
      mode: 'committed',
      fallbackMode: input.fromBeginning ? 'earliest' : 'latest',
      autocommit: false,
      highWaterMark: 1_024,
      maxBytes: FETCH_MAX_BYTES,
      maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION,
    });
    this.stream = stream;
    this.assign(this.consumer.assignments ?? []);
    stream.on('data', (message: RawMessage) => this.enqueue(message));
    stream.on('error', (error: unknown) => this.fail(error));
    await joined;
  }

  /**
   * The client gave up on this member (its stream failed, or its own rejoin did): the first such
   * failure fails `run` before the member joined, or is reported as a crash without restart, so
   * the adapter replaces the member. Failures after that, or after `disconnect`, have nothing
   * left to stop.
   */
  private fail(error: unknown): void {
    if (!this.running || this.failed) return;
    this.failed = true;
    const failJoin = this.failJoin;
    this.failJoin = undefined;
    if (failJoin) failJoin(error);
    else this.input?.onCrash(error, false);
  }

  pause(_topics: string[]): void {
    this.userPaused = true;
    this.stream?.pause();
  }

  resume(_topics: string[]): void {
    this.userPaused = false;
    if (!this.flowPaused) this.stream?.resume();
  }

  async disconnect(): Promise<void> {
    this.running = false;
    this.failJoin?.(new Error('the member left the group before it joined'));
    this.failJoin = undefined;
    for (const state of this.partitions.values()) this.drop(state);
    await this.stream?.close().catch(() => undefined);
    await this.consumer.close(true);
  }

  /** The group's new assignment: partitions not in it are stale; the rest start over from the client's fetch. */
  private assign(assignments: GroupAssignment[]): void {
    const owned = new Set(assignments.flatMap((a) => a.partitions.map((p) => `${a.topic}/${p}`)));
    for (const [key, state] of this.partitions) {
      if (owned.has(key)) continue;
      this.drop(state);
      state.assigned = false;
      state.epoch += 1;
      state.next = undefined;
    }
    for (const key of owned) {
      const state = this.partitions.get(key);
      if (state) state.assigned = true;
    }
  }

  private drop(state: PartitionState): void {
    this.queued -= state.queue.length;
    state.queue = [];
    this.flow();
  }

  private enqueue(message: RawMessage): void {
    if (!this.running) return;
    const key = `${message.topic}/${message.partition}`;
    let state = this.partitions.get(key);
    if (!state) {
      state = {
        topic: message.topic,
        partition: message.partition,
        queue: [],
        next: undefined,
        epoch: 0,
        assigned: true,
        working: false,
      };
      this.partitions.set(key, state);
    }
    if (!state.assigned) return;
    if (state.next !== undefined && message.offset < state.next) return; // fetched again after a rejoin
    state.next = message.offset + 1n;
    state.queue.push(message);
    this.queued += 1;
    this.flow();
    this.schedule(state);
  }

  /** Pauses fetching while too much waits for the handlers. */
  private flow(): void {
    if (!this.flowPaused && this.queued >= HIGH_WATER) {
      this.flowPaused = true;
      this.stream?.pause();
    } else if (this.flowPaused && this.queued <= LOW_WATER) {
      this.flowPaused = false;
      if (!this.userPaused) this.stream?.resume();
    }
  }

  private schedule(state: PartitionState): void {
    if (state.working || state.queue.length === 0) return;
    state.working = true;
    if (this.activeWorkers >= (this.input?.concurrency ?? 1)) {
      this.waitingWorkers.push(state);
      return;
    }
    this.work(state);
  }

  private work(state: PartitionState): void {
    this.activeWorkers += 1;
    // After the I/O phase: every message of the fetch that woke the partition is queued by then,
    // so the first batch is a whole fetch rather than its first message.
    const drained = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain(state));
    void drained.finally(() => {
      this.activeWorkers -= 1;
      state.working = false;
      const next = this.waitingWorkers.shift();
      if (next) this.work(next);
      this.schedule(state);
    });
  }

  /** Hands the partition's queue over, batch after batch, until it is empty. */
  private async drain(state: PartitionState): Promise<void> {
    while (this.running && state.queue.length > 0) {
      const taken = state.queue.splice(0, MAX_BATCH);
      this.queued -= taken.length;
      this.flow();
      const epoch = state.epoch;
      const messages: IncomingMessage[] = new Array(taken.length);
      for (let i = 0; i < taken.length; i += 1) messages[i] = new Incoming(taken[i]!);
      // commits come in offset order: the search for the next one starts where the last ended
      let searchFrom = 0;
      const batch: PartitionBatch = {
        topic: state.topic,
        partition: state.partition,
        messages,
        heartbeat: async () => {},
        isRunning: () => this.running,
        isStale: () => state.epoch !== epoch,
        resolveOffset: () => {},
        commit: async (next) => {
          const offset = BigInt(next) - 1n;
          let at = taken.findIndex((m, i) => i >= searchFrom && m.offset === offset);
          if (at < 0) at = taken.findIndex((m) => m.offset === offset);
          if (at < 0) return;
          searchFrom = at;
          await taken[at]!.commit();
        },
      };
      try {
        await this.input?.eachBatch(batch);
      } catch (error) {
        // The batch failed without finishing (e.g. a dead letter could not be written): its
        // messages are handed over again after a pause, as kafkajs re-reads from the last
        // resolved offset. Those it had handled come again: delivery is at least once.
        this.input?.onCrash(error, true);
        await new Promise((resolve) => setTimeout(resolve, RETRY_BATCH_MS));
        if (state.epoch !== epoch || !this.running) return;
        state.queue.unshift(...taken);
        this.queued += taken.length;
      }
    }
  }
}

/**
 * The message as the consumer reads it; the offset as text and the headers are made only when
 * asked for (commits, dead letters), and the getters live on the prototype, not per message.
 */
class Incoming implements IncomingMessage {
  private text: string | undefined;
  private read: IncomingHeaders | undefined;

  constructor(private readonly message: RawMessage) {}

  get offset(): string {
    this.text ??= this.message.offset.toString();
    return this.text;
  }

  get key(): Buffer | null {
    return this.message.key ?? null;
  }

  get value(): Buffer | null {
    return this.message.value ?? null;
  }

  get headers(): IncomingHeaders {
    if (this.read === undefined) {
      this.read = {};
      for (const [name, value] of this.message.headers) this.read[name.toString()] = value;
    }
    return this.read;
  }
}
