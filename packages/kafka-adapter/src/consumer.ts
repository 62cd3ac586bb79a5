import {
  ConfigurationError,
  type DeadLetter,
  type DomainEvent,
  type DomainEventType,
  type EventConsumer,
  type EventHandler,
  InfrastructureError,
  type RetryPolicy,
  SeatRushError,
} from '@seatrush/core';
import { validate, z } from '@seatrush/core/ports';
import type { Admin, Kafka } from 'kafkajs';
import { ConfluentGroupConsumer, ConfluentProducer } from './clients/confluent';
import { KafkajsGroupConsumer, KafkajsProducer } from './clients/kafkajs';
import { PlatformaticGroupConsumer, PlatformaticProducer } from './clients/platformatic';
import {
  DEFAULT_CLIENT,
  type GroupConsumerDriver,
  type IncomingMessage,
  KAFKA_CLIENTS,
  type KafkaClientName,
  type PartitionBatch,
  type ProducerDriver,
} from './clients/types';
import { bodyOf, decodeEvent } from './codec';
import { createKafka, type KafkaConnection } from './connection';
import { deadLetterMessage, describeOrigin, type MessageOrigin } from './dead-letter';
import { ensureTopics, type TopicSettings, TopicSettingsSchema } from './provision';
import { retriable } from './retriable';
import { backoffDelay, DEFAULT_RETRY_POLICY, RetryPolicySchema } from './retry';
import { DEFAULT_TOPIC_PREFIX, EVENT_TYPES, TopicNames, TopicPrefix } from './topics';

/** Options of {@link KafkaEventConsumer}. */
export interface KafkaEventConsumerOptions {
  connection: KafkaConnection;
  /**
   * The client library: `platformatic` (@platformatic/kafka, the default: see `DEFAULT_CLIENT`;
   * maintained, Kafka's own static membership) or `kafkajs` (through this adapter it consumed
   * ~15 % cheaper a message on a loaded machine, ~40 % dearer on a quiet one: README), or
   * `confluent` (@confluentinc/kafka-javascript, librdkafka: a native addon that must be built,
   * see the README; throws `KafkaClientUnavailableError` when it is not).
   */
  client?: KafkaClientName;
  /** The consumer group: each group receives every event once; its members share the partitions. */
  groupId: string;
  /**
   * Static group membership: a stable id per worker slot (a pod name, a host and process index),
   * never shared by two live processes. A member restarted with the same id takes its partitions
   * back at once, without waiting for its old session to lapse — how a SIGKILLed worker is
   * replaced within a second. Without it, a killed member's partitions wait `sessionTimeoutMs`.
   * On platformatic it is Kafka's `group.instance.id` (KIP-345). kafkajs has none, so it is
   * emulated: the member's client id names the slot, and once it has asked to join, the slot's
   * earlier members are removed from the group (LeaveGroup by member id).
   */
  groupInstanceId?: string;
  /** Goes before every topic name. Default `seatrush`. */
  topicPrefix?: string;
  /** Retries when `start` names none. Default 5 tries, 200 ms doubling to 5 s, with jitter. */
  retry?: RetryPolicy;
  /** Partitions handled at the same time (each one strictly in order). Default 3. */
  partitionsConsumedConcurrently?: number;
  /** Within a batch, offsets are committed after this many handled messages, and at its end. Default 100. */
  commitEvery?: number;
  /**
   * Within a batch, `commitEvery` commits of a partition are at least this many ms apart (the end
   * of a batch always commits). A fast handler then commits a few times a second instead of every
   * `commitEvery` messages: each OffsetCommit costs a request, and at 20,000 messages/s they were
   * 7 % of the consumer's CPU. What a crash replays stays below `commitEvery` messages or this
   * long a stretch of work per partition, whichever is more. Default 200; 0 commits every
   * `commitEvery`.
   */
  commitIntervalMs?: number;
  /**
   * When the handler has `handleBatch`, up to this many messages of a partition are handed to it
   * at once (a reservation processor then inserts them in one statement and settles them
   * concurrently instead of one after another). Default 50; 1 turns batching off.
   */
  batchSize?: number;
  /** Start a new group at the oldest message (true) or at the newest (false). Default true. */
  fromBeginning?: boolean;
  /**
   * The broker drops a member silent this long, in ms (at least the broker's
   * `group.min.session.timeout.ms`, 6,000 by default). Default 10,000
   * ({@link DEFAULT_SESSION_TIMEOUT_MS}). A replaced member with `groupInstanceId` does not wait
   * for it.
   */
  sessionTimeoutMs?: number;
  /** How long a fetch waits on the broker for new messages, in ms (Kafka's `fetch.max.wait.ms`). Default 500. */
  maxWaitTimeMs?: number;
  /** Heartbeats this often, also during retry waits, in ms. Default 1,000. */
  heartbeatIntervalMs?: number;
  /**
   * Back-pressure: while it answers true, fetching pauses and no further message is started;
   * consumption resumes once it answers false (e.g. a full database pool).
   */
  backpressure?: () => boolean;
  /** Creates missing topics at start with these settings; `false` expects them to exist. Default `{}`. */
  provision?: TopicSettings | false;
  /** Failures that do not stop consumption (a failing `onDeadLetter` hook, a rejected commit). Default: console.error. */
  onError?: (error: SeatRushError) => void;
  /** The source of retry jitter, in [0, 1). Default Math.random. */
  random?: () => number;
  /** The clock stamped on dead letters. Default Date.now. */
  now?: () => number;
}

