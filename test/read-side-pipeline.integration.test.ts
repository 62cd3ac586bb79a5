import {
  combineBundles,
  createSeatRushRuntime,
  type DomainEvent,
  type EventHandler,
  FakePaymentGateway,
} from '@seatrush/core';
import { bodyOf, createKafka, decodeEvent, kafkaPorts, readTopic, TopicNames } from '@seatrush/kafka-adapter';
import {
  PROJECTED_EVENT_TYPES,
  PROJECTOR_GROUP,
  pgPorts,
  ReadSide,
  rebuildReadSide,
  usePools,
} from '@seatrush/pg-adapter';
import { redisPorts } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { seatedScenario } from '../packages/pg-adapter/test/read-side-scenario';
import { uniqueName } from './support';

/**
 * End to end on the real servers: a runtime sells seats (Redis decides, Kafka carries the events,
 * PostgreSQL records them), then the projector on a consumer group of its own reads the topics
 * from offset 0, and the read model agrees with the repository; a rebuild from the topics' offset
 * 0 into a fresh schema then builds the same views.
 */
describe('the projector behind a real runtime', () => {
  const services = inject('services');
  const schemas: string[] = [];
  const redis = new Redis(services.redisUrl);
  const db = new pg.Pool({ connectionString: services.databaseUrl, max: 6 });
  afterAll(async () => {
    for (const schema of schemas)
      await db.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    await Promise.all([redis.quit(), db.end()]);
  });

  it('builds a seat map, stats and histories that agree with the source of truth', async () => {
    const ns = uniqueName('readside'); // one per attempt: a retried test starts from scratch
    schemas.push(ns, `${ns}_rebuilt`);
    const pgBundle = pgPorts(db, { schema: ns, migrate: 'apply' });
    const ports = combineBundles(
      redisPorts(redis, { keyPrefix: `${ns}:` }),
      pgBundle,
      kafkaPorts({ brokers: services.kafkaBrokers }, { topicPrefix: ns }),
    );
    const runtime = createSeatRushRuntime({
      ports,
      payments: new FakePaymentGateway(),
      admissionSecret: 'x'.repeat(32),
    });
    await runtime.start();
    const seats = Array.from({ length: 8 }, (_, i) => ({
      id: `A${i + 1}`,
      label: `A ${i + 1}`,
      tier: 'std',
    }));
    const sale = await runtime.define({
      id: 'hall',
      name: 'Hall',
      opensAt: Date.now(),
      admission: { usersPerInterval: 50, maxActive: 500 },
      inventory: { kind: 'assigned', sections: [{ id: 'main', name: 'Main', rows: [{ id: 'A', seats }] }] },
      tiers: [{ id: 'std', name: 'Std', priceCents: 5_000 }],
    });
    const buyers = ['ann', 'bob', 'cat', 'dan'];
    for (const userId of buyers) await sale.queue.join({ userId });
    await sale.queue.tick();
    const held = new Map<string, string>();
    for (const [i, userId] of buyers.entries()) {
      const answer = await sale.reservations.reserve({
        userId,
        idempotencyKey: `k-${userId}`,
        selection: { kind: 'seats', seatIds: [`A${i + 1}`, `A${i + 5}`] },
        admissionToken: (await sale.queue.status({ userId }))?.admissionToken,
      });
      expect(answer.ok).toBe(true);
      if (answer.ok) held.set(userId, answer.reservationId);
    }
    await runtime.drain();

    const consumer = ports.consumer('seatrush-projector');
    await consumer.start({ types: [...PROJECTED_EVENT_TYPES], handler: pgBundle.projector });
    try {
      const deadline = Date.now() + 30_000;
      let stats = await pgBundle.readModel.saleStats({ saleId: 'hall' });
      const settled = () => stats.totals.unitsSold === 8 && stats.totals.confirmed === 4;
      while ((!settled() || (await consumer.lag()) > 0) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        stats = await pgBundle.readModel.saleStats({ saleId: 'hall' });
      }
      expect(await consumer.lag()).toBe(0);
      expect(stats.totals).toMatchObject({
        requested: 4,
        confirmed: 4,
        unitsSold: 8,
        revenueCents: 8 * 5_000,
      });

      const map = await pgBundle.readModel.seatMap({ saleId: 'hall' });
      for (const [userId, reservationId] of held) {
        const truth = await pgBundle.repository.get(reservationId);
        expect(truth?.status).toBe('CONFIRMED');
        for (const seatId of truth?.seatIds ?? []) {
          expect(map.find((seat) => seat.seatId === seatId)).toMatchObject({
            state: 'SOLD',
            userId,
            reservationId,
          });
        }
        expect(await pgBundle.readModel.buyerHistory({ userId })).toMatchObject([
          { saleId: 'hall', reservationId, state: 'CONFIRMED', seatIds: truth?.seatIds },
        ]);
      }
      const audit = await pgBundle.readModel.auditOfSeat({ saleId: 'hall', seatId: 'A2' });
      expect(audit.map((entry) => entry.userId)).toEqual(audit.map(() => 'bob'));
      expect(audit.map((entry) => entry.action)).toEqual(
        expect.arrayContaining(['ReservationRequested', 'StockChanged:HELD', 'ReservationConfirmed']),
      );

      // the rebuild: every projected topic read from offset 0, as a host's rebuild command would
      await consumer.stop();
      const kafka = createKafka({ brokers: services.kafkaBrokers });
      const topics = new TopicNames(ns);
      const stream: DomainEvent[] = [];
      for (const type of PROJECTED_EVENT_TYPES) {
        await readTopic(kafka, topics.of(type), {}, async (message) => {
          const decoded = decodeEvent(bodyOf(message), type);
          if (decoded.ok) stream.push(decoded.event);
        });
      }
      const rebuilt = await rebuildReadSide({
        saleId: 'hall',
        events: stream,
        live: usePools({ primary: db, schema: ns }),
        into: usePools({ primary: db, schema: `${ns}_rebuilt` }),
      });
      expect(rebuilt.applied).toBe(pgBundle.projector.progress().applied);
      expect(rebuilt.differences).toEqual([]);
    } finally {
      await consumer.stop();
      await runtime.close();
    }
  }, 90_000);
});

