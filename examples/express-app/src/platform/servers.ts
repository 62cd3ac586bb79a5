import { combineBundles } from '@seatrush/core';
import { RedisRequestGuard } from '@seatrush/http';
import { type KafkaClientName, kafkaPorts } from '@seatrush/kafka-adapter';
import { createPgConnection, PROJECTOR_GROUP, pgPorts, ReadSide } from '@seatrush/pg-adapter';
import { connectRedis, redisDeploymentFromUrl, redisPorts } from '@seatrush/redis-adapter';
import type { Logger } from 'pino';
import type { AppPorts } from './platform';

/** Where the real servers are. */
export interface ServerAddresses {
  redisUrl: string;
  kafkaBrokers: string[];
  /** The Kafka client library; the adapter's default when absent. */
  kafkaClient?: KafkaClientName;
  databaseUrl: string;
}

/**
 * The production wiring: the SDK's three bundles over the app's clients — Redis (queue, holds,
 * stock, rate limits, blocklist), Kafka (the reservation pipeline) and PostgreSQL (the source of
 * truth, migrated on start). `namespace` isolates one deployment (or one test run) from another
 * on shared servers: the Redis key prefix, the topic prefix and the schema.
 */
export async function serverPorts(
  servers: ServerAddresses,
  options: { namespace: string; log: Logger },
): Promise<AppPorts> {
  const { namespace, log } = options;
  // REDIS_URL names one node, a Sentinel group or a Cluster; the SDK's stores run unchanged on all
  // three. Auto-pipelining stays off as the app always ran (docs/performance.md measures both).
  const redis = connectRedis(redisDeploymentFromUrl(servers.redisUrl), {
    maxRetriesPerRequest: 2,
    enableReadyCheck: true,
    enableAutoPipelining: false,
  });
  redis.on('error', (error) => log.warn({ err: error }, 'redis connection error'));
  const pg = createPgConnection({
    connectionString: servers.databaseUrl,
    schema: namespace,
    applicationName: 'seatrush-example',
    pool: { max: 20 },
  });
  const store = redisPorts(redis, {
    keyPrefix: `${namespace}:`,
    onDurabilityWarning: (warning) => log.warn({ warning }, 'redis can lose acknowledged holds'),
  });
  const events = kafkaPorts(
    { brokers: servers.kafkaBrokers, clientId: `seatrush-example-${namespace}` },
    {
      topicPrefix: namespace,
      ...(servers.kafkaClient ? { client: servers.kafkaClient } : {}),
      consumer: (group) => ({
        onError: (error) => log.warn({ err: error, group }, 'kafka consumer error'),
        // the projector applies a batch in one transaction: larger batches catch up faster
        ...(group === PROJECTOR_GROUP ? { batchSize: 500 } : {}),
      }),
    },
  );
  const truth = pgPorts(pg.primary, { schema: namespace, migrate: 'apply' });
  await Promise.all([store.verify(), truth.verify()]);
  // start-up must not wait for a broker that is down (holds go to the outbox meanwhile): the
  // first publish connects too, this only warms the connection up
  void events.verify().catch((error: unknown) => log.warn({ err: error }, 'kafka not reachable yet'));
  const { verify: _verified, ...eventsUnverified } = events;
  // the read side (issue 21): seat maps and stats are read from views the projector builds
  const { readModel: model, projector } = truth;
  const readSide = new ReadSide({
    model,
    projector,
    consumer: events.consumer(PROJECTOR_GROUP),
    onWarning: (message, error) => log.warn({ err: error }, message),
  });
  readSide.start();
  return {
    ...combineBundles(store, truth, eventsUnverified),
    verify: async () => {}, // verified above, the broker in the background
    mode: 'servers',
    checkoutStore: truth.checkout,
    notificationOutbox: truth.notifications,
    readSide,
    // one EVALSHA a request for every limit and block, a sign-out included, on every instance
    requestGuard: new RedisRequestGuard(redis, { keyPrefix: `${namespace}:` }),
    pools: () => ({
      postgres: {
        total: pg.primary.totalCount,
        idle: pg.primary.idleCount,
        waiting: pg.primary.waitingCount,
      },
    }),
    async closeClients() {
      await readSide.stop().catch((error: unknown) => log.warn({ err: error }, 'projector stop failed'));
      await pg.close().catch(() => {});
      await redis.quit().catch(() => {});
    },
  };
}
