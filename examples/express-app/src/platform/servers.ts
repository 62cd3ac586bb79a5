import { systemClock } from '@seatrush/core';
import {
  createKafka,
  type DeadLetterRecord,
  kafkaPorts,
  readDeadLetters,
  redriveDeadLetters,
} from '@seatrush/kafka-adapter';
import { createPgConnection, pgPorts } from '@seatrush/pg-adapter';
import { redisPorts } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { LoggingAlertSink } from './alerts';
import { rejectAfter } from './deadline';
import type { PlatformPorts } from './sdk-platform';
import type { DeadLetterStore, DeadLetterView, DependencyHealth } from './types';

/** Where the real servers are. */
export interface ServerAddresses {
  redisUrl: string;
  kafkaBrokers: string[];
  databaseUrl: string;
}

/**
 * The production wiring: Redis (queue, holds, stock, rate limits, blocklist in Lua), Kafka (the
 * reservation pipeline) and PostgreSQL (the source of truth, migrated on start). `namespace`
 * isolates one deployment (or one test run) from another on shared servers: it prefixes the Redis
 * keys and the Kafka topics and names the PostgreSQL schema.
 */
export async function serverPorts(
  servers: ServerAddresses,
  options: { namespace: string; log: Logger },
): Promise<PlatformPorts> {
  const { namespace, log } = options;
  const redis = new Redis(servers.redisUrl, { maxRetriesPerRequest: 2, enableReadyCheck: true });
  redis.on('error', (error) => log.warn({ err: error }, 'redis connection error'));
  const pg = createPgConnection({
    connectionString: servers.databaseUrl,
    schema: namespace,
    applicationName: 'seatrush-example',
    pool: { max: 20 },
  });
  const connection = { brokers: servers.kafkaBrokers, clientId: `seatrush-example-${namespace}` };
  // the SDK's three bundles, one namespace: the Redis key prefix, the topic prefix, the schema
  const store = redisPorts(redis, {
    keyPrefix: `${namespace}:`,
    onDurabilityWarning: (warning) => log.warn({ warning }, 'redis can lose acknowledged holds'),
  });
  const events = kafkaPorts(connection, {
    topicPrefix: namespace,
    consumer: (group) => ({
      // the worker must see everything ever published; a notifier only what comes from now on
      fromBeginning: !group.startsWith('seatrush-notify'),
      onError: (error) => log.warn({ err: error, group }, 'kafka consumer error'),
    }),
  });
  const truth = pgPorts(pg.primary, { schema: namespace, migrate: 'apply' });
  await Promise.all([store.verify(), truth.verify()]);
  // start-up must not wait for a broker that is down (holds go to the outbox meanwhile): the
  // first publish connects too, this only warms the connection up
  void events.verify().catch((error: unknown) => log.warn({ err: error }, 'kafka not reachable yet'));
  const admin = createKafka(connection).admin();
  let adminConnected = false;

  const health = async (): Promise<Record<string, DependencyHealth>> => {
    const check = async (probe: () => Promise<unknown>, detail: string): Promise<DependencyHealth> => {
      try {
        await rejectAfter(probe(), 2_000, 'no answer within 2000 ms');
        return { ok: true, detail };
      } catch (error) {
        return { ok: false, detail: error instanceof Error ? error.message : String(error) };
      }
    };
    const [redisHealth, pgHealth, kafkaHealth] = await Promise.all([
      check(() => redis.ping(), servers.redisUrl.replace(/\/\/[^@]*@/, '//')),
      check(() => pg.primary.query('SELECT 1'), `schema ${namespace}`),
      check(async () => {
        if (!adminConnected) {
          await admin.connect();
          adminConnected = true;
        }
        await admin.describeCluster();
      }, servers.kafkaBrokers.join(',')),
    ]);
    return { redis: redisHealth, postgres: pgHealth, kafka: kafkaHealth };
  };

  return {
    mode: 'servers',
    clock: systemClock,
    waitingRoomStore: store.waitingRoom,
    inventory: store.inventory,
    waitingListStore: store.waitingList,
    // the lock strategy over the one Redis here; production Redlock wants independent masters
    lock: store.lock!,
    steps: store.steps,
    repository: truth.repository,
    publisher: events.publisher,
    consumer: events.consumer,
    deadLetters: kafkaDeadLetters(connection, namespace),
    rateLimiter: store.rateLimiter,
    blocklist: store.blocklist,
    alerts: new LoggingAlertSink(log),
    health,
    pools: () => ({
      postgres: {
        total: pg.primary.totalCount,
        idle: pg.primary.idleCount,
        waiting: pg.primary.waitingCount,
      },
    }),
    async close() {
      if (adminConnected) await admin.disconnect().catch(() => {});
      await pg.close().catch(() => {});
      await redis.quit().catch(() => {});
    },
  };
}

/** The dead-letter topic of this namespace: what every worker gave up on. */
function kafkaDeadLetters(
  connection: { brokers: string[]; clientId: string },
  topicPrefix: string,
): DeadLetterStore {
  // a letter's id is its place in the dead-letter topic: stable, and safe in a URL
  const idOf = (letter: DeadLetterRecord) => `${letter.position.partition}-${letter.position.offset}`;
  return {
    async list() {
      const letters = await readDeadLetters({ connection, topicPrefix });
      return letters.map(
        (letter): DeadLetterView => ({
          id: idOf(letter),
          eventType: letter.event?.type ?? null,
          saleId: letter.event?.saleId ?? null,
          error: letter.error,
          attempts: letter.attempts,
          source: letter.source,
          redrivable: true,
          at: letter.deadLetteredAt,
        }),
      );
    },
    async redrive(id) {
      const { redriven } = await redriveDeadLetters({
        connection,
        topicPrefix,
        filter: (letter) => idOf(letter) === id,
      });
      return redriven > 0;
    },
  };
}
