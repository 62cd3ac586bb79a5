import { type BotGuardOptionsInput, solveProofOfWork } from '@seatrush/core';
import { checkProofOfWork, ProofOfWorkPrompt } from '@seatrush/core/services';
import { testSale } from '@seatrush/core/testing';
import { type ServiceAddresses, uniqueName } from '@seatrush/test-support';
import pg from 'pg';
import type { Logger } from 'pino';
import { afterAll, beforeAll, inject } from 'vitest';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/ops/logger';
import type { AppPorts } from '../../src/platform/platform';
import { type RunningApp, startApp } from '../../src/server';

/** An answer that does NOT solve the prompt: a fixed string solves a low difficulty by chance. */
export function wrongAnswerTo(prompt: unknown): string {
  const pow = ProofOfWorkPrompt.parse(prompt);
  for (let n = 0; ; n += 1) {
    const answer = `wrong-${n}`;
    if (!checkProofOfWork(pow, answer)) return answer;
  }
}

export const OPERATOR_TOKEN = 'test-operator-token-0123456789';

/**
 * Bot rules loose enough for many test clients on one loopback address and one machine, still
 * challenging everyone.
 */
export const TEST_BOT_GUARD: BotGuardOptionsInput = {
  burst: {
    perUser: { maxRequests: 1_000, windowMs: 1_000 },
    perIp: { maxRequests: 10_000, windowMs: 1_000 },
  },
  rateLimits: { perUser: null, perIp: null },
  headers: { action: 'allow' },
  // every browser context of a test machine has the same device fingerprint
  device: { maxAccounts: 1_000 },
};

/**
 * The app's settings in tests (in process, or as a child from dist/): an ephemeral loopback port,
 * quick admission, an easy challenge, an instant payment simulator, no logs, defences wide open.
 */
export const TEST_APP_ENV: Readonly<Record<string, string>> = {
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  OPERATOR_TOKEN,
  POW_DIFFICULTY: '4',
  PAYMENT_LATENCY_MS: '0',
  PAYMENT_FAILURE_RATE: '0',
  ADMIT_PER_SECOND: '100',
  ADMISSION_INTERVAL_MS: '100',
  RATE_PER_IP: '100000',
  RATE_PER_USER: '1000',
  RATE_GLOBAL: '100000',
};

/**
 * Starts the app on an ephemeral loopback port with the in-memory default (unless `ports` is
 * given): quick admission, an easy challenge, an instant payment simulator, no logs.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: {
    ports?: AppPorts;
    random?: () => number;
    botGuard?: BotGuardOptionsInput;
    /** The app's logger (default: silent). */
    log?: Logger;
  } = {},
): Promise<RunningApp> {
  const config = loadConfig({ ...TEST_APP_ENV, ...env });
  return startApp(config, {
    log: options.log ?? createLogger('silent'),
    botGuard: options.botGuard ?? TEST_BOT_GUARD,
    ...(options.ports ? { ports: options.ports } : {}),
    ...(options.random ? { random: options.random } : {}),
  });
}

/** An HTTP answer: status, parsed JSON body (or null) and headers. */
// biome-ignore lint/suspicious/noExplicitAny: answers are JSON the tests check field by field with expect
export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A plain HTTP client with a cookie jar of one session. */
export class Client {
  cookies = new Map<string, string>();

  constructor(
    readonly baseUrl: string,
    readonly defaultHeaders: Record<string, string> = {},
  ) {}

  // biome-ignore lint/suspicious/noExplicitAny: as above
  async request<T = any>(
    method: string,
    path: string,
    options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = {
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) SeatRushTest/1.0',
      accept: 'application/json',
      ...this.defaultHeaders,
      ...options.headers,
    };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (options.rawBody !== undefined) {
      body = options.rawBody;
      headers['content-type'] = 'application/json';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(this.baseUrl + path, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    }).catch((error: Error & { cause?: { code?: string } }) => {
      // undici says only "fetch failed": name the request, so a failure under load can be traced
      throw new Error(`${method} ${path}: ${error.message} (${error.cause?.code ?? 'no code'})`, {
        cause: error,
      });
    });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    let parsed: unknown = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
}

/** A buyer: signs in, solves the challenge, joins, waits for admission, reserves. */
export class Buyer extends Client {
  userId = '';
  admissionToken = '';

  async login(name: string): Promise<this> {
    const answer = await this.request('POST', '/api/login', { body: { name } });
    if (answer.status !== 201)
      throw new Error(`login failed: ${answer.status} ${JSON.stringify(answer.body)}`);
    this.userId = answer.body.user.id;
    return this;
  }

  async join(saleId: string): Promise<Answer> {
    const issued = await this.request('POST', `/api/sales/${saleId}/challenge`);
    if (issued.status !== 201) return issued;
    const answer = solveProofOfWork(issued.body.challenge.prompt);
    return this.request('POST', `/api/sales/${saleId}/queue`, {
      body: { challenge: { challengeId: issued.body.challenge.id, answer } },
    });
  }

