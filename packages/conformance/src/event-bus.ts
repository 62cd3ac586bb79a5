import type {
  DeadLetter,
  DomainEvent,
  DomainEventType,
  EventConsumer,
  EventHandler,
  EventOf,
  EventPublisher,
  RetryPolicy,
} from '@seatrush/core';
import { expect } from 'vitest';
import { freshId, startOfTest } from './fixtures';
import {
  type Check,
  eventually,
  expectValidationError,
  type Factory,
  registerChecks,
  sleep,
} from './harness';

/**
 * The ports `describeEventBus` tests. `consumer(group)` returns a new consumer in that group each
 * call. `sendRaw` delivers a raw message body as the broker would (valid or not) on the topic of
 * `UserAdmitted` events: the poison-message check needs it and fails without it.
 */
export interface EventBusSubject {
  publisher: EventPublisher;
  consumer: (group: string) => EventConsumer;
  sendRaw?: (body: string, key: string) => Promise<void>;
}

type Subject = EventBusSubject;

/** Fast retries so a dead letter comes within a second. */
const FAST_RETRY: RetryPolicy = { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 40 };
/** After everything expected arrived, how long to watch for a duplicate. */
const SETTLE_MS = 300;

/** A valid `UserAdmitted` event with a fresh id (the smallest event type). */
export function admittedEvent(saleId: string, key: string, ticket: number): EventOf<'UserAdmitted'> {
  return {
    eventId: freshId('evt'),
    type: 'UserAdmitted',
    version: 1,
    saleId,
    key,
    occurredAt: startOfTest(),
    payload: { userId: key, ticket, until: startOfTest() + 60_000 },
  };
}

/** A handler that records what it handles and its dead letters, failing when `fail` says so. */
function recorder(fail: (event: DomainEvent, attempt: number) => boolean = () => false) {
  const handled: DomainEvent[] = [];
  const attempts: Array<[string, number]> = [];
  const dead: DeadLetter[] = [];
  const handler: EventHandler = {
    async handle(event, { attempt }) {
      attempts.push([event.eventId, attempt]);
      if (fail(event, attempt)) throw new Error(`refused ${event.eventId} on attempt ${attempt}`);
      handled.push(event);
    },
    async onDeadLetter(letter) {
      dead.push(letter);
    },
  };
  return { handler, handled, attempts, dead };
}

type Recorder = ReturnType<typeof recorder>;

async function withConsumers<T>(consumers: EventConsumer[], body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } finally {
    await Promise.all(consumers.map((c) => c.stop()));
  }
}

/**
 * Starts one consumer of `types` in a fresh group, handling into `rec`, runs `body` and stops the
 * consumer whatever happens.
 */
async function withRecordingConsumer(
  consumer: Subject['consumer'],
  {
    rec,
    types = TYPES,
    retry = FAST_RETRY,
  }: { rec: Recorder; types?: DomainEventType[]; retry?: RetryPolicy },
  body: () => Promise<void>,
): Promise<void> {
  const c = consumer(freshId('group'));
  await withConsumers([c], async () => {
    await c.start({ types, handler: rec.handler, retry });
    await body();
  });
}

/** What a recording check's body gets: the subject, a fresh sale and the recorder its consumer fills. */
interface Recording extends Subject {
  saleId: string;
  rec: Recorder;
}

/**
 * A check (60 s unless `timeoutMs` says) that starts one consumer of `types` in a fresh group,
 * recording into a fresh recorder that fails as `fail` says, runs `body` with a fresh sale and stops
 * the consumer whatever happens.
 */
function recordingCheck(
  check: Pick<Check<Subject>, 'category' | 'name' | 'timeoutMs'> & {
    types?: DomainEventType[];
    retry?: RetryPolicy;
    fail?: (event: DomainEvent, attempt: number) => boolean;
  },
  body: (recording: Recording) => Promise<void>,
): Check<Subject> {
  const { category, name, timeoutMs = 60_000, types, retry, fail } = check;
  return {
    category,
    name,
    timeoutMs,
    async run(subject) {
      const saleId = freshId('sale');
      const rec = recorder(fail);
      await withRecordingConsumer(subject.consumer, { rec, types, retry }, () =>
        body({ ...subject, saleId, rec }),
      );
    },
  };
}

/** Waits until `rec` handled exactly the events `ids`, then watches a while for a duplicate. */
async function expectHandledExactly(rec: Recorder, ids: string[]): Promise<void> {
  await eventually(() => expect(new Set(rec.handled.map((e) => e.eventId))).toEqual(new Set(ids)));
  await sleep(SETTLE_MS);
  expect(rec.handled).toHaveLength(ids.length);
}

