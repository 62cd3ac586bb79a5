import { ConfigurationError } from '@seatrush/core';
import { validate, z } from '@seatrush/core/ports';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';

/**
 * How to reach the brokers. `ssl` and `sasl` are handed to kafkajs unchanged (its
 * `KafkaConfig['ssl']` / `['sasl']`), so every mechanism kafkajs supports works here.
 */
export interface KafkaConnection {
  /** `host:port` of one or more brokers; the rest are discovered. */
  brokers: string[];
  /** Identifies this client in broker logs and quotas. Default `seatrush`. */
  clientId?: string;
  ssl?: KafkaConfig['ssl'];
  sasl?: KafkaConfig['sasl'];
  /** Milliseconds to open a connection. Default 3,000. */
  connectionTimeoutMs?: number;
  /** Milliseconds a broker may take to answer a request. Default 30,000. */
  requestTimeoutMs?: number;
  /** How often kafkajs retries a failed request or connection before giving up. Default 5. */
  retries?: number;
  /** kafkajs's own log level; default ERROR (the adapter reports through typed errors). */
  logLevel?: logLevel;
}

const BrokerAddress = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'broker must be host:port');

/** The validated shape of a {@link KafkaConnection}; `ssl`/`sasl` are passed through as given. */
export const KafkaConnectionSchema = z.object({
  brokers: z.array(BrokerAddress).min(1, 'at least one broker'),
  clientId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,128}$/)
    .optional(),
  ssl: z.unknown().optional(),
  sasl: z.unknown().optional(),
  connectionTimeoutMs: z.number().int().positive().optional(),
  requestTimeoutMs: z.number().int().positive().optional(),
  retries: z.number().int().min(0).max(100).optional(),
  logLevel: z.enum(logLevel).optional(),
});

/**
 * Builds the kafkajs client for a connection, validating it first.
 * @throws ValidationError when the connection settings are malformed.
 */
export function createKafka(connection: KafkaConnection): Kafka {
  validate('Kafka connection', KafkaConnectionSchema, connection);
  const config: KafkaConfig = {
    clientId: connection.clientId ?? 'seatrush',
    brokers: connection.brokers,
    connectionTimeout: connection.connectionTimeoutMs ?? 3_000,
    requestTimeout: connection.requestTimeoutMs ?? 30_000,
    logLevel: connection.logLevel ?? logLevel.ERROR,
    retry: { retries: connection.retries ?? 5 },
  };
  if (connection.ssl !== undefined) config.ssl = connection.ssl;
  if (connection.sasl !== undefined) config.sasl = connection.sasl;
  try {
    return new Kafka(config);
  } catch (cause) {
    throw new ConfigurationError(`kafkajs refused the connection settings: ${String(cause)}`, { cause });
  }
}
