import { type DomainEvent, ValidationError } from '@seatrush/core';
import { uniqueName } from '@seatrush/test-support';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  KafkaEventConsumer,
  KafkaEventPublisher,
  readDeadLetters,
  redriveDeadLetters,
  replayEvents,
} from '../src';
import { BASE_TIME, eventually, rawSend, requested, stockChanged } from './fixtures';

const brokers = inject('services').kafkaBrokers;
const connection = { brokers };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function publisherFor(topicPrefix: string) {
  const publisher = new KafkaEventPublisher({ connection, topicPrefix, provision: { partitions: 3 } });
  cleanups.push(() => publisher.close());
  return publisher;
}

describe('dead-letter re-drive', () => {
  it('re-drives the chosen dead letters to their topic once the cause is fixed', async () => {
    const topicPrefix = uniqueName('kr');
    const publisher = publisherFor(topicPrefix);
    let broken = true;
    const handled: string[] = [];
    const consumer = new KafkaEventConsumer({
      connection,
      topicPrefix,
      groupId: `${topicPrefix}.workers`,
      retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
    });
    cleanups.push(() => consumer.stop());
    await consumer.start({
      types: ['ReservationRequested'],
      handler: {
        async handle(event: DomainEvent) {
          if (broken && event.eventId !== 'e3') throw new Error('database schema missing a column');
          handled.push(event.eventId);
        },
      },
    });
    await publisher.publish([requested(1), requested(2), requested(3)]);
    await rawSend(brokers, `${topicPrefix}.reservation.requested`, ['{"broken":']);
    await eventually(async () => expect(await readDeadLetters({ connection, topicPrefix })).toHaveLength(3));
    expect(handled).toEqual(['e3']);

    const letters = await readDeadLetters({ connection, topicPrefix });
    expect(letters.map((l) => [l.event?.eventId ?? null, l.error.code, l.attempts]).sort()).toEqual(
      [
        ['e1', 'HANDLER_FAILED', 2],
        ['e2', 'HANDLER_FAILED', 2],
        [null, 'INVALID_JSON', 0],
      ].sort(),
    );

    broken = false; // the fix is deployed
    const result = await redriveDeadLetters({ connection, topicPrefix, filter: (l) => l.event !== null });
    expect(result).toEqual({ redriven: 2, skipped: 1 });
    await eventually(() => expect([...handled].sort()).toEqual(['e1', 'e2', 'e3']));
    expect(await consumer.lag()).toBe(0);
    // the dead-letter topic stays as the record of what failed
    expect(await readDeadLetters({ connection, topicPrefix })).toHaveLength(3);
  });

  it('re-drives only letters written after `from`', async () => {
    const topicPrefix = uniqueName('kr');
    const publisher = publisherFor(topicPrefix);
    await publisher.connect();
    // poison letters are dead-lettered at once; nothing consumes re-driven ones here
    const consumer = new KafkaEventConsumer({ connection, topicPrefix, groupId: `${topicPrefix}.workers` });
    cleanups.push(() => consumer.stop());
    const seen: number[] = [];
    await consumer.start({
      types: ['ReservationRequested'],
      handler: { handle: async () => {}, onDeadLetter: async () => void seen.push(1) },
    });
    await rawSend(brokers, `${topicPrefix}.reservation.requested`, ['x']);
    await eventually(() => expect(seen).toHaveLength(1));
    const [first] = await readDeadLetters({ connection, topicPrefix });
    const offsets = {
      [String(first?.position.partition)]: String(BigInt(first?.position.offset ?? '0') + 1n),
    };
    expect(await redriveDeadLetters({ connection, topicPrefix, from: { offsets } })).toEqual({
      redriven: 0,
      skipped: 0,
    });
  });

  it('refuses a malformed starting point with ValidationError', async () => {
    await expect(
      redriveDeadLetters({ connection, topicPrefix: 'ok', from: { offsets: { '0': 'minus one' } } }),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('audit replay', () => {
  it("rebuilds a sale's stock from the audit topic, from the start or from a time", async () => {
    const topicPrefix = uniqueName('kr');
    const publisher = publisherFor(topicPrefix);
    // sale A: -1 ×10 then +1 ×3; sale B: -1 ×5; occurredAt = BASE_TIME + n
    const a = [
      ...Array.from({ length: 10 }, (_, n) => stockChanged(n, 'saleA', -1)),
      ...Array.from({ length: 3 }, (_, n) => stockChanged(100 + n, 'saleA', 1)),
    ];
    const b = Array.from({ length: 5 }, (_, n) => stockChanged(200 + n, 'saleB', -1));
    await publisher.publish([...a, ...b]);

    let available = 100;
    const all = await replayEvents({
      connection,
      topicPrefix,
      saleId: 'saleA',
      onEvent: (event) => {
        available += event.payload.delta;
      },
    });
    expect(all).toEqual({ events: 13, otherSales: 5, unreadable: 0 });
    expect(available).toBe(93);

    let sinceReleases = 0;
    const later = await replayEvents({
      connection,
      topicPrefix,
      type: 'StockChanged',
      saleId: 'saleA',
      from: { timestamp: BASE_TIME + 100 },
      onEvent: (event) => {
        sinceReleases += event.payload.delta;
      },
    });
    expect(later.events).toBe(3);
    expect(sinceReleases).toBe(3);
  });

  it('reads nothing from an empty topic and stops at once', async () => {
    const topicPrefix = uniqueName('kr');
    await publisherFor(topicPrefix).connect();
    const result = await replayEvents({ connection, topicPrefix, onEvent: () => {} });
    expect(result).toEqual({ events: 0, otherSales: 0, unreadable: 0 });
  });
});
