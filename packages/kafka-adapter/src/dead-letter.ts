import type { DeadLetter, DomainEvent } from '@seatrush/core';
import type { IncomingHeaders, IncomingMessage, OutgoingHeaders, OutgoingMessage } from './clients/types';
import { bodyOf, decodeEvent, headerOf } from './codec';

/** Headers a dead letter carries besides the original message's own. */
export const DEAD_LETTER_HEADERS = {
  errorCode: 'sr-dlq-error-code',
  error: 'sr-dlq-error',
  attempts: 'sr-dlq-attempts',
  sourceTopic: 'sr-dlq-source-topic',
  sourcePartition: 'sr-dlq-source-partition',
  sourceOffset: 'sr-dlq-source-offset',
  group: 'sr-dlq-group',
  deadLetteredAt: 'sr-dlq-at',
} as const;

/** Where a message was read from. */
export interface MessageOrigin {
  topic: string;
  partition: number;
  offset: string;
}

/** A dead letter as stored in the dead-letter topic, with where it came from and where it is. */
export interface DeadLetterRecord extends DeadLetter {
  origin: MessageOrigin;
  /** The consumer group that gave up on it. */
  group: string;
  /** When it was dead-lettered, ms since the epoch (the consumer's clock). */
  deadLetteredAt: number;
  /** Its own place in the dead-letter topic. */
  position: MessageOrigin;
  /** The original message's key and headers, to re-drive it unchanged. */
  key: Buffer | null;
  headers: OutgoingHeaders;
}

/** `topic/partition/offset`: the `source` string of core's `DeadLetter`. */
export function describeOrigin(origin: MessageOrigin): string {
  return `${origin.topic}/${origin.partition}/${origin.offset}`;
}

/**
 * The dead-letter message for a failed one: the original body, key and headers untouched (so it
 * can be re-driven as it was), plus the reason, the attempts and the origin.
 */
export function deadLetterMessage(input: {
  original: IncomingMessage;
  origin: MessageOrigin;
  error: { code: string; message: string };
  attempts: number;
  group: string;
  now: number;
}): OutgoingMessage {
  const headers: OutgoingHeaders = originalHeaders(input.original.headers);
  headers[DEAD_LETTER_HEADERS.errorCode] = input.error.code;
  // Headers are not meant for stack traces: the message is enough, bounded.
  headers[DEAD_LETTER_HEADERS.error] = input.error.message.slice(0, 2_000);
  headers[DEAD_LETTER_HEADERS.attempts] = String(input.attempts);
  headers[DEAD_LETTER_HEADERS.sourceTopic] = input.origin.topic;
  headers[DEAD_LETTER_HEADERS.sourcePartition] = String(input.origin.partition);
  headers[DEAD_LETTER_HEADERS.sourceOffset] = input.origin.offset;
  headers[DEAD_LETTER_HEADERS.group] = input.group;
  headers[DEAD_LETTER_HEADERS.deadLetteredAt] = String(input.now);
  return { key: input.original.key, value: input.original.value, headers };
}

/** Reads a message of the dead-letter topic back; the event is null when the body is unreadable. */
export function readDeadLetter(message: IncomingMessage, position: MessageOrigin): DeadLetterRecord {
  const h = message.headers;
  const origin: MessageOrigin = {
    topic: headerOf(h, DEAD_LETTER_HEADERS.sourceTopic) ?? '',
    partition: Number(headerOf(h, DEAD_LETTER_HEADERS.sourcePartition) ?? -1),
    offset: headerOf(h, DEAD_LETTER_HEADERS.sourceOffset) ?? '-1',
  };
  const raw = bodyOf(message);
  const decoded = decodeEvent(raw);
  const event: DomainEvent | null = decoded.ok ? decoded.event : null;
  return {
    event,
    raw,
    error: {
      code: headerOf(h, DEAD_LETTER_HEADERS.errorCode) ?? 'UNKNOWN',
      message: headerOf(h, DEAD_LETTER_HEADERS.error) ?? '',
    },
    attempts: Number(headerOf(h, DEAD_LETTER_HEADERS.attempts) ?? 0),
    source: describeOrigin(origin),
    origin,
    group: headerOf(h, DEAD_LETTER_HEADERS.group) ?? '',
    deadLetteredAt: Number(headerOf(h, DEAD_LETTER_HEADERS.deadLetteredAt) ?? 0),
    position,
    key: message.key,
    headers: originalHeaders(h),
  };
}

/** The headers the message had before it was dead-lettered (a repeated header keeps its first value). */
export function originalHeaders(headers: IncomingHeaders | undefined): OutgoingHeaders {
  const dlq = new Set<string>(Object.values(DEAD_LETTER_HEADERS));
  const kept: OutgoingHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (!dlq.has(name) && first !== undefined) kept[name] = first;
  }
  return kept;
}
