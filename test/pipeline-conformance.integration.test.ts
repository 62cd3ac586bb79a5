import { describePipeline, startOfTest } from '@seatrush/conformance';
import { FakePaymentGateway } from '@seatrush/core';
import { MemoryAlertSink } from '@seatrush/core/memory';
import { ManualClock } from '@seatrush/core/testing';
import {
  createKafka,
  type KafkaConnection,
  KafkaEventConsumer,
  KafkaEventPublisher,
} from '@seatrush/kafka-adapter';
import { createPgConnection, migrate, PgReservationRepository } from '@seatrush/pg-adapter';
import {
  RedisInventorySteps,
  RedisInventoryStore,
  RedisWaitingRoomStore,
  Redlock,
} from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import pg from 'pg';
import { inject } from 'vitest';
import { uniqueName } from './support';

// The whole-sale suite on the combination hosts deploy: Redis holds the queue, the stock, the
// outbox and the locks, Kafka carries the reservation pipeline, PostgreSQL is the source of truth.
// Each check gets a namespace of its own (a Redis key prefix, a Kafka topic prefix, a PostgreSQL
// schema) and leaves nothing behind. The clock is manual, as in memory: the Redis and PostgreSQL
// adapters take `now` from the caller and the processor judges a hold by the clock, never by
// Kafka's timestamps, so the expiry check advances time exactly as it does in memory.
const services = inject('services');

describePipeline('Redis + Kafka + PostgreSQL', async () => {
  const namespace = uniqueName('pipe');
  const keyPrefix = `${namespace}:`;
  const connection: KafkaConnection = { brokers: services.kafkaBrokers, clientId: namespace };
  const redis = new Redis(services.redisUrl);
  const database = createPgConnection({
    connectionString: services.databaseUrl,
    schema: namespace,
    applicationName: namespace,
    pool: { max: 10 },
  });
  const publisher = new KafkaEventPublisher({ connection, topicPrefix: namespace });
  const consumers: KafkaEventConsumer[] = [];
  // every step runs even when one before it failed, so a failed check still leaves nothing behind
  const dispose = () =>
    inOrder([
      () => Promise.all(consumers.map((consumer) => consumer.stop())),
      () => publisher.close(),
      () =>
        deleteKafkaNamespace(
          connection,
          publisher.topics.all(),
          consumers.map((consumer) => consumer.groupId),
        ),
      // closed first: a lock-strategy request answered OUTCOME_UNKNOWN may still be queued in the
      // process, and must not write its hold after the keys are gone
      () => redis.quit(),
      () => database.close(),
      () => deleteKeys(keyPrefix),
      () => dropSchema(namespace),
    ]);
  try {
    await migrate(database.primary, { schema: namespace });
    // the topics exist before any consumer joins, so the consumers need not create them
    await publisher.connect();
  } catch (error) {
    await dispose().catch(() => undefined);
    throw error;
  }
  const inventory = new RedisInventoryStore(redis, { keyPrefix });
  return {
    waitingRoom: new RedisWaitingRoomStore(redis, { keyPrefix }),
    inventory,
    steps: new RedisInventorySteps(inventory),
    // the lock strategy over the one Redis here, as redisPorts does by default
    lock: new Redlock([redis], { keyPrefix }),
    publisher,
    consumer(group: string) {
      const consumer = new KafkaEventConsumer({
        connection,
        topicPrefix: namespace,
        // a new group on every call, even for a name asked for before
        groupId: `${namespace}.${group}.${consumers.length + 1}`,
        provision: false,
      });
      consumers.push(consumer);
      return consumer;
    },
    repository: new PgReservationRepository(database),
    payments: new FakePaymentGateway(),
    alerts: new MemoryAlertSink(),
    clock: new ManualClock(startOfTest()),
    dispose,
  };
});

/** Runs every step in order, even after one failed; then throws the first failure. */
async function inOrder(steps: Array<() => Promise<unknown>>): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) await step().catch((error: unknown) => failures.push(error));
  if (failures.length > 0) throw failures[0];
}

async function deleteKafkaNamespace(
  connection: KafkaConnection,
  topics: string[],
  groupIds: string[],
): Promise<void> {
  const admin = createKafka(connection).admin();
  await admin.connect();
  try {
    // a consumer that never started made no group (the expiry check runs without the processor)
    const existing = new Set((await admin.listGroups()).groups.map((group) => group.groupId));
    const groups = groupIds.filter((groupId) => existing.has(groupId));
    if (groups.length > 0) await admin.deleteGroups(groups);
    await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

/** Deletes every key under `prefix` (SCAN, never KEYS) over a connection of its own. */
async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(services.redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: services.databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}
