import { randomBytes } from 'node:crypto';
import { ConfigurationError } from '@seatrush/core';
import { z } from '@seatrush/core/ports';
import { DEFAULT_CLIENT, type KafkaClientName } from '@seatrush/kafka-adapter';
import { redisDeploymentFromUrl } from '@seatrush/redis-adapter';

const port = z.coerce.number().int().min(0).max(65_535);
const ratio = z.coerce.number().min(0).max(1);
const ms = z.coerce.number().int().nonnegative();
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Every setting of the app, read once from the environment. */
const Env = z.object({
  PORT: port.default(3000),
  /** Loopback by default: the demo is not meant to face the network unless asked. */
  HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * The listen backlog: connections the kernel completes and queues before the app accepts them.
   * Node's default is 511; a spike of sign-ins overflows it (the kernel then drops the handshake's
   * last ACK and the client waits for retransmits, seconds). Linux caps it at
   * `net.core.somaxconn` (4096 by default since 5.4): raise that too for a higher value.
   */
  LISTEN_BACKLOG: z.coerce.number().int().min(1).max(65_535).default(4_096),
  /**
   * How long an idle keep-alive connection stays open. Longer than a load balancer's idle timeout
   * (60 s on most), and than the waiting room's 15 s heartbeat, so a waiting buyer keeps its
   * connection instead of opening one per heartbeat.
   */
  KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(65_000),
  /**
   * Listening sockets on the port in each process (`listenInLanes` of @seatrush/http; SO_REUSEPORT,
   * Linux). Node accepts one connection per listening socket per turn of its event loop, so a busy
   * process lets a spike's new connections wait in the kernel's queue while it serves the buyers
   * already connected; N lanes accept up to N a turn. A saturated loop turns some 30 to 60 times
   * a second, and a spike brings 2,000 connections a second: 64 lanes (the default on Linux; 1
   * elsewhere, SO_REUSEPORT is not everywhere) take them in as they come (docs/performance.md).
   * Not with `PROCESS_SHARING=cluster` (the primary accepts there).
   */
  ACCEPT_LANES: z.coerce
    .number()
    .int()
    .min(1)
    .max(256)
    .default(process.platform === 'linux' ? 64 : 1),
  /**
   * HTTP processes serving the port (each a whole instance of the app, as several instances act as
   * one sale over the real servers). More than 1 needs the real servers: the in-memory stores are
   * per process, so N processes would be N separate sales.
   */
  PROCESSES: z.coerce.number().int().min(1).max(64).default(1),
  /**
   * How several processes share the port: `reuseport` (each process listens with SO_REUSEPORT and
   * has its own accept queue; the kernel spreads connections by their address hash; Linux) or
   * `cluster` (node:cluster's round robin: the primary process accepts every connection and hands
   * it to the next process).
   */
  PROCESS_SHARING: z.enum(['reuseport', 'cluster']).default('reuseport'),
  /** Real servers: all three set → Redis, Kafka and PostgreSQL; none → the in-memory default. */
  /**
   * One node (`redis://`), a Sentinel group (`redis-sentinel://host:port,…/masterName`) or a
   * Cluster (`redis-cluster://host:port,…`); `rediss…` for TLS (`redisDeploymentFromUrl`).
   */
  REDIS_URL: z
    .string()
    .superRefine((url, context) => {
      try {
        redisDeploymentFromUrl(url);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
      }
    })
    .optional(),
  KAFKA_BROKERS: z.string().min(1).optional(),
  /**
   * The Kafka client library the adapter drives (real servers): its default, `kafkajs`, or
   * `confluent` (librdkafka; its addon is built by scripts/confluent.sh, not by the install).
   */
  KAFKA_CLIENT: z.enum(['platformatic', 'kafkajs', 'confluent']).default(DEFAULT_CLIENT),
  DATABASE_URL: z.string().url().optional(),
  /** Token operators send as `Authorization: Bearer …`; a random one is printed when unset. */
  OPERATOR_TOKEN: z.string().min(16).optional(),
  /** Key that signs session cookies and admission tokens; random per process when unset. */
  SESSION_SECRET: z.string().min(32).optional(),
  /**
   * Key that signs the operator's bypass and priority invitations; random per process when unset
   * (invitations then die with the process). At least 32 bytes, the same on every instance.
   */
  INVITATION_SECRET: z.string().min(32).optional(),
  /**
   * HTTP status per waiting-room state for join and status answers, e.g. `WAITING=202,PRE_QUEUE=202`
   * (states: ADMITTED, WAITING, PRE_QUEUE); unset states keep 201/200.
   */
  QUEUE_STATUS_CODES: z
    .string()
    .regex(
      /^((ADMITTED|WAITING|PRE_QUEUE)=[1-5][0-9][0-9])(,(ADMITTED|WAITING|PRE_QUEUE)=[1-5][0-9][0-9])*$/,
      'a list like WAITING=202,PRE_QUEUE=202 (states ADMITTED, WAITING, PRE_QUEUE)',
    )
    .optional(),
  /** How often adaptive admission (when an operator turns it on for a sale) adjusts the rate. */
  ADAPTIVE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(5_000),
  /** Run the reservation worker in this process (the default) or only in `dist/worker.js`. */
  WORKER: flag.default(true),
  /**
   * Run the sales' loops (admission tick, hold sweeper, reconciler) here. Any number of API
   * instances on the same servers may: each sale's admission and reconciler loops run in one of
   * them at a time, under a lease in Redis, and another takes them over within two leases when
   * it dies (docs/runtime.md, "Several instances"). Off: this instance never runs them.
   */
  SALE_LOOPS: flag.default(true),
  /** The payment simulator: latency and the share of charges that are declined. */
  PAYMENT_LATENCY_MS: ms.default(800),
  PAYMENT_FAILURE_RATE: ratio.default(0.05),
  /**
   * Who pays: `auto` (the worker charges the simulator above as soon as a hold is made) or `buyer`
   * (the buyer pays within the hold: card form, 3-D Secure, signed webhooks; see docs/checkout.md).
   * `buyer` runs on the SDK's payment simulator, whose payments live in this process: one API
   * instance with its worker inside (WORKER=true). A real provider has no such limit.
   */
  CHECKOUT: z.enum(['auto', 'buyer']).default('auto'),
  /**
   * How the hot path is made safe: `atomic` (one store operation, the default) or `lock` (the
   * distributed lock → check → DECR → SET NX PX of docs/design.md §Holds and stock), to compare the
   * two under load.
   */
  RESERVE_STRATEGY: z.enum(['atomic', 'lock']).default('atomic'),
  /** The demo sale created on start (`none` to start without one). */
  DEMO_SALE: z.enum(['seated', 'general', 'none']).default('seated'),
  DEMO_SALE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .default('demo'),
  /** Users admitted per second in the demo sale. */
  ADMIT_PER_SECOND: z.coerce.number().int().positive().default(5),
  /** How often the demo sale's admission tick runs. */
  ADMISSION_INTERVAL_MS: z.coerce.number().int().min(100).default(1_000),
  /** How long the demo sale holds seats before they go back on sale. */
  HOLD_MS: z.coerce.number().int().min(1_000).default(120_000),
  /** How long a waiting-list party has to claim an offer before it goes to the next party. */
  WAITING_LIST_CLAIM_MS: z.coerce.number().int().min(500).default(600_000),
  /** Proof-of-work difficulty (leading zero bits) a client solves before joining the queue. */
  POW_DIFFICULTY: z.coerce.number().int().min(0).max(28).default(14),
  /** Key prefix (Redis), topic prefix (Kafka) and schema (PostgreSQL) of this deployment. */
  NAMESPACE: z
    .string()
    .regex(/^[a-z0-9_]{1,32}$/)
    .default('seatrush'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Rate limits (token buckets): per IP, per user and for the whole process. */
  RATE_PER_IP: z.coerce.number().positive().default(20),
  RATE_PER_USER: z.coerce.number().positive().default(10),
  RATE_GLOBAL: z.coerce.number().positive().default(5_000),
  /**
   * Open event streams (queue, seat map, waiting list) one IP may hold at once: every stream holds
   * a socket. Many people share an address behind an office's or a carrier's NAT, and a load test
   * puts every buyer on a few.
   */
  STREAMS_PER_IP: z.coerce.number().int().positive().default(20),
  /**
   * Joins per second one IP may make before the bot guard blocks it (and 6× that per 10 s). An
   * office or a carrier puts many people behind one address; a load test puts everyone.
   */
  BOT_PER_IP_PER_SECOND: z.coerce.number().int().positive().max(10_000).default(100),
  /** Accounts one device fingerprint may use within 10 minutes before the device is blocked. */
  BOT_ACCOUNTS_PER_DEVICE: z.coerce.number().int().positive().max(1_000).default(5),
});