const GroupId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,200}$/, 'group id must be 1-200 characters of A-Z a-z 0-9 . _ -');
const OptionsSchema = z.object({
  client: z.enum(KAFKA_CLIENTS).optional(),
  groupId: GroupId,
  groupInstanceId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,200}$/, 'group instance id must be 1-200 characters of A-Z a-z 0-9 . _ -')
    .optional(),
  topicPrefix: TopicPrefix.optional(),
  retry: RetryPolicySchema.optional(),
  partitionsConsumedConcurrently: z.number().int().min(1).max(1_000).optional(),
  commitEvery: z.number().int().min(1).max(100_000).optional(),
  commitIntervalMs: z.number().int().min(0).max(60_000).optional(),
  batchSize: z.number().int().min(1).max(10_000).optional(),
  fromBeginning: z.boolean().optional(),
  sessionTimeoutMs: z.number().int().min(6_000).max(300_000).optional(),
  heartbeatIntervalMs: z.number().int().min(100).max(60_000).optional(),
  maxWaitTimeMs: z.number().int().min(0).max(60_000).optional(),
  provision: z.union([z.literal(false), TopicSettingsSchema]).optional(),
});
const aFunction = z.custom<(...args: never[]) => unknown>(
  (v) => typeof v === 'function',
  'must be a function',
);
const StartSchema = z.object({
  types: z
    .array(z.enum(EVENT_TYPES as [DomainEventType, ...DomainEventType[]]))
    .min(1, 'at least one event type'),
  handler: z
    .object({ handle: aFunction, handleBatch: aFunction.optional(), onDeadLetter: aFunction.optional() })
    .loose(),
  retry: RetryPolicySchema.optional(),
});

/**
 * A member silent this long is dropped and its partitions move, in ms: what a killed worker that
 * is not replaced (no `groupInstanceId`, or none restarted) costs. 10 s is ten heartbeats, so a
 * loaded machine's event-loop stalls of a second or two do not cost a rebalance; the broker
 * refuses less than its `group.min.session.timeout.ms` (6 s by default).
 */
export const DEFAULT_SESSION_TIMEOUT_MS = 10_000;
/**
 * `commitEvery` commits of a partition are at least this far apart, in ms: a few commits a second
 * instead of one per 100 messages of a fast handler.
 */
export const DEFAULT_COMMIT_INTERVAL_MS = 200;
/** Heartbeats this often, in ms: surviving members hear of a rebalance within a second. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1_000;

/** Raised inside a batch when it must end without committing (stopping, or the partition moved). */
const ABORTED = Symbol('aborted');

/** The settled state of one running subscription. */
interface Running {
  /** The group member; replaced by a fresh one when its client gives up on it (see `rejoin`). */
  consumer: GroupConsumerDriver;
  deadLetters: ProducerDriver;
  handler: EventHandler;
  retry: RetryPolicy;
  topics: string[];
  paused: boolean;
  rejoining?: boolean;
  /** The last member whose client gave up on it; while it is still `consumer`, it is replaced. */
  failed?: GroupConsumerDriver;
}