  /** Polls the queue status until admitted (the admission tick runs every 100 ms in tests). */
  async waitForAdmission(saleId: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const status = await this.request('GET', `/api/sales/${saleId}/queue`);
      if (status.status !== 200)
        throw new Error(`queue status ${status.status}: ${JSON.stringify(status.body)}`);
      if (status.body.queue.state === 'ADMITTED') {
        this.admissionToken = status.body.queue.admissionToken;
        return;
      }
      await sleep(50);
    }
    throw new Error('not admitted in time');
  }

  async enter(saleId: string): Promise<this> {
    const joined = await this.join(saleId);
    if (joined.status !== 201 && joined.status !== 200) {
      throw new Error(`join failed: ${joined.status} ${JSON.stringify(joined.body)}`);
    }
    await this.waitForAdmission(saleId);
    return this;
  }

  reserve(
    saleId: string,
    body: unknown,
    idempotencyKey: string,
    token = this.admissionToken,
  ): Promise<Answer> {
    return this.request('POST', `/api/sales/${saleId}/reservations`, {
      body,
      headers: { 'idempotency-key': idempotencyKey, ...(token ? { 'x-admission-token': token } : {}) },
    });
  }

  /** Polls a reservation until it is final. */
  // biome-ignore lint/suspicious/noExplicitAny: as above
  async waitForResult(saleId: string, reservationId: string, timeoutMs = 15_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const answer = await this.request('GET', `/api/sales/${saleId}/reservations/${reservationId}`);
      if (answer.status !== 200)
        throw new Error(`reservation ${answer.status}: ${JSON.stringify(answer.body)}`);
      if (answer.body.reservation.status !== 'HELD') return answer.body.reservation;
      await sleep(25);
    }
    throw new Error('no final result in time');
  }
}

/** An operator client (Bearer token). */
export function operator(baseUrl: string): Client {
  return new Client(baseUrl, { authorization: `Bearer ${OPERATOR_TOKEN}` });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A small general-admission sale definition for tests: core's `testSale` at 2,500 cents, admitting
 * buyers as fast as a test sends them. `extra` replaces whole fields (an admission of its own,
 * queueing settings, …) in what the operator API receives.
 */
export function generalSale(id: string, capacity: number, extra: Record<string, unknown> = {}) {
  return {
    ...testSale({
      id,
      name: `Test sale ${id}`,
      capacity,
      tiers: [{ id: 'std', name: 'Standard', priceCents: 2_500 }],
      admission: { usersPerInterval: 1_000, intervalMs: 100, maxActive: 100_000 },
    }),
    ...extra,
  };
}

/** Creates, warms up and opens a sale through the operator API. */
export async function openSale(baseUrl: string, definition: unknown): Promise<void> {
  const op = operator(baseUrl);
  const created = await op.request('POST', '/api/operator/sales', { body: definition });
  if (created.status !== 201)
    throw new Error(`create failed: ${created.status} ${JSON.stringify(created.body)}`);
  const id = (definition as { id: string }).id;
  for (const step of ['warm-up', 'open']) {
    const answer = await op.request('POST', `/api/operator/sales/${id}/${step}`);
    if (answer.status !== 200)
      throw new Error(`${step} failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function pool<T, R>(
  items: T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!, index);
      }
    }),
  );
  return results;
}

/** The app's environment for the real servers an integration test was given (`inject('services')`). */
export function serversEnv(services: ServiceAddresses): Record<string, string> {
  return {
    REDIS_URL: services.redisUrl,
    DATABASE_URL: services.databaseUrl,
    KAFKA_BROKERS: services.kafkaBrokers.join(','),
  };
}

/** Drops the schemas (namespaces) a test made in PostgreSQL; one already gone is no error. */
export async function dropSchemas(databaseUrl: string, schemas: readonly string[]): Promise<void> {
  const db = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    for (const schema of schemas) await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
  } finally {
    await db.end();
  }
}

/** The app on the real servers and a pool on their database, shared by a describe block's tests. */
export interface ServersSuite {
  readonly app: RunningApp;
  /** A pool (2 connections) on the servers' database, to check what the app wrote. */
  readonly db: pg.Pool;
  /** The app's namespace: its Redis keys, Kafka topics and PostgreSQL schema. */
  readonly namespace: string;
}

/**
 * Starts the app on the real servers in a fresh namespace (named from `prefix`) before the
 * describe block's tests, with `env` beside the servers' addresses, and closes it, drops its
 * schema and ends the pool after them. Read the fields inside the tests, once started.
 */
export function serversSuite(prefix: string, env: Record<string, string> = {}): ServersSuite {
  const services = inject('services');
  const namespace = uniqueName(prefix);
  const suite = { namespace } as { app: RunningApp; db: pg.Pool; namespace: string };
  beforeAll(async () => {
    suite.app = await startTestApp({ ...serversEnv(services), NAMESPACE: namespace, ...env });
    suite.db = new pg.Pool({ connectionString: services.databaseUrl, max: 2 });
  });
  afterAll(async () => {
    await suite.app?.close();
    await suite.db?.query(`DROP SCHEMA IF EXISTS ${namespace} CASCADE`).catch(() => {});
    await suite.db?.end();
  });
  return suite;
}