/** HTTP status per waiting-room state a buyer can be in after joining. */
export type QueueStatusCodes = Partial<Record<'ADMITTED' | 'WAITING' | 'PRE_QUEUE', number>>;

/** `WAITING=202,PRE_QUEUE=202` → `{ WAITING: 202, PRE_QUEUE: 202 }` (the format was validated). */
function statusCodesOf(list: string | undefined): QueueStatusCodes {
  if (!list) return {};
  return Object.fromEntries(
    list.split(',').map((pair) => {
      const [state, code] = pair.split('=');
      return [state, Number(code)];
    }),
  );
}

/** The app's configuration, validated. */
export interface AppConfig {
  port: number;
  host: string;
  /** The front door: listen backlog, idle keep-alive timeout, processes sharing the port and how. */
  listenBacklog: number;
  acceptLanes: number;
  keepAliveTimeoutMs: number;
  processes: number;
  processSharing: 'reuseport' | 'cluster';
  /** Present when the app runs on the real servers. */
  servers: {
    redisUrl: string;
    kafkaBrokers: string[];
    kafkaClient: KafkaClientName;
    databaseUrl: string;
  } | null;
  operatorToken: string;
  /** Whether the operator token was generated (and must be printed). */
  operatorTokenGenerated: boolean;
  sessionSecret: string;
  /** Signs bypass and priority invitations (32+ bytes). */
  invitationSecret: string;
  /** HTTP status per waiting-room state of join and status answers (unset: 201/200). */
  queueStatusCodes: QueueStatusCodes;
  /** How often adaptive admission adjusts a sale's rate. */
  adaptiveIntervalMs: number;
  worker: boolean;
  saleLoops: boolean;
  payment: { latencyMs: number; failureRate: number };
  /** `auto`: the worker charges at once; `buyer`: the buyer pays within the hold. */
  checkout: 'auto' | 'buyer';
  strategy: 'atomic' | 'lock';
  demoSale: 'seated' | 'general' | 'none';
  demoSaleId: string;
  admitPerSecond: number;
  admissionIntervalMs: number;
  holdMs: number;
  waitingListClaimMs: number;
  powDifficulty: number;
  namespace: string;
  logLevel: string;
  rates: { perIp: number; perUser: number; global: number };
  /** Open event streams one IP may hold at once. */
  streamsPerIp: number;
  botPerIpPerSecond: number;
  botAccountsPerDevice: number;
}