/**
 * pg-adapter's ReadSide on Kafka: the staleness comes from the Kafka consumer's committed lag, so
 * a backlog on the topics keeps reads on the hot store until the projector has applied it, and
 * they move to the views by themselves once a lag poll settles.
 */
describe('ReadSide on Kafka and PostgreSQL', () => {
  const services = inject('services');
  const db = new pg.Pool({ connectionString: services.databaseUrl, max: 4 });
  const schemas: string[] = [];
  afterAll(async () => {
    for (const schema of schemas)
      await db.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    await db.end();
  });

  it('answers from the hot store until the backlog is applied, then from the views', async () => {
    const ns = uniqueName('readserve'); // one per attempt
    schemas.push(ns);
    const kafka = kafkaPorts({ brokers: services.kafkaBrokers }, { topicPrefix: ns });
    const bundle = pgPorts(db, { schema: ns, migrate: 'apply' });
    await Promise.all([kafka.verify(), bundle.verify()]);
    const scenario = seatedScenario('hall', { seats: 20, rounds: 2, partitions: 3, seed: 3 });
    await kafka.publisher.publish(scenario.events);
    const readSide = new ReadSide({
      model: bundle.readModel,
      projector: bundle.projector,
      consumer: kafka.consumer(PROJECTOR_GROUP),
      lagPollMs: 100,
    });
    let hotStoreReads = 0;
    const seatMap = () =>
      readSide.serve(
        'seat-map',
        (views) => views.seatMap({ saleId: 'hall' }),
        async () => {
          hotStoreReads += 1;
          return [];
        },
      );
    try {
      expect((await seatMap()).fallback).toBe('stale'); // not started: nothing is known
      readSide.start();
      const deadline = Date.now() + 60_000;
      let served = await seatMap();
      while (served.source !== 'read-side' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        served = await seatMap();
      }
      expect(served.source).toBe('read-side');
      // fresh means applied: every event published before the settling poll is in the views
      expect(readSide.progress().applied).toBe(scenario.events.length);
      expect(new Map(served.value.map((s) => [s.seatId, { state: s.state, userId: s.userId }]))).toEqual(
        scenario.seats,
      );
      expect(readSide.stalenessMs()).toBeLessThanOrEqual(readSide.maxStalenessMs); // lag() may still count offsets not yet committed
      expect(readSide.fallbacks('seat-map', 'stale')).toBe(hotStoreReads);
      expect(readSide.fallbacks('seat-map', 'unavailable')).toBe(0);
    } finally {
      await readSide.stop();
      await kafka.close();
    }
  }, 90_000);
});