const TYPES: DomainEventType[] = ['UserAdmitted'];

/** Every check of `describeEventBus`, exported so a suite's own tests can run them one by one. */
export const eventBusChecks: readonly Check<Subject>[] = [
  {
    category: 'behaviour',
    name: 'delivers every published event once to each consumer group',
    timeoutMs: 60_000,
    async run({ publisher, consumer }) {
      const saleId = freshId('sale');
      const a = recorder();
      const b = recorder();
      const first = consumer(freshId('group-a'));
      const second = consumer(freshId('group-b'));
      await withConsumers([first, second], async () => {
        await first.start({ types: TYPES, handler: a.handler, retry: FAST_RETRY });
        await second.start({ types: TYPES, handler: b.handler, retry: FAST_RETRY });
        const events = Array.from({ length: 10 }, (_, i) => admittedEvent(saleId, `u${i % 3}`, i + 1));
        await publisher.publish(events.slice(0, 4));
        await publisher.publish(events.slice(4));
        const ids = events.map((e) => e.eventId);
        await Promise.all([expectHandledExactly(a, ids), expectHandledExactly(b, ids)]);
        expect(a.handled.find((e) => e.eventId === events[0]?.eventId)).toEqual(events[0]);
      });
    },
  },
  recordingCheck(
    { category: 'behaviour', name: 'keeps the order of events with the same key' },
    async ({ publisher, saleId, rec }) => {
      const events = Array.from({ length: 30 }, (_, i) => admittedEvent(saleId, `k${i % 3}`, i + 1));
      for (let i = 0; i < events.length; i += 5) await publisher.publish(events.slice(i, i + 5));
      await eventually(() => expect(rec.handled).toHaveLength(30));
      for (const key of ['k0', 'k1', 'k2']) {
        const order = rec.handled.filter((e) => e.key === key).map((e) => e.eventId);
        expect(order).toEqual(events.filter((e) => e.key === key).map((e) => e.eventId));
      }
    },
  ),
  recordingCheck(
    {
      category: 'behaviour',
      name: 'retries a failing handler with increasing attempts until it succeeds',
      fail: (_event, attempt) => attempt < 3,
      retry: { ...FAST_RETRY, maxAttempts: 4 },
    },
    async ({ publisher, saleId, rec }) => {
      const event = admittedEvent(saleId, 'u1', 1);
      await publisher.publish([event]);
      await eventually(() => expect(rec.handled.map((e) => e.eventId)).toEqual([event.eventId]));
      expect(rec.attempts).toEqual([
        [event.eventId, 1],
        [event.eventId, 2],
        [event.eventId, 3],
      ]);
      expect(rec.dead).toEqual([]);
    },
  ),
  {
    category: 'behaviour',
    name: 'dead-letters an event after maxAttempts failures and goes on with the next',
    timeoutMs: 60_000,
    async run({ publisher, consumer }) {
      const saleId = freshId('sale');
      const doomed = admittedEvent(saleId, 'u1', 1);
      const fine = admittedEvent(saleId, 'u1', 2);
      const rec = recorder((event) => event.eventId === doomed.eventId);
      await withRecordingConsumer(consumer, { rec }, async () => {
        await publisher.publish([doomed, fine]);
        await eventually(() => expect(rec.handled.map((e) => e.eventId)).toEqual([fine.eventId]));
        await eventually(() => expect(rec.dead).toHaveLength(1));
        const [letter] = rec.dead;
        expect(letter?.event).toEqual(doomed);
        expect(letter?.attempts).toBe(FAST_RETRY.maxAttempts);
        expect(letter?.error.message).toContain(doomed.eventId);
        expect(JSON.parse(letter?.raw ?? 'null')).toMatchObject({ eventId: doomed.eventId });
        expect(rec.attempts.filter(([id]) => id === doomed.eventId)).toHaveLength(FAST_RETRY.maxAttempts);
      });
    },
  },
  recordingCheck(
    {
      category: 'behaviour',
      name: 'dead-letters a poison message at once without calling the handler, and goes on',
    },
    async ({ publisher, sendRaw, saleId, rec }) => {
      expect(sendRaw, 'the factory must provide sendRaw to test poison messages').toBeTypeOf('function');
      if (!sendRaw) return;
      await sendRaw('{"this is": "not an event"', 'u1');
      await sendRaw(JSON.stringify({ ...admittedEvent(saleId, 'u1', 1), version: 99 }), 'u1');
      const good = admittedEvent(saleId, 'u1', 2);
      await publisher.publish([good]);
      await eventually(() => expect(rec.handled.map((e) => e.eventId)).toEqual([good.eventId]));
      await eventually(() => expect(rec.dead).toHaveLength(2));
      expect(rec.dead.map((d) => d.event)).toEqual([null, null]);
      expect(rec.dead[0]?.raw).toBe('{"this is": "not an event"');
      expect(rec.attempts.map(([id]) => id)).toEqual([good.eventId]);
    },
  ),
  recordingCheck(
    { category: 'behaviour', name: 'delivers only the subscribed event types', types: ['HoldExpired'] },
    async ({ publisher, saleId, rec }) => {
      const expired: DomainEvent = {
        eventId: freshId('evt'),
        type: 'HoldExpired',
        version: 1,
        saleId,
        key: 'r1',
        occurredAt: startOfTest(),
        payload: { reservationId: 'r1', userId: 'u1', quantity: 1, seatIds: [] },
      };
      await publisher.publish([admittedEvent(saleId, 'u1', 1), expired]);
      await expectHandledExactly(rec, [expired.eventId]);
    },
  ),
  {
    category: 'behaviour',
    name: 'reports lag: events published and not yet handled by the group',
    timeoutMs: 60_000,
    async run({ publisher, consumer }) {
      const saleId = freshId('sale');
      const group = freshId('group');
      const rec = recorder();
      const c = consumer(group);
      await c.start({ types: TYPES, handler: rec.handler, retry: FAST_RETRY });
      await publisher.publish([admittedEvent(saleId, 'u1', 1), admittedEvent(saleId, 'u2', 2)]);
      await eventually(() => expect(rec.handled).toHaveLength(2));
      await eventually(async () => expect(await c.lag()).toBe(0));
      await c.stop();
      await publisher.publish([1, 2, 3].map((i) => admittedEvent(saleId, `u${i}`, i + 2)));
      const later = consumer(group);
      await eventually(async () => expect(await later.lag()).toBe(3));
      const rest = recorder();
      await withConsumers([later], async () => {
        await later.start({ types: TYPES, handler: rest.handler, retry: FAST_RETRY });
        await eventually(() => expect(rest.handled).toHaveLength(3));
        await eventually(async () => expect(await later.lag()).toBe(0));
      });
    },
  },
  recordingCheck(
    {
      category: 'bad input',
      name: 'rejects an invalid event with a ValidationError and publishes none of the batch',
    },
    async ({ publisher, saleId, rec }) => {
      const bad = { ...admittedEvent(saleId, 'u1', 1), saleId: 'no spaces allowed' };
      await expectValidationError(() => publisher.publish([admittedEvent(saleId, 'u0', 1), bad]));
      await expectValidationError(() =>
        publisher.publish([{ ...admittedEvent(saleId, 'u1', 1), type: 'Nope' } as unknown as DomainEvent]),
      );
      const good = admittedEvent(saleId, 'u2', 2);
      await publisher.publish([good]);
      await expectHandledExactly(rec, [good.eventId]);
    },
  ),
  recordingCheck(
    {
      category: 'concurrency',
      name: 'delivers each of 200 events published by 20 concurrent publishers exactly once',
      timeoutMs: 90_000,
    },
    async ({ publisher, saleId, rec }) => {
      const batches = Array.from({ length: 20 }, (_, b) =>
        Array.from({ length: 10 }, (_, i) => admittedEvent(saleId, `u${b}`, b * 10 + i + 1)),
      );
      await Promise.all(batches.map((batch) => publisher.publish(batch)));
      await eventually(() => expect(rec.handled).toHaveLength(200), 60_000);
      await sleep(SETTLE_MS);
      const ids = rec.handled.map((e) => e.eventId);
      expect(new Set(ids).size).toBe(200);
      expect(ids).toHaveLength(200);
      for (const batch of batches) {
        const order = rec.handled.filter((e) => e.key === batch[0]?.key).map((e) => e.eventId);
        expect(order, 'order per key').toEqual(batch.map((e) => e.eventId));
      }
    },
  ),
];

/**
 * Registers the event bus conformance suite (EventPublisher + EventConsumer): delivery once per
 * group, order per key, retry with backoff, dead letters (after retries, and at once for poison),
 * type filtering, lag, bad input and concurrent publishers.
 */
export function describeEventBus(name: string, factory: Factory<EventBusSubject>): void {
  registerChecks(`EventBus conformance: ${name}`, factory, eventBusChecks);
}
