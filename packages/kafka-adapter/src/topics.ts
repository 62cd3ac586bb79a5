import type { DomainEventType } from '@seatrush/core';
import { z } from '@seatrush/core/ports';

/**
 * The typed topic map: every event type has its own topic, so a consumer group subscribes to
 * exactly the events it handles. Names are relative; the prefix (e.g. `seatrush`, or one per
 * environment or test) goes in front: `<prefix>.reservation.requested`.
 */
export const EVENT_TOPICS = {
  ReservationRequested: 'reservation.requested',
  ReservationConfirmed: 'reservation.confirmed',
  ReservationFailed: 'reservation.failed',
  /** Every stock change: replaying it rebuilds a sale's inventory. */
  StockChanged: 'stock.audit',
  HoldExpired: 'hold.expired',
  UserAdmitted: 'user.admitted',
} as const satisfies Record<DomainEventType, string>;

/** Where messages go that could not be handled (after the last retry, or at once when unreadable). */
export const DEAD_LETTER_TOPIC = 'dead-letter';

/** Every event type, in a stable order. */
export const EVENT_TYPES = Object.keys(EVENT_TOPICS) as DomainEventType[];

/** A topic prefix: Kafka's topic alphabet, short enough to leave room for the names above. */
export const TopicPrefix = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,200}$/, 'topic prefix must be 1-200 characters of A-Z a-z 0-9 . _ -');

/** The default prefix of every topic. */
export const DEFAULT_TOPIC_PREFIX = 'seatrush';

/** Full topic names for one prefix. */
export class TopicNames {
  /** What goes before every topic name. */
  readonly prefix: string;
  /** Each event type by its topic, made once: the consumer asks for every message. */
  private readonly types: ReadonlyMap<string, DomainEventType>;

  constructor(prefix: string = DEFAULT_TOPIC_PREFIX) {
    this.prefix = prefix;
    this.types = new Map(EVENT_TYPES.map((type) => [this.of(type), type]));
  }

  /** The topic an event type is published to. */
  of(type: DomainEventType): string {
    return `${this.prefix}.${EVENT_TOPICS[type]}`;
  }

  /** The dead-letter topic shared by every consumer group of this prefix. */
  get deadLetter(): string {
    return `${this.prefix}.${DEAD_LETTER_TOPIC}`;
  }

  /** The event type whose topic this is, or undefined for a foreign topic. */
  typeOf(topic: string): DomainEventType | undefined {
    return this.types.get(topic);
  }

  /** Every topic of this prefix: one per event type, then the dead-letter topic. */
  all(): string[] {
    return [...EVENT_TYPES.map((type) => this.of(type)), this.deadLetter];
  }
}