/**
 * Reads the configuration from `env` (normally `process.env`). Throws a `ConfigurationError`
 * naming every bad variable; a partial set of server URLs is an error, not a silent fallback.
 */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  // an empty variable (`REDIS_URL=`) means unset, as shells and .env files commonly write it
  const given = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = Env.safeParse(given);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigurationError(`bad environment: ${issues}`);
  }
  const e = result.data;
  const serverUrls = [e.REDIS_URL, e.KAFKA_BROKERS, e.DATABASE_URL].filter(Boolean).length;
  if (serverUrls !== 0 && serverUrls !== 3) {
    throw new ConfigurationError(
      'set all of REDIS_URL, KAFKA_BROKERS and DATABASE_URL (real servers) or none (in-memory)',
    );
  }
  if (e.CHECKOUT === 'buyer' && !e.WORKER) {
    throw new ConfigurationError(
      'CHECKOUT=buyer needs WORKER=true: the payment simulator and the worker that voids its payments share this process',
    );
  }
  if (e.PROCESSES > 1 && serverUrls === 0) {
    throw new ConfigurationError(
      `PROCESSES=${e.PROCESSES} needs the real servers (REDIS_URL, KAFKA_BROKERS, DATABASE_URL): the in-memory stores live in each process, so ${e.PROCESSES} processes would be ${e.PROCESSES} separate sales`,
    );
  }
  if (e.PROCESSES > 1 && e.CHECKOUT === 'buyer') {
    throw new ConfigurationError(
      `PROCESSES=${e.PROCESSES} with CHECKOUT=buyer: the payment simulator's payments live in one process; use PROCESSES=1`,
    );
  }
  const servers =
    e.REDIS_URL && e.KAFKA_BROKERS && e.DATABASE_URL
      ? {
          redisUrl: e.REDIS_URL,
          kafkaBrokers: e.KAFKA_BROKERS.split(',')
            .map((b) => b.trim())
            .filter(Boolean),
          kafkaClient: e.KAFKA_CLIENT,
          databaseUrl: e.DATABASE_URL,
        }
      : null;
  return {
    port: e.PORT,
    host: e.HOST,
    listenBacklog: e.LISTEN_BACKLOG,
    acceptLanes: e.ACCEPT_LANES,
    keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
    processes: e.PROCESSES,
    processSharing: e.PROCESS_SHARING,
    servers,
    operatorToken: e.OPERATOR_TOKEN ?? randomBytes(18).toString('base64url'),
    operatorTokenGenerated: e.OPERATOR_TOKEN === undefined,
    sessionSecret: e.SESSION_SECRET ?? randomBytes(32).toString('base64url'),
    invitationSecret: e.INVITATION_SECRET ?? randomBytes(32).toString('base64url'),
    queueStatusCodes: statusCodesOf(e.QUEUE_STATUS_CODES),
    adaptiveIntervalMs: e.ADAPTIVE_INTERVAL_MS,
    worker: e.WORKER,
    saleLoops: e.SALE_LOOPS,
    payment: { latencyMs: e.PAYMENT_LATENCY_MS, failureRate: e.PAYMENT_FAILURE_RATE },
    checkout: e.CHECKOUT,
    strategy: e.RESERVE_STRATEGY,
    demoSale: e.DEMO_SALE,
    demoSaleId: e.DEMO_SALE_ID,
    admitPerSecond: e.ADMIT_PER_SECOND,
    admissionIntervalMs: e.ADMISSION_INTERVAL_MS,
    holdMs: e.HOLD_MS,
    waitingListClaimMs: e.WAITING_LIST_CLAIM_MS,
    powDifficulty: e.POW_DIFFICULTY,
    namespace: e.NAMESPACE,
    logLevel: e.LOG_LEVEL,
    rates: { perIp: e.RATE_PER_IP, perUser: e.RATE_PER_USER, global: e.RATE_GLOBAL },
    streamsPerIp: e.STREAMS_PER_IP,
    botPerIpPerSecond: e.BOT_PER_IP_PER_SECOND,
    botAccountsPerDevice: e.BOT_ACCOUNTS_PER_DEVICE,
  };
}
