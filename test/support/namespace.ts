// Not re-exported from ./index: it needs @seatrush/kafka-adapter, which not every package that
// shares test/support depends on (their typecheck includes what the index exports).
import { combineBundles, type RuntimePorts } from '@seatrush/core';
import { createKafka, kafkaPorts } from '@seatrush/kafka-adapter';
import { type PgPorts, pgPorts } from '@seatrush/pg-adapter';
import { redisPorts } from '@seatrush/redis-adapter';
import type { Redis } from 'ioredis';
import pg from 'pg';

/**
 * Every port of the runtime on the real servers, under the test's namespace: Redis keys under
 * `<ns>:`, the PostgreSQL schema `<ns>` and Kafka topics prefixed `<ns>`, the layout
 * {@link removeNamespace} removes. `pg` is PostgreSQL's own bundle, for the checkout store, the
 * read side and the repository the test reads directly.
 */
export function namespacedPorts(
  ns: string,
  servers: { redis: Redis; db: pg.Pool; kafkaBrokers: string[] },
  migrate: 'apply' | 'verify' = 'apply',
): { ports: RuntimePorts; pg: PgPorts } {
  const pgBundle = pgPorts(servers.db, { schema: ns, migrate });
  const ports = combineBundles(
    redisPorts(servers.redis, { keyPrefix: `${ns}:` }),
    pgBundle,
    kafkaPorts({ brokers: servers.kafkaBrokers, clientId: ns }, { topicPrefix: ns }),
  );
  return { ports, pg: pgBundle };
}

/**
 * Removes what a test made under its namespace (see `uniqueName`) on the shared servers: the Redis
 * keys under `<ns>:`, the PostgreSQL schema `<ns>` and the Kafka topics named `<ns>…`. The clients
 * stay open: the test closes what it opened.
 */
export async function removeNamespace(
  ns: string,
  servers: { redis?: Redis; db?: pg.Pool; kafkaBrokers?: string[] },
): Promise<void> {
  if (servers.redis) {
    let cursor = '0';
    do {
      const [next, keys] = await servers.redis.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await servers.redis.del(...keys);
    } while (cursor !== '0');
  }
  if (servers.db) await servers.db.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(ns)} CASCADE`);
  if (servers.kafkaBrokers) {
    const admin = createKafka({ brokers: servers.kafkaBrokers, clientId: ns }).admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(ns));
      if (topics.length > 0) await admin.deleteTopics({ topics });
    } finally {
      await admin.disconnect();
    }
  }
}