/**
 * Delivers events from Kafka to a handler at least once, in order per partition (so per key),
 * committing each offset only after the handler resolved — its work must be durable by then.
 * A failing event is retried with exponential backoff and jitter, then written to the
 * dead-letter topic with the reason, the attempts and its origin, and the partition moves on;
 * an unreadable message (bad JSON, failed schema, wrong topic) goes there at once.
 */
export class KafkaEventConsumer implements EventConsumer {
  /** The topic names this consumer reads from. */
  readonly topics: TopicNames;
  /** The consumer group. */
  readonly groupId: string;
  /** The client library in use. */
  readonly client: KafkaClientName;
  private readonly kafka: Kafka;
  private readonly options: KafkaEventConsumerOptions;
  private readonly provision: TopicSettings | false;
  private running: Running | undefined;
  private subscribed: string[] = [];
  private stopping = false;
  private readonly wakeSleepers = new Set<() => void>();
  private readonly batchesInFlight = new Set<Promise<unknown>>();

  /** @throws ValidationError when an option is malformed. */
  constructor(options: KafkaEventConsumerOptions) {
    const valid = validate('Kafka consumer options', OptionsSchema, { ...options, connection: undefined });
    this.kafka = createKafka(options.connection);
    this.options = options;
    this.groupId = valid.groupId;
    this.client = valid.client ?? DEFAULT_CLIENT;
    this.topics = new TopicNames(valid.topicPrefix ?? DEFAULT_TOPIC_PREFIX);
    this.provision = valid.provision ?? {};
  }

  /**
   * Joins the group and starts delivering the given event types to `handler`. Resolves once
   * partitions are assigned.
   * @throws ValidationError for bad input; ConfigurationError when already started;
   *   InfrastructureError when Kafka cannot be reached.
   */
  async start(input: {
    types: DomainEventType[];
    handler: EventHandler;
    retry?: RetryPolicy;
  }): Promise<void> {
    const valid = validate('consumer start', StartSchema, input);
    if (this.running) throw new ConfigurationError(`consumer group ${this.groupId} is already started`);
    const topics = [...new Set(valid.types)].map((type) => this.topics.of(type));
    const consumer = this.groupMember();
    const producerSettings = { idempotent: true, compression: 'none' as const, ackTimeoutMs: 30_000 };
    const deadLetters =
      this.client === 'kafkajs'
        ? new KafkajsProducer(this.kafka, producerSettings)
        : this.client === 'confluent'
          ? new ConfluentProducer(this.options.connection, producerSettings)
          : new PlatformaticProducer(this.options.connection, producerSettings);
    const running: Running = {
      consumer,
      deadLetters,
      handler: input.handler,
      retry: valid.retry ?? this.options.retry ?? DEFAULT_RETRY_POLICY,
      topics,
      paused: false,
    };
    this.running = running;
    this.stopping = false;
    try {
      if (this.provision !== false)
        await this.withAdmin((admin) =>
          ensureTopics(admin, [...topics, this.topics.deadLetter], this.provision || {}),
        );
      await deadLetters.connect();
      await this.joinWithin(consumer, running);
      this.subscribed = topics;
    } catch (cause) {
      this.running = undefined;
      await Promise.allSettled([consumer.disconnect(), deadLetters.close()]);
      if (cause instanceof SeatRushError) throw cause;
      throw new InfrastructureError(`could not start Kafka consumer ${this.groupId}: ${String(cause)}`, {
        cause,
      });
    }
  }

