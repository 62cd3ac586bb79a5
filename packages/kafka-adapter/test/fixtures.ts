import type { DomainEvent, EventOf } from '@seatrush/core';
import { Kafka, logLevel } from 'kafkajs';

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
    occurredAt: 1_700_000_000_000 + n,
    traceId: `t${n}`,
    idempotencyKey: `idem${n}`,
    payload: {
      reservationId,
      userId: `u${n}`,
      quantity: 1,
      seatIds: [],
      idempotencyKey: `idem${n}`,
      amountCents: 1_000,
      heldAt: 1_700_000_000_000,
      expiresAt: 1_700_000_600_000,
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
    occurredAt: 1_700_000_000_000 + n,
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
