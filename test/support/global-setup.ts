import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import {
  type ClusterAddresses,
  HOW_TO_START,
  parseHostPort,
  type ServiceAddresses,
  splitList,
} from './services';

declare module 'vitest' {
  export interface ProvidedContext {
    services: ServiceAddresses;
  }
}

type Stop = () => Promise<void>;

function dockerAnswers(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Integration tests take the servers' addresses from the environment (REDIS_URL, DATABASE_URL,
 * KAFKA_BROKERS). Where one is missing and Docker answers, testcontainers starts it; where
 * neither, the run stops at once with one line saying how to start them.
 */
export default async function setup(project: TestProject): Promise<Stop> {
  const stops: Stop[] = [];
  let { REDIS_URL: redisUrl, DATABASE_URL: databaseUrl, KAFKA_BROKERS: kafkaBrokers } = process.env;
  const missing = !redisUrl || !databaseUrl || !kafkaBrokers;
  if (missing && !dockerAnswers()) {
    throw new Error(`Integration tests need REDIS_URL, DATABASE_URL and KAFKA_BROKERS: ${HOW_TO_START}.`);
  }
  if (!redisUrl) {
    const { RedisContainer } = await import('@testcontainers/redis');
    const redis = await new RedisContainer('redis:7').start();
    stops.push(async () => void (await redis.stop()));
    redisUrl = redis.getConnectionUrl();
  }
  if (!databaseUrl) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const pg = await new PostgreSqlContainer('postgres:16').start();
    stops.push(async () => void (await pg.stop()));
    databaseUrl = pg.getConnectionUri();
  }
  if (!kafkaBrokers) {
    const { KafkaContainer } = await import('@testcontainers/kafka');
    const kafka = await new KafkaContainer('confluentinc/cp-kafka:7.9.0').withKraft().start();
    stops.push(async () => void (await kafka.stop()));
    kafkaBrokers = `${kafka.getHost()}:${kafka.getMappedPort(9093)}`;
  }
  project.provide('services', { redisUrl, databaseUrl, kafkaBrokers: splitList(kafkaBrokers) });
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}

/** The scale-out servers; only tests named `*.cluster.test.ts` need them. */
export function clusterAddressesFromEnv(): ClusterAddresses {
  const { REDIS_CLUSTER_NODES, KAFKA_CLUSTER_BROKERS } = process.env;
  if (!REDIS_CLUSTER_NODES || !KAFKA_CLUSTER_BROKERS) {
    throw new Error(`Cluster tests need REDIS_CLUSTER_NODES and KAFKA_CLUSTER_BROKERS: ${HOW_TO_START}.`);
  }
  return {
    redisClusterNodes: splitList(REDIS_CLUSTER_NODES).map(parseHostPort),
    kafkaClusterBrokers: splitList(KAFKA_CLUSTER_BROKERS),
  };
}