/**
 * The projector's rate against the consumer's raw rate, side by side on the same backlog (run it
 * with READ_SIDE_BENCH=1; it prints, it asserts no timing). Both groups read every projected topic
 * from offset 0, one after the other, so they never share the machine.
 */
describe.skipIf(!process.env.READ_SIDE_BENCH)('projector throughput', () => {
  const services = inject('services');
  const db = new pg.Pool({ connectionString: services.databaseUrl, max: 6 });
  const schemas: string[] = [];
  afterAll(async () => {
    for (const schema of schemas)
      await db.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    await db.end();
  });

  it('prints events/s of a no-op handler and of the projector', async () => {
    const ns = uniqueName('readbench'); // one per attempt: a retry must not find the backlog applied
    schemas.push(ns);
    const batchSize = Number(process.env.READ_SIDE_BENCH_BATCH ?? 50); // the consumer's default is 50
    const seats = Number(process.env.READ_SIDE_BENCH_SEATS ?? 600);
    const kafka = kafkaPorts(
      { brokers: services.kafkaBrokers },
      { topicPrefix: ns, consumer: { batchSize } },
    );
    const bundle = pgPorts(db, { schema: ns, migrate: 'apply' });
    await Promise.all([kafka.verify(), bundle.verify()]);
    const events = seatedScenario('bench', { seats, rounds: 2, partitions: 3, seed: 1 }).events;
    for (let i = 0; i < events.length; i += 500) await kafka.publisher.publish(events.slice(i, i + 500));
    /**
     * Drains the backlog on a group of its own: events/s from the first batch handed over to the
     * last event handled (joining the group, a second or so on a loaded host, is left out: it
     * would make the ratio a measure of the join), and how long the join took.
     */
    const drain = async (group: string, inner: EventHandler, applied: () => number) => {
      const consumer = kafka.consumer(group);
      let first: number | null = null;
      const handler: EventHandler = {
        handle: async (event, context) => {
          first ??= performance.now();
          await inner.handle(event, context);
        },
        handleBatch: async (batch) => {
          first ??= performance.now();
          return inner.handleBatch!(batch);
        },
      };
      const started = performance.now();
      await consumer.start({ types: [...PROJECTED_EVENT_TYPES], handler });
      while (applied() < events.length && performance.now() - started < 120_000) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const ended = performance.now();
      await consumer.stop();
      const from = first ?? ended;
      return { rate: applied() / Math.max((ended - from) / 1_000, 0.001), joinMs: from - started };
    };
    let seen = 0;
    const raw = await drain(
      'raw',
      {
        handle: async () => {
          seen += 1;
        },
        handleBatch: async (batch) => {
          seen += batch.length;
          return { failed: [] };
        },
      },
      () => seen,
    );
    const projected = await drain('projector', bundle.projector, () => bundle.projector.progress().applied);
    console.log(
      `${events.length} events (${seats} seats), batches of ${batchSize}: raw consumer ${raw.rate.toFixed(0)} events/s, projector ${projected.rate.toFixed(0)} events/s, ratio ${(projected.rate / raw.rate).toFixed(2)} (group joins ${raw.joinMs.toFixed(0)} and ${projected.joinMs.toFixed(0)} ms, left out)`,
    );
    expect(bundle.projector.progress().applied).toBe(events.length);
    await kafka.close();
  }, 300_000);
});
