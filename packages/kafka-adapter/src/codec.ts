import { type DomainEventType, ValidationError, type ValidationIssue } from '@seatrush/core';
import { DomainEvent } from '@seatrush/core/ports';
import type { IncomingHeaders, IncomingMessage, OutgoingHeaders, OutgoingMessage } from './clients/types';
import { compileCheck } from './event-check';

/**
 * Header names of the message envelope. The body is the event itself (a versioned zod envelope);
 * the headers repeat what brokers, tools and routers need without parsing the body.
 */
export const HEADERS = {
  eventId: 'sr-event-id',
  type: 'sr-event-type',
  version: 'sr-event-version',
  saleId: 'sr-sale-id',
  key: 'sr-key',
  occurredAt: 'sr-occurred-at',
  traceId: 'sr-trace-id',
  idempotencyKey: 'sr-idempotency-key',
} as const;

/**
 * Which Kafka key a topic's messages carry:
 * - `event`: the event's own `key` (the reservation id by default), so one reservation's events
 *   stay in order while a hot sale spreads over every partition;
 * - `sale`: the sale id, so all of a sale's events are in one partition, in order;
 * - `none`: no key, round robin over the partitions.
 */
export type KeyStrategy = 'event' | 'sale' | 'none';

/**
 * The envelope schema compiled once into a predicate (see `compileCheck`): a message it accepts is
 * the event as parsed, without zod's copy; anything else goes through zod, which says why.
 */
const isPlainEvent = compileCheck(DomainEvent);

/**
 * Checks events at the publisher's boundary, each against the envelope schema compiled once at
 * load (zod only for an event the compiled check does not accept, to say why), and passes them on
 * as they are (no parsed copy is made).
 * @throws ValidationError listing every issue, with the event's index first in each path.
 */
export function checkEvents(events: readonly DomainEvent[]): void {
  let issues: ValidationIssue[] | undefined;
  if (!Array.isArray(events))
    throw new ValidationError('events', [{ path: '', message: 'expected an array' }]);
  for (let i = 0; i < events.length; i += 1) {
    if (isPlainEvent?.(events[i])) continue;
    const result = DomainEvent.safeParse(events[i]);
    if (result.success) continue;
    issues ??= [];
    for (const issue of result.error.issues) {
      issues.push({ path: [i, ...issue.path].map(String).join('.'), message: issue.message });
    }
  }
  if (issues) throw new ValidationError('events', issues);
}

/** The Kafka message for an event: JSON body, key per strategy, envelope headers. */
export function encodeEvent(event: DomainEvent, strategy: KeyStrategy = 'event'): OutgoingMessage {
  const headers: OutgoingHeaders = {
    [HEADERS.eventId]: event.eventId,
    [HEADERS.type]: event.type,
    [HEADERS.version]: String(event.version),
    [HEADERS.saleId]: event.saleId,
    [HEADERS.key]: event.key,
    [HEADERS.occurredAt]: String(event.occurredAt),
  };
  if (event.traceId !== undefined) headers[HEADERS.traceId] = event.traceId;
  if (event.idempotencyKey !== undefined) headers[HEADERS.idempotencyKey] = event.idempotencyKey;
  const key = strategy === 'event' ? event.key : strategy === 'sale' ? event.saleId : null;
  return { key, value: JSON.stringify(event), headers, timestamp: String(event.occurredAt) };
}

/** What reading a message gave: the event, or why the message is poison. */
export type Decoded =
  | { ok: true; event: DomainEvent }
  | { ok: false; error: { code: 'INVALID_JSON' | 'INVALID_EVENT' | 'WRONG_TOPIC'; message: string } };

/**
 * Reads a message body: JSON, then the zod envelope, then (when `expected` is given) that the
 * event belongs on this topic. Never throws: an unreadable message is a value, sent to the
 * dead-letter topic by the caller.
 */
export function decodeEvent(raw: string, expected?: DomainEventType): Decoded {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return { ok: false, error: { code: 'INVALID_JSON', message: (error as Error).message } };
  }
  if (isPlainEvent?.(json) && (expected === undefined || (json as DomainEvent).type === expected)) {
    return { ok: true, event: json as DomainEvent };
  }
  const parsed = DomainEvent.safeParse(json);
  if (!parsed.success) {
    const message = parsed.error.issues
      .map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`)
      .join('; ');
    return { ok: false, error: { code: 'INVALID_EVENT', message } };
  }
  if (expected !== undefined && parsed.data.type !== expected) {
    return {
      ok: false,
      error: { code: 'WRONG_TOPIC', message: `a ${parsed.data.type} event on the ${expected} topic` },
    };
  }
  return { ok: true, event: parsed.data };
}

/** A message body as text (`''` for a tombstone). */
export function bodyOf(message: Pick<IncomingMessage, 'value'>): string {
  return message.value?.toString('utf8') ?? '';
}

/** One header as text, or undefined. */
export function headerOf(headers: IncomingHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}
