import type { DeadLetter, DomainEvent } from '@seatrush/core';
import { PublishError, ValidationError } from '@seatrush/core';
import { uniqueName } from '@seatrush/test-support';
import { logLevel } from 'kafkajs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  KafkaEventConsumer,
  type KafkaEventConsumerOptions,
  KafkaEventPublisher,
  readDeadLetters,
} from '../src';
import { eventually, ids, rawSend, requested } from './fixtures';

const brokers = inject('services').kafkaBrokers;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A publisher and a consumer factory over fresh topics. */
function setup(consumerOptions: Partial<KafkaEventConsumerOptions> = {}) {
  const topicPrefix = uniqueName('ka');
  const publisher = new KafkaEventPublisher({
    connection: { brokers },
    topicPrefix,
    provision: { partitions: 4 },
  });
  cleanups.push(() => publisher.close());
  // Group names are per test: test files run in parallel, and two files' members in one group
  // would be handed each other's partitions and never see their own events.
  const consumer = (group = 'workers') => {
    const c = new KafkaEventConsumer({
      connection: { brokers },
      topicPrefix,
      groupId: `${topicPrefix}.${group}`,
      provision: { partitions: 4 },
      ...consumerOptions,
    });
    cleanups.push(() => c.stop());
    return c;
  };
  return { topicPrefix, publisher, consumer };
}

/** A handler that records what it sees, keyed by event id (idempotent, as handlers must be). */
function recorder() {
  const seen: DomainEvent[] = [];
  const handled = new Map<string, DomainEvent>();
  const deadLetters: DeadLetter[] = [];
  return {
    seen,
    handled,
    deadLetters,
    handler: {
      async handle(event: DomainEvent) {
        seen.push(event);
        handled.set(event.eventId, event);
      },
      async onDeadLetter(letter: DeadLetter) {
        deadLetters.push(letter);
      },
    },
  };
}

