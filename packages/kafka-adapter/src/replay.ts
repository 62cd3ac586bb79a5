import { type DomainEventType, type EventOf, InfrastructureError, SaleId } from '@seatrush/core';
import { validate, z } from '@seatrush/core/ports';
import { CompressionTypes } from 'kafkajs';
import { sendAcknowledged } from './acknowledged-send';
import type { OutgoingMessage } from './clients/types';
import { bodyOf, decodeEvent } from './codec';
import { createKafka, type KafkaConnection } from './connection';
import { type DeadLetterRecord, describeOrigin, type MessageOrigin, readDeadLetter } from './dead-letter';
import { type ReadFrom, readTopic } from './topic-reader';
import { DEFAULT_TOPIC_PREFIX, EVENT_TYPES, TopicNames, TopicPrefix } from './topics';

/** Header a re-driven message carries: where in the dead-letter topic it was taken from. */
export const REDRIVEN_FROM_HEADER = 'sr-redriven-from';

const ReadFromSchema = z
  .object({
    timestamp: z.number().int().nonnegative().optional(),
    offsets: z
      .record(z.string().regex(/^\d+$/), z.string().regex(/^\d+$/, 'offset must be a whole number'))
      .optional(),
  })
  .optional();

const CommonSchema = z.object({ topicPrefix: TopicPrefix.optional(), from: ReadFromSchema });

/**
 * Every dead letter of a prefix (from a point, default the oldest), as records with the reason,
 * attempts, origin and group — for an operator to look at before re-driving.
 */
export async function readDeadLetters(options: {
  connection: KafkaConnection;
  topicPrefix?: string;
  from?: ReadFrom;
}): Promise<DeadLetterRecord[]> {
  const valid = validate('dead-letter read', CommonSchema, {
    topicPrefix: options.topicPrefix,
    from: options.from,
  });
  const topics = new TopicNames(valid.topicPrefix ?? DEFAULT_TOPIC_PREFIX);
  const letters: DeadLetterRecord[] = [];
  await readTopic(
    createKafka(options.connection),
    topics.deadLetter,
    valid.from ?? {},
    async (message, position) => {
      letters.push(readDeadLetter(message, position));
    },
  );
  return letters;
}

/** What a re-drive did. */
export interface RedriveResult {
  /** Dead letters published again to the topic they came from. */
  redriven: number;
  /** Dead letters the filter left alone. */
  skipped: number;
}

/**
 * Re-drives dead letters once their cause is fixed: each one the filter accepts (default: all)
 * is published again — same body, key and headers — to the topic it came from, with acks=all,
 * so every group subscribed there sees it again (handlers are idempotent, so a group that had
 * handled it is unharmed). The dead-letter topic is left as it is, as the record of what failed;
 * `from` limits a run to letters written after a point (e.g. the time of the fix, or the end of
 * the previous run).
 * @throws ValidationError for bad options; InfrastructureError when Kafka fails (then some letters
 *   may already have been re-driven: running it again is safe, as handlers are idempotent).
 */
export async function redriveDeadLetters(options: {
  connection: KafkaConnection;
  topicPrefix?: string;
  from?: ReadFrom;
  filter?: (letter: DeadLetterRecord) => boolean;
}): Promise<RedriveResult> {
  const letters = await readDeadLetters(options);
  const chosen = options.filter ? letters.filter(options.filter) : letters;
  const topics = new TopicNames(options.topicPrefix ?? DEFAULT_TOPIC_PREFIX);
  const byTopic = new Map<string, OutgoingMessage[]>();
  for (const letter of chosen) {
    // Only topics of this prefix: a forged source header must not make us write elsewhere.
    if (topics.typeOf(letter.origin.topic) === undefined) continue;
    const messages = byTopic.get(letter.origin.topic) ?? [];
    messages.push({
      // Back to the partition it came from: its key's partition, so its order holds.
      partition: letter.origin.partition,
      key: letter.key,
      value: letter.raw,
      headers: { ...letter.headers, [REDRIVEN_FROM_HEADER]: describeOrigin(letter.position) },
    });
    byTopic.set(letter.origin.topic, messages);
  }
  const producer = createKafka(options.connection).producer({ idempotent: true, maxInFlightRequests: 1 });
  let redriven = 0;
  try {
    await producer.connect();
    for (const [topic, messages] of byTopic) {
      for (let i = 0; i < messages.length; i += 500) {
        const chunk = messages.slice(i, i + 500).map((message) => ({ topic, message }));
        const outcome = await sendAcknowledged(producer, chunk, {
          timeoutMs: 30_000,
          compression: CompressionTypes.None,
        });
        const failed = outcome.find((error) => error !== undefined);
        if (failed !== undefined) throw failed;
        redriven += chunk.length;
      }
    }
  } catch (cause) {
    throw new InfrastructureError(`re-drive stopped after ${redriven} dead letter(s): ${String(cause)}`, {
      cause,
    });
  } finally {
    await producer.disconnect();
  }
  return { redriven, skipped: letters.length - redriven };
}

/** What a replay read. */
export interface ReplayResult {
  /** Events passed to `onEvent`. */
  events: number;
  /** Messages of other sales (when `saleId` is given). */
  otherSales: number;
  /** Messages that are not valid events of the type (they were dead-lettered by consumers). */
  unreadable: number;
}

const ReplaySchema = CommonSchema.extend({
  type: z.enum(EVENT_TYPES as [DomainEventType, ...DomainEventType[]]),
  saleId: SaleId.optional(),
});

/**
 * Replays one event type's topic — by default the audit topic of stock changes — from a point
 * (oldest, a time, or offsets) up to its end as of the call, calling `onEvent` with each valid
 * event, optionally of one sale only. Used to rebuild a sale's state (event sourcing) and by the
 * reconciler and auditors. Order is kept within a partition; a sale whose events are keyed by
 * reservation spans partitions, which is fine for stock, whose changes are additive.
 * @throws ValidationError for bad options; InfrastructureError when Kafka fails.
 */
export async function replayEvents<T extends DomainEventType = 'StockChanged'>(options: {
  connection: KafkaConnection;
  topicPrefix?: string;
  type?: T;
  saleId?: string;
  from?: ReadFrom;
  onEvent: (event: EventOf<T>, position: MessageOrigin) => void | Promise<void>;
}): Promise<ReplayResult> {
  const valid = validate('event replay', ReplaySchema, {
    topicPrefix: options.topicPrefix,
    from: options.from,
    type: options.type ?? 'StockChanged',
    saleId: options.saleId,
  });
  const topics = new TopicNames(valid.topicPrefix ?? DEFAULT_TOPIC_PREFIX);
  const result: ReplayResult = { events: 0, otherSales: 0, unreadable: 0 };
  await readTopic(
    createKafka(options.connection),
    topics.of(valid.type),
    valid.from ?? {},
    async (message, position) => {
      const decoded = decodeEvent(bodyOf(message), valid.type);
      if (!decoded.ok) {
        result.unreadable += 1;
        return;
      }
      if (valid.saleId !== undefined && decoded.event.saleId !== valid.saleId) {
        result.otherSales += 1;
        return;
      }
      result.events += 1;
      await options.onEvent(decoded.event as EventOf<T>, position);
    },
  );
  return result;
}
