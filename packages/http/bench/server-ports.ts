/**
 * The real servers for `BENCH_STORE=servers`: the runtime over Redis, PostgreSQL and Kafka (the
 * addresses from REDIS_URL, DATABASE_URL and KAFKA_BROKERS, as the tests read them), and the
 * package's Redis request guard (one script per request), all under one namespace of this run,
 * deleted at the end (its Redis keys, its schema; its topics are left to retention).
 */
import { randomBytes } from 'node:crypto';
import { combineBundles, type RuntimePorts } from '@seatrush/core';
import { kafkaPorts } from '@seatrush/kafka-adapter';
import { pgPorts } from '@seatrush/pg-adapter';
import { redisPorts } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import pg from 'pg';
import { RedisRequestGuard, type RequestGuard } from '../src';

export interface ServerBench {
  ports: RuntimePorts;
  guard: RequestGuard;
  namespace: string;
  /** Deletes the run's keys and schema, and closes the clients. */
  close(): Promise<void>;
}

export async function serverPorts(): Promise<ServerBench> {
  const { REDIS_URL, DATABASE_URL, KAFKA_BROKERS } = process.env;
  if (!REDIS_URL || !DATABASE_URL || !KAFKA_BROKERS) {
    throw new Error('BENCH_STORE=servers reads REDIS_URL, DATABASE_URL and KAFKA_BROKERS (. .services/env)');
  }
  const namespace = `bench_http_${randomBytes(4).toString('hex')}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  const db = new pg.Pool({ connectionString: DATABASE_URL, max: 20 });
  const ports = combineBundles(
    redisPorts(redis, { keyPrefix: `${namespace}:` }),
    pgPorts(db, { schema: namespace, migrate: 'apply' }),
    kafkaPorts({ brokers: KAFKA_BROKERS.split(',') }, { topicPrefix: namespace }),
  );
  // BENCH_GUARD_BATCH=1: every check in its own EVALSHA (the guard before batching), to compare
  const maxBatch = Number(process.env.BENCH_GUARD_BATCH ?? 256);
  const guard = new RedisRequestGuard(redis, { keyPrefix: `${namespace}:`, maxBatch });
  return {
    ports,
    guard,
    namespace,
    async close() {
      await deleteKeys(redis, namespace);
      await db.query(`DROP SCHEMA IF EXISTS "${namespace}" CASCADE`);
      await db.end();
      redis.disconnect();
    },
  };
}

/** The Redis request guard alone (REDIS_URL), under a namespace of this run deleted at the end. */
export async function redisGuardOnly(): Promise<{ guard: RequestGuard; close(): Promise<void> }> {
  const { REDIS_URL } = process.env;
  if (!REDIS_URL) throw new Error('BENCH_GUARD=redis reads REDIS_URL');
  const namespace = `bench_http_${randomBytes(4).toString('hex')}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  return {
    guard: new RedisRequestGuard(redis, { keyPrefix: `${namespace}:` }),
    async close() {
      await deleteKeys(redis, namespace);
      redis.disconnect();
    },
  };
}

async function deleteKeys(redis: Redis, namespace: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1_000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}