  /**
   * Runs a member and waits for its first assignment, for at most two session timeouts: a join
   * that hangs (its coordinator gone) fails, so the caller can try a fresh member.
   */
  private async joinWithin(member: GroupConsumerDriver, running: Running): Promise<void> {
    const patience = this.sessionTimeoutMs() * 2;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        member.run(this.runInput(running, member)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new InfrastructureError(
                  `consumer group ${this.groupId} got no partitions within ${patience} ms`,
                ),
              ),
            patience,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** How a group member runs for `running`: the same for the first member and every rejoin. */
  private runInput(running: Running, member: GroupConsumerDriver): Parameters<GroupConsumerDriver['run']>[0] {
    return {
      topics: running.topics,
      fromBeginning: this.options.fromBeginning ?? true,
      concurrency: this.options.partitionsConsumedConcurrently ?? 3,
      eachBatch: (batch) => this.trackBatch(this.handleBatch(running, batch)),
      onCrash: (cause, restart) => {
        this.report(
          new InfrastructureError(
            `Kafka consumer ${this.groupId} failed (restart: ${restart}): ${String(cause)}`,
            {
              cause,
            },
          ),
        );
        // the client gave up on this member (e.g. the brokers were gone longer than its retries):
        // a fresh member rejoins, so consumption resumes once the brokers are back
        if (!restart) {
          running.failed = member;
          void this.rejoin(running);
        }
      },
    };
  }

  /**
   * Replaces a member its client gave up on with a fresh one, retrying with backoff (up to 5 s
   * apart) until it joins or the consumer is stopped. Committed offsets carry over: the new
   * member starts where the group left off, so nothing is skipped (a duplicate is deduplicated by
   * idempotent handlers).
   */
  private async rejoin(running: Running): Promise<void> {
    if (running.rejoining) return;
    running.rejoining = true;
    try {
      // Until the member in place is one its client has not given up on: a member that fails
      // right after it joined (while this loop ends) is replaced too, not left dead.
      for (
        let attempt = 1;
        !this.stopping && this.running === running && running.failed === running.consumer;
        attempt += 1
      ) {
        await sleep(Math.min(5_000, 250 * 2 ** attempt));
        if (this.stopping || this.running !== running) return;
        await running.consumer.disconnect().catch(() => undefined);
        const member = this.groupMember();
        running.consumer = member;
        try {
          await this.joinWithin(member, running);
          if (running.paused) member.pause(running.topics);
          attempt = 0;
        } catch (cause) {
          running.failed = member;
          this.report(
            new InfrastructureError(`Kafka consumer ${this.groupId} could not rejoin: ${String(cause)}`, {
              cause,
            }),
          );
        }
      }
    } finally {
      running.rejoining = false;
    }
  }

  private groupMember(): GroupConsumerDriver {
    const settings = {
      groupId: this.groupId,
      sessionTimeoutMs: this.sessionTimeoutMs(),
      heartbeatIntervalMs: this.heartbeatIntervalMs(),
      maxWaitTimeMs: this.options.maxWaitTimeMs ?? 500,
      groupInstanceId: this.options.groupInstanceId,
    };
    return this.client === 'kafkajs'
      ? new KafkajsGroupConsumer(this.options.connection, settings)
      : this.client === 'confluent'
        ? new ConfluentGroupConsumer(this.options.connection, settings)
        : new PlatformaticGroupConsumer(this.options.connection, settings);
  }

  private sessionTimeoutMs(): number {
    return this.options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
  }

  private heartbeatIntervalMs(): number {
    return this.options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  }

  /**
   * Stops gracefully: the message in hand is finished (or, in a retry wait, left for the next
   * owner), handled offsets are committed, and the member leaves the group so its partitions move
   * at once.
   */
  async stop(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.stopping = true;
    for (const wake of this.wakeSleepers) wake();
    try {
      // Let batches in hand finish their message and commit before the member leaves the group.
      await Promise.allSettled([...this.batchesInFlight]);
      await running.consumer.disconnect();
      await running.deadLetters.close();
    } finally {
      this.running = undefined;
    }
  }

  /**
   * Messages not yet handled by this group: the sum over partitions of the end offset minus the
   * committed offset, over the subscribed topics — or, before `start`, over this prefix's topics
   * the group has committed on. Batches in flight are given up to a second to commit first, so a
   * just-handled event does not count.
   */
  async lag(): Promise<number> {
    await Promise.race([Promise.allSettled([...this.batchesInFlight]), sleep(1_000)]);
    return this.withAdmin(async (admin) => {
      const committed =
        this.subscribed.length > 0
          ? await retriable(() => admin.fetchOffsets({ groupId: this.groupId, topics: this.subscribed }))
          : (await retriable(() => admin.fetchOffsets({ groupId: this.groupId }))).filter(
              (t) => this.topics.typeOf(t.topic) !== undefined,
            );
      let lag = 0;
      for (const { topic, partitions } of committed) {
        const ends = await retriable(() => admin.fetchTopicOffsets(topic));
        for (const end of ends) {
          const done = Number(partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
          const from = done >= 0 ? done : Number(end.low);
          lag += Math.max(0, Number(end.high) - from);
        }
      }
      return lag;
    });
  }

  /** Stops fetching (e.g. for maintenance); messages in hand are still finished. */
  pause(): void {
    const running = this.running;
    if (!running || running.paused) return;
    running.paused = true;
    running.consumer.pause(running.topics);
  }

  /** Resumes fetching after {@link pause} or back-pressure. */
  resume(): void {
    const running = this.running;
    if (!running?.paused) return;
    running.paused = false;
    running.consumer.resume(running.topics);
  }

  private trackBatch(batch: Promise<void>): Promise<void> {
    this.batchesInFlight.add(batch);
    return batch.finally(() => this.batchesInFlight.delete(batch));
  }

  private async handleBatch(running: Running, batch: PartitionBatch): Promise<void> {
    const { heartbeat, isRunning, isStale, resolveOffset } = batch;
    const live = () => isRunning() && !isStale() && !this.stopping;
    const commitEvery = this.options.commitEvery ?? 100;
    const commitIntervalMs = this.options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS;
    let handled: string | undefined;
    let sinceCommit = 0;
    let committedAt = performance.now();
    const commit = async () => {
      if (handled === undefined || sinceCommit === 0) return;
      sinceCommit = 0;
      committedAt = performance.now();
      await batch.commit((BigInt(handled) + 1n).toString());
    };
    // Without handleBatch (or with batchSize 1) each message is handled alone, strictly in order.
    const chunkSize = running.handler.handleBatch ? (this.options.batchSize ?? 50) : 1;
    const expected = this.topics.typeOf(batch.topic);
    const originOf = (message: IncomingMessage): MessageOrigin => ({
      topic: batch.topic,
      partition: batch.partition,
      offset: message.offset,
    });
    try {
      for (let start = 0; start < batch.messages.length; start += chunkSize) {
        await this.waitWhileOverloaded(running, live, heartbeat);
        if (!live()) break;
        const chunk = batch.messages.slice(start, start + chunkSize);
        if (chunk.length === 1) {
          const only = chunk[0]!;
          await this.handleMessage(running, only, originOf(only), live, heartbeat);
        } else {
          await this.handleChunk(running, chunk, expected, originOf, live, heartbeat);
        }
        // the chunk is handled (or dead-lettered) as a whole: its last offset is done
        const last = chunk[chunk.length - 1]!.offset;
        resolveOffset(last);
        handled = last;
        sinceCommit += chunk.length;
        if (sinceCommit >= commitEvery && performance.now() - committedAt >= commitIntervalMs) await commit();
        await heartbeat();
      }
    } catch (error) {
      if (error !== ABORTED) {
        await commit().catch(() => undefined);
        throw error;
      }
    }
    // A stale batch belongs to another member now: committing for it could move its offset.
    if (!isStale()) await commit();
  }

  /**
   * Hands a chunk of one partition to `handleBatch`: unreadable messages go to the dead-letter
   * topic at once, and what the batch could not finish (or all of it, when it threw) is retried
   * one by one with the usual backoff, its batch try counted as the first attempt. Each message
   * is decoded once; nothing else is made per message unless it fails.
   */
  private async handleChunk(
    running: Running,
    chunk: IncomingMessage[],
    expected: DomainEventType | undefined,
    originOf: (message: IncomingMessage) => MessageOrigin,
    live: () => boolean,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const events: DomainEvent[] = [];
    const messages: IncomingMessage[] = [];
    for (const message of chunk) {
      const decoded = decodeEvent(bodyOf(message), expected);
      if (decoded.ok) {
        events.push(decoded.event);
        messages.push(message);
      }
      // unreadable: handleMessage sends it to the dead-letter topic at once, as for a single message
      else await this.handleMessage(running, message, originOf(message), live, heartbeat);
    }
    if (events.length === 0) return;
    let failed: Map<string, unknown>;
    try {
      const outcome = await running.handler.handleBatch!(events);
      if (outcome.failed.length === 0) return;
      failed = new Map(outcome.failed.map(({ event, error }) => [event.eventId, error]));
    } catch (error) {
      failed = new Map(events.map((event) => [event.eventId, error]));
    }
    for (let i = 0; i < events.length; i += 1) {
      const event = events[i]!;
      if (!failed.has(event.eventId)) continue;
      const message = messages[i]!;
      await this.handleMessage(running, message, originOf(message), live, heartbeat, {
        error: failed.get(event.eventId),
      });
    }
  }

  /**
   * Handles one message to its end: handled, or dead-lettered. Throws ABORTED when it must be left.
   * `failedOnce` is a batch attempt that already failed: it counts as the first try.
   */
  private async handleMessage(
    running: Running,
    message: IncomingMessage,
    origin: MessageOrigin,
    live: () => boolean,
    heartbeat: () => Promise<void>,
    failedOnce?: { error: unknown },
  ): Promise<void> {
    const raw = bodyOf(message);
    const decoded = decodeEvent(raw, this.topics.typeOf(origin.topic));
    if (!decoded.ok) {
      await this.deadLetter(running, {
        message,
        origin,
        event: null,
        raw,
        error: decoded.error,
        attempts: 0,
      });
      return;
    }
    const { maxAttempts } = running.retry;
    if (failedOnce) {
      if (maxAttempts <= 1) {
        const error = describeError(failedOnce.error);
        await this.deadLetter(running, { message, origin, event: decoded.event, raw, error, attempts: 1 });
        return;
      }
      await this.sleepAlive(backoffDelay(running.retry, 1, this.options.random), live, heartbeat);
    }
    for (let attempt = failedOnce ? 2 : 1; ; attempt += 1) {
      try {
        await running.handler.handle(decoded.event, { attempt });
        return;
      } catch (error) {
        if (attempt >= maxAttempts) {
          await this.deadLetter(running, {
            message,
            origin,
            event: decoded.event,
            raw,
            error: describeError(error),
            attempts: attempt,
          });
          return;
        }
        const delay = backoffDelay(running.retry, attempt, this.options.random);
        await this.sleepAlive(delay, live, heartbeat);
      }
    }
  }

  private async deadLetter(
    running: Running,
    input: {
      message: IncomingMessage;
      origin: MessageOrigin;
      event: DomainEvent | null;
      raw: string;
      error: { code: string; message: string };
      attempts: number;
    },
  ): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    try {
      const [error] = await running.deadLetters.send([
        {
          topic: this.topics.deadLetter,
          message: deadLetterMessage({
            original: input.message,
            origin: input.origin,
            error: input.error,
            attempts: input.attempts,
            group: this.groupId,
            now,
          }),
        },
      ]);
      if (error !== undefined) throw error;
    } catch (cause) {
      // Not written to the dead-letter topic: the offset must not move, so the batch fails and
      // the message is delivered again.
      throw new InfrastructureError(
        `could not write a dead letter for ${describeOrigin(input.origin)}: ${String(cause)}`,
        { cause },
      );
    }
    const letter: DeadLetter = {
      event: input.event,
      raw: input.raw,
      error: input.error,
      attempts: input.attempts,
      source: describeOrigin(input.origin),
    };
    try {
      await running.handler.onDeadLetter?.(letter);
    } catch (cause) {
      this.report(
        new InfrastructureError(`onDeadLetter failed for ${letter.source}: ${String(cause)}`, { cause }),
      );
    }
  }

  private async waitWhileOverloaded(
    running: Running,
    live: () => boolean,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const overloaded = this.options.backpressure;
    if (!overloaded?.()) return;
    this.pause();
    try {
      while (overloaded() && live()) await this.sleepAlive(100, live, heartbeat);
    } finally {
      if (running === this.running) this.resume();
    }
  }

  /** Waits `ms`, heartbeating; throws ABORTED as soon as the consumer stops or loses the partition. */
  private async sleepAlive(ms: number, live: () => boolean, heartbeat: () => Promise<void>): Promise<void> {
    const interval = this.heartbeatIntervalMs();
    let left = ms;
    while (left > 0) {
      if (!live()) throw ABORTED;
      const step = Math.min(left, interval);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.wakeSleepers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, step);
        this.wakeSleepers.add(wake);
      });
      left -= step;
      if (!live()) throw ABORTED;
      await heartbeat();
    }
  }

  private async withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.disconnect();
    }
  }

  private report(error: SeatRushError): void {
    (this.options.onError ?? ((e: SeatRushError) => console.error(`[seatrush/kafka] ${e.message}`)))(error);
  }
}

function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof SeatRushError) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: 'HANDLER_FAILED', message: error.message };
  return { code: 'HANDLER_FAILED', message: String(error) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
