// Not re-exported from ./index: it needs @seatrush/kafka-adapter, which not every package that
// shares test/support depends on (their typecheck includes what the index exports).
import { createKafka } from '@seatrush/kafka-adapter';
import type { Redis } from 'ioredis';
import pg from 'pg';

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
