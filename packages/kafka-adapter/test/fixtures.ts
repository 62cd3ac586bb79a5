import type { DomainEvent, EventOf } from '@seatrush/core';
import { uniqueName } from '@seatrush/test-support';
import { Kafka, logLevel } from 'kafkajs';
import { provisionTopics } from '../src';

/**
 * The fixtures' event time: a minute before this process loaded them, to the second. Message
 * timestamps are the events' `occurredAt`, and the brokers delete by time (`log.retention.hours`
 * 6 in scripts/services/kafka.sh): records stamped years ago are deleted at the broker's next
 * retention check, every 5 minutes, and a test reading them back then finds them gone (the
 * broker-failure test "lost" two thirds of its acknowledged events that way, 2026-12-05).
 */
export const BASE_TIME = Math.floor((Date.now() - 60_000) / 1000) * 1000;

/** A valid `ReservationRequested` event; `n` makes ids unique, `key` groups events for ordering. */
export function requested(
  n: number,
  overrides: { saleId?: string; key?: string } = {},
): EventOf<'ReservationRequested'> {
  const reservationId = overrides.key ?? `r${n}`;
  return {
    eventId: `e${n}`,
    type: 'ReservationRequested',
    version: 1,
    saleId: overrides.saleId ?? 'sale1',
    key: reservationId,
    occurredAt: BASE_TIME + n,
    traceId: `t${n}`,
    idempotencyKey: `idem${n}`,
    payload: {
      reservationId,
      userId: `u${n}`,
      quantity: 1,
      seatIds: [],
      idempotencyKey: `idem${n}`,
      amountCents: 1_000,
      heldAt: BASE_TIME,
      expiresAt: BASE_TIME + 600_000,
    },
  };
}

/** A valid `StockChanged` audit event. */
export function stockChanged(n: number, saleId: string, delta: number): EventOf<'StockChanged'> {
  return {
    eventId: `s${n}`,
    type: 'StockChanged',
    version: 1,
    saleId,
    key: `r${n}`,
    occurredAt: BASE_TIME + n,
    payload: {
      reason: delta < 0 ? 'HELD' : 'RELEASED',
      delta,
      confirmedDelta: 0,
      reservationId: `r${n}`,
      seatIds: [],
    },
  };
}

/** Polls `check` until it stops throwing, or rethrows its last error after `timeoutMs`. */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** A plain kafkajs producer, to write what the publisher never would (poison messages). */
export async function rawSend(
  brokers: string[],
  topic: string,
  values: Array<string | null>,
  key = 'poison',
): Promise<void> {
  const producer = new Kafka({ clientId: 'test-raw', brokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ key, value })) });
  } finally {
    await producer.disconnect();
  }
}

/** The event ids, in order, of what a handler saw. */
export const ids = (events: DomainEvent[]) => events.map((e) => e.eventId);

/**
 * Topics under a fresh prefix on the 3-broker cluster, as production runs them (3 partitions, 3
 * copies, 2 in sync), and a connection that rides out a broker's death (10 s requests, 8 retries).
 * `topic` is the prefix's ReservationRequested topic, the one the cluster tests publish to.
 */
export async function replicatedTopics(
  brokers: string[],
  prefix: string,
): Promise<{
  connection: { brokers: string[]; requestTimeoutMs: number; retries: number };
  topicPrefix: string;
  topic: string;
}> {
  const topicPrefix = uniqueName(prefix);
  const connection = { brokers, requestTimeoutMs: 10_000, retries: 8 };
  await provisionTopics({
    connection,
    topicPrefix,
    settings: { partitions: 3, replicationFactor: 3, minInsyncReplicas: 2 },
  });
  return { connection, topicPrefix, topic: `${topicPrefix}.reservation.requested` };
}