describe('KafkaEventPublisher and KafkaEventConsumer on a real broker', () => {
  it('delivers every published event to a consumer group', async () => {
    const { publisher, consumer } = setup();
    const sink = recorder();
    await publisher.publish([requested(1), requested(2), requested(3)]);
    await consumer().start({ types: ['ReservationRequested'], handler: sink.handler });
    await eventually(() => expect([...sink.handled.keys()].sort()).toEqual(['e1', 'e2', 'e3']));
    expect(sink.handled.get('e2')).toEqual(requested(2));
  });

  it('delivers each event to every group, once per group', async () => {
    const { publisher, consumer } = setup();
    const a = recorder();
    const b = recorder();
    await consumer('a').start({ types: ['ReservationRequested'], handler: a.handler });
    await consumer('b').start({ types: ['ReservationRequested'], handler: b.handler });
    await publisher.publish([requested(1), requested(2)]);
    await eventually(() => {
      expect(ids(a.seen).sort()).toEqual(['e1', 'e2']);
      expect(ids(b.seen).sort()).toEqual(['e1', 'e2']);
    });
  });

  it('keeps the order of events with the same key', async () => {
    const { publisher, consumer } = setup();
    const sink = recorder();
    const keys = ['ra', 'rb', 'rc', 'rd', 're'];
    // 200 events over 5 keys, published concurrently in small groups: per key, order of publish calls.
    const perKey = new Map(keys.map((k) => [k, [] as string[]]));
    const calls: Promise<void>[] = [];
    for (let n = 0; n < 40; n += 1) {
      const batch = keys.map((key, i) => requested(n * 10 + i, { key }));
      for (const e of batch) perKey.get(e.key)?.push(e.eventId);
      calls.push(publisher.publish(batch));
    }
    await Promise.all(calls);
    await consumer().start({ types: ['ReservationRequested'], handler: sink.handler });
    await eventually(() => expect(sink.seen).toHaveLength(200));
    for (const key of keys) {
      expect(ids(sink.seen.filter((e) => e.key === key))).toEqual(perKey.get(key));
    }
  });

  it('retries a failing event with backoff, then dead-letters it with the reason, attempts and origin', async () => {
    const { publisher, consumer, topicPrefix } = setup({
      retry: { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 100 },
    });
    const attempts: number[] = [];
    const handled: string[] = [];
    const deadLetters: DeadLetter[] = [];
    const c = consumer();
    await c.start({
      types: ['ReservationRequested'],
      handler: {
        async handle(event, { attempt }) {
          if (event.eventId === 'e1') {
            attempts.push(attempt);
            throw new Error('payment provider down');
          }
          handled.push(event.eventId);
        },
        async onDeadLetter(letter) {
          deadLetters.push(letter);
        },
      },
    });
    await publisher.publish([requested(1, { key: 'same' }), requested(2, { key: 'same' })]);
    // the partition moves on: e2, behind e1 on the same key, is handled after e1 is given up
    await eventually(() => expect(handled).toEqual(['e2']));
    expect(attempts).toEqual([1, 2, 3]);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({
      event: requested(1, { key: 'same' }),
      attempts: 3,
      error: { code: 'HANDLER_FAILED', message: 'payment provider down' },
    });
    expect(deadLetters[0]?.source).toMatch(new RegExp(`^${topicPrefix}\\.reservation\\.requested/\\d+/0$`));

    // and the dead-letter topic holds it with the same facts in its headers
    const inTopic = await readDeadLetters({ connection: { brokers }, topicPrefix });
    expect(inTopic).toHaveLength(1);
    expect(inTopic[0]).toMatchObject({
      attempts: 3,
      group: `${topicPrefix}.workers`,
      error: { code: 'HANDLER_FAILED' },
    });
    expect(inTopic[0]?.origin.topic).toBe(`${topicPrefix}.reservation.requested`);
    expect(await c.lag()).toBe(0);
  });

  it('sends poison messages to the dead-letter topic at once, without blocking the partition', async () => {
    const { publisher, consumer, topicPrefix } = setup();
    const sink = recorder();
    await publisher.connect();
    const topic = `${topicPrefix}.reservation.requested`;
    const wrongType = { ...requested(9), type: 'ReservationConfirmed' };
    await rawSend(brokers, topic, [
      'not json',
      JSON.stringify({ ...requested(8), version: 2 }),
      JSON.stringify(wrongType),
      null,
    ]);
    await publisher.publish([requested(1)]);
    await consumer().start({ types: ['ReservationRequested'], handler: sink.handler });
    await eventually(() => expect(sink.deadLetters).toHaveLength(4));
    await eventually(() => expect(ids(sink.seen)).toEqual(['e1']));
    expect(sink.deadLetters.map((d) => [d.error.code, d.event, d.attempts])).toEqual([
      ['INVALID_JSON', null, 0],
      ['INVALID_EVENT', null, 0],
      ['INVALID_EVENT', null, 0],
      ['INVALID_JSON', null, 0],
    ]);
    expect(sink.deadLetters[1]?.error.message).toMatch(/version/);
    expect(sink.deadLetters[0]?.raw).toBe('not json');
  });

  it('reports lag as published minus handled, and zero once all is handled', async () => {
    const { publisher, consumer } = setup();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handled = new Set<string>();
    const c = consumer();
    await publisher.publish(Array.from({ length: 30 }, (_, n) => requested(n)));
    expect(await c.lag()).toBe(0); // not started: nothing subscribed yet
    await c.start({
      types: ['ReservationRequested'],
      handler: {
        async handle(event) {
          await gate;
          handled.add(event.eventId);
        },
      },
    });
    expect(await c.lag()).toBe(30);
    release();
    await eventually(() => expect(handled.size).toBe(30));
    await eventually(async () => expect(await c.lag()).toBe(0));
  });

  it('handles hundreds of concurrent publishes: every event consumed exactly once by an idempotent handler', async () => {
    const { publisher, consumer } = setup();
    const counts = new Map<string, number>();
    await consumer().start({
      types: ['ReservationRequested'],
      handler: {
        async handle(event) {
          counts.set(event.eventId, (counts.get(event.eventId) ?? 0) + 1);
        },
      },
    });
    // 5 publishers × 100 concurrent calls, 2 events each
    const publishers = [publisher, ...Array.from({ length: 4 }, () => setupPublisherLike(publisher))];
    const calls = publishers.flatMap((p, pi) =>
      Array.from({ length: 100 }, (_, i) =>
        p.publish([requested(pi * 1000 + i * 2), requested(pi * 1000 + i * 2 + 1)]),
      ),
    );
    await Promise.all(calls);
    await eventually(() => expect(counts.size).toBe(1000));
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it('finishes the event in hand on stop, commits it, and the next member continues after it', async () => {
    const { publisher, consumer } = setup({ partitionsConsumedConcurrently: 1 });
    await publisher.publish(Array.from({ length: 20 }, (_, n) => requested(n, { key: 'one' })));
    const first: string[] = [];
    let stopRequested: Promise<void> | undefined;
    const c1 = consumer();
    await c1.start({
      types: ['ReservationRequested'],
      handler: {
        async handle(event) {
          if (first.length === 5 && !stopRequested) {
            stopRequested = c1.stop();
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          first.push(event.eventId);
        },
      },
    });
    await eventually(() => expect(stopRequested).toBeDefined());
    await stopRequested;
    expect(first).toHaveLength(6);
    const second: string[] = [];
    await consumer().start({
      types: ['ReservationRequested'],
      handler: { handle: async (e) => void second.push(e.eventId) },
    });
    await eventually(() => expect(second).toHaveLength(14));
    expect([...first, ...second]).toEqual(Array.from({ length: 20 }, (_, n) => `e${n}`));
  });

  it('shares partitions between members and hands them over on rebalance without losing an event', async () => {
    const { publisher, consumer } = setup({ commitEvery: 10 });
    const counts = new Map<string, number>();
    const byMember: [number, number] = [0, 0];
    const handler = (member: 0 | 1) => ({
      async handle(event: DomainEvent) {
        counts.set(event.eventId, (counts.get(event.eventId) ?? 0) + 1);
        byMember[member] += 1;
        await new Promise((resolve) => setTimeout(resolve, 20)); // slow enough to still be busy when the second joins
      },
    });
    const first = consumer();
    await first.start({ types: ['ReservationRequested'], handler: handler(0) });
    for (let round = 0; round < 10; round += 1) {
      await publisher.publish(Array.from({ length: 40 }, (_, i) => requested(round * 40 + i)));
    }
    await eventually(() => expect(counts.size).toBeGreaterThan(50));
    const second = consumer();
    await second.start({ types: ['ReservationRequested'], handler: handler(1) }); // rebalance: partitions move
    await eventually(() => expect(counts.size).toBeGreaterThan(200));
    await first.stop(); // and back to one member
    await eventually(() => expect(counts.size).toBe(400));
    await eventually(async () => expect(await second.lag()).toBe(0));
    expect(await first.lag()).toBe(0);
    expect(byMember[0]).toBeGreaterThan(0);
    expect(byMember[1]).toBeGreaterThan(0);
  });

  it('holds back while back-pressure says so, then goes on', async () => {
    let overloaded = true;
    const { publisher, consumer } = setup({ backpressure: () => overloaded });
    const sink = recorder();
    await consumer().start({ types: ['ReservationRequested'], handler: sink.handler });
    await publisher.publish([requested(1), requested(2), requested(3)]);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(sink.seen).toEqual([]);
    overloaded = false;
    await eventually(() => expect(ids(sink.seen).sort()).toEqual(['e1', 'e2', 'e3']));
  });

  it('refuses malformed events with a ValidationError and sends nothing', async () => {
    const { publisher, consumer } = setup();
    const bad = { ...requested(1), saleId: 'no spaces allowed' } as DomainEvent;
    const error = await publisher.publish([requested(2), bad]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(['1.saleId']);
    const sink = recorder();
    await publisher.publish([requested(3)]);
    await consumer().start({ types: ['ReservationRequested'], handler: sink.handler });
    await eventually(() => expect(ids(sink.seen)).toEqual(['e3']));
  });

  it('rejects publishes with PublishError when Kafka cannot acknowledge, and after close', async () => {
    const unreachable = new KafkaEventPublisher({
      connection: {
        brokers: ['127.0.0.1:1'],
        connectionTimeoutMs: 200,
        retries: 1,
        logLevel: logLevel.NOTHING,
      },
      topicPrefix: uniqueName('ka'),
    });
    await expect(unreachable.publish([requested(1)])).rejects.toBeInstanceOf(PublishError);
    const { publisher } = setup();
    await publisher.publish([requested(1)]);
    await publisher.close();
    await expect(publisher.publish([requested(2)])).rejects.toBeInstanceOf(PublishError);
  });

  it('refuses bad options and start input with ValidationError listing every issue', () => {
    expect(() => new KafkaEventPublisher({ connection: { brokers: [] }, topicPrefix: 'a b' })).toThrow(
      ValidationError,
    );
    let error: unknown;
    try {
      new KafkaEventConsumer({
        connection: { brokers },
        groupId: 'x y',
        retry: { maxAttempts: 0, initialDelayMs: 5, maxDelayMs: 1 },
      });
    } catch (e) {
      error = e;
    }
    expect((error as ValidationError).issues.map((i) => i.path).sort()).toEqual([
      'groupId',
      'retry.initialDelayMs',
      'retry.maxAttempts',
    ]);
    const c = new KafkaEventConsumer({ connection: { brokers }, groupId: 'g' });
    return expect(c.start({ types: [], handler: { handle: async () => {} } })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});

/** Another publisher on the same topics as `like` (so several producers publish at once). */
function setupPublisherLike(like: KafkaEventPublisher): KafkaEventPublisher {
  const p = new KafkaEventPublisher({ connection: { brokers }, topicPrefix: like.topics.prefix });
  cleanups.push(() => p.close());
  return p;
}

describe('KafkaEventConsumer with a batch handler (handleBatch)', () => {
  it('hands over several events at once and retries one by one only what the batch could not finish', async () => {
    const { publisher, consumer, topicPrefix } = setup({
      retry: { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 100 },
    });
    await publisher.connect();
    // everything is on the topic before the consumer starts, so fetches bring full batches
    await publisher.publish(Array.from({ length: 200 }, (_, i) => requested(i + 1)));
    await rawSend(brokers, `${topicPrefix}.reservation.requested`, ['not json']);
    const batchSizes: number[] = [];
    const handledInBatch = new Set<string>();
    const singles: Array<[string, number]> = [];
    const handledAlone = new Set<string>();
    const deadLetters: DeadLetter[] = [];
    const c = consumer();
    await c.start({
      types: ['ReservationRequested'],
      handler: {
        async handleBatch(events) {
          batchSizes.push(events.length);
          const failed = [];
          for (const event of events) {
            if (event.eventId === 'e7' || event.eventId === 'e13') {
              failed.push({ event, error: new Error('payment provider slow') });
            } else handledInBatch.add(event.eventId);
          }
          return { failed };
        },
        async handle(event, { attempt }) {
          singles.push([event.eventId, attempt]);
          if (event.eventId === 'e13') throw new Error('payment provider down');
          handledAlone.add(event.eventId);
        },
        async onDeadLetter(letter) {
          deadLetters.push(letter);
        },
      },
    });
    await eventually(() => expect(deadLetters).toHaveLength(2));
    await eventually(() => expect(handledInBatch.size + handledAlone.size).toBe(199));
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    expect([...handledAlone]).toEqual(['e7']);
    // the batch try was the first attempt: the one-by-one retries go on from the second
    expect(singles.sort()).toEqual([
      ['e13', 2],
      ['e13', 3],
      ['e7', 2],
    ]);
    expect(deadLetters.map((d) => [d.error.code, d.event?.eventId ?? null, d.attempts]).sort()).toEqual([
      ['HANDLER_FAILED', 'e13', 3],
      ['INVALID_JSON', null, 0],
    ]);
    for (let n = 1; n <= 200; n += 1) {
      if (n !== 13) expect(handledInBatch.has(`e${n}`) || handledAlone.has(`e${n}`)).toBe(true);
    }
    expect(await c.lag()).toBe(0);

    // every offset was committed: the next member of the group starts after them
    await c.stop();
    const next = recorder();
    await consumer().start({ types: ['ReservationRequested'], handler: next.handler });
    await publisher.publish([requested(201)]);
    await eventually(() => expect(ids(next.seen)).toEqual(['e201']));
  });

  it('retries every event of a batch that threw, one at a time', async () => {
    const { publisher, consumer } = setup({ retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 } });
    await publisher.publish(Array.from({ length: 30 }, (_, i) => requested(i + 1)));
    const attempts = new Map<string, number[]>();
    let batches = 0;
    await consumer().start({
      types: ['ReservationRequested'],
      handler: {
        async handleBatch() {
          batches += 1;
          throw new Error('the database refused the insert');
        },
        async handle(event, { attempt }) {
          attempts.set(event.eventId, [...(attempts.get(event.eventId) ?? []), attempt]);
        },
      },
    });
    await eventually(() => expect(attempts.size).toBe(30));
    expect(batches).toBeGreaterThan(0);
    // each one was handled alone exactly once, as its second attempt (or alone from the start,
    // when it was the only message of its fetch)
    for (const tries of attempts.values()) expect(tries.length).toBe(1);
  });

  it('never calls handleBatch with batchSize 1', async () => {
    const { publisher, consumer } = setup({ batchSize: 1 });
    await publisher.publish(Array.from({ length: 20 }, (_, i) => requested(i + 1)));
    const sink = recorder();
    let batches = 0;
    await consumer().start({
      types: ['ReservationRequested'],
      handler: {
        ...sink.handler,
        async handleBatch() {
          batches += 1;
          return { failed: [] };
        },
      },
    });
    await eventually(() => expect(sink.handled.size).toBe(20));
    expect(batches).toBe(0);
  });
});
