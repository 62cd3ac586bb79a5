/** Addresses of the real servers the integration tests talk to. */
export interface ServiceAddresses {
  /** `redis://host:port` of a single Redis. */
  redisUrl: string;
  /** `postgres://user@host:port/db` of a PostgreSQL database the tests may create schemas in. */
  databaseUrl: string;
  /** Comma-separated `host:port` list of Kafka brokers. */
  kafkaBrokers: string[];
}

/** Addresses of the scale-out servers: a 3-master Redis Cluster and a 3-broker Kafka cluster. */
export interface ClusterAddresses {
  redisClusterNodes: Array<{ host: string; port: number }>;
  kafkaClusterBrokers: string[];
}

export const HOW_TO_START =
  'start them with `pnpm services up` (add `cluster` for the scale-out servers) and export what it prints, or run ./scripts/test.sh, which does both';

export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function parseHostPort(address: string): { host: string; port: number } {
  const [host, port] = address.split(':');
  if (!host || !port || Number.isNaN(Number(port))) throw new Error(`not a host:port address: ${address}`);
  return { host, port: Number(port) };
}
