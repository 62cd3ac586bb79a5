import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createKafka } from '@seatrush/kafka-adapter';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnswerLog, auditAnswers } from '../../examples/express-app/test/support/answer-audit';
import { type PostgresServer, postgresServer } from '../../examples/express-app/test/support/fault-servers';
import {
  Buyer,
  generalSale,
  openSale,
  pool,
  sleep,
  TEST_APP_ENV,
} from '../../examples/express-app/test/support/harness';
import { type RedisProcess, startRedis } from '../../packages/redis-adapter/test/redis-process';
import { freePort, uniqueName } from '../support';

// Issue 20, item 4: the fault suite. The example app (dist/main.js, WORKER=false) and its worker
// (dist/worker.js) run as processes of their own against servers of the suite's own: a Redis
// with AOF (appendfsync everysec) and a PostgreSQL (initdb in a temporary folder), so the faults
// break nothing another test uses. One sale; for each fault in turn a fresh batch of buyers signs
// in, is admitted and reserves at once, and the fault strikes once a third of them answered.
// Buyers retry an unanswered, 5xx or 202 reserve with the same Idempotency-Key every 200 ms (for up
// to 30 s), as the app's Retry-After asks. After each fault every answer so far is held against
// PostgreSQL and Redis (`auditAnswers`): nothing oversold or sold twice, nothing acknowledged lost,
// no hold left by a 5xx, Redis's counts add up and agree with PostgreSQL. Each step prints its
// recovery: `serviceMs`, from the fault to the first hold acknowledged to a request sent after it,
// and `pipelineMs`, from the fault to the first of those holds CONFIRMED in PostgreSQL.
//
// The short form (the default, in CI) runs 30 buyers a step and every fault but the Kafka broker's;
// `pnpm faults` (FAULTS=full) runs 200 a step and adds the SIGKILL of one broker of a 3-broker Kafka
// cluster of the suite's own (ports 9592-9594), started and stopped by the suite. The promotion of
// a Sentinel replica is sentinel-failover.cluster.test.ts beside this file (through the SDK: the
// example app takes a REDIS_URL only).

const FULL = process.env.FAULTS === 'full';
const PER_STEP = Number(process.env.FAULTS_BUYERS ?? (FULL ? 200 : 30));
const CONCURRENCY = FULL ? 32 : 10;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const APP = `${ROOT}examples/express-app/dist/main.js`;
const WORKER = `${ROOT}examples/express-app/dist/worker.js`;
const KAFKA_SH = `${ROOT}scripts/services/kafka.sh`;
const PRIVATE_KAFKA = { SEATRUSH_KAFKA_CLUSTER_NAME: 'faults', SEATRUSH_KAFKA_CLUSTER_PORT: '9592' };
const SALE = 'faults';

/** Every fault, by the short name FAULTS_STEPS lists them with (e.g. FAULTS_STEPS=redis,wipe). */
const FAULTS = {
  app: 'SIGKILL the app',
  worker: 'SIGKILL the worker',
  kafka: 'SIGKILL one Kafka broker of three',
  postgres: 'restart PostgreSQL',
  redis: 'SIGKILL Redis (AOF everysec)',
  wipe: 'wipe Redis (FLUSHALL)',
} as const;
type Step = keyof typeof FAULTS;
// the short form leaves out the worker (its successor waits out the dead member's Kafka session,
// about a minute) and the Kafka broker (three brokers of the suite's own to start)
const STEPS = (
  process.env.FAULTS_STEPS ?? (FULL ? 'app,worker,kafka,postgres,redis,wipe' : 'app,postgres,redis,wipe')
).split(',') as Step[];
for (const step of STEPS) if (!(step in FAULTS)) throw new Error(`FAULTS_STEPS: no fault named ${step}`);
const KAFKA_FAULT = STEPS.includes('kafka');

function kafkaSh(...args: string[]): string {
  return execFileSync('bash', [KAFKA_SH, ...args], {
    env: { ...process.env, ...PRIVATE_KAFKA },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 180_000,
  }).toString();
}

/** A process of the app (or its worker) the suite starts, kills and starts again on one port. */
class AppProcess {
  child: ChildProcess | null = null;
  private stderr: string[] = [];

  constructor(
    readonly entry: string,
    readonly port: number,
    readonly env: Record<string, string>,
    /** A path that answers 200 once the process serves. */
    readonly ready: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts it and waits until it answers; the time it took. */
  async start(): Promise<number> {
    const started = Date.now();
    const child = spawn(process.execPath, [this.entry], {
      env: { ...process.env, ...this.env, PORT: String(this.port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    this.stderr = [];
    child.stderr?.on('data', (chunk: Buffer) => this.stderr.push(...chunk.toString().split('\n')));
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`${this.entry} exited with ${child.exitCode}: ${this.stderr.slice(-20).join('\n')}`);
      }
      const answer = await fetch(this.url + this.ready).catch(() => null);
      if (answer?.ok) return Date.now() - started;
      if (Date.now() - started > 90_000) throw new Error(`${this.entry} did not answer within 90 s`);
      await sleep(50);
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}

/** When each answer came, to find the first acknowledged hold after a fault. */
interface Timed {
  at: number;
  /** When the request was sent. */
  sentAt: number;
  status: number;
  code: string | null;
  reservationId: string | null;
}

describe(`fault suite (${FULL ? 'full' : 'short'} form): every invariant holds after every fault`, () => {
  const namespace = uniqueName('faults');
  const log = new AnswerLog();
  const timed: Timed[] = [];
  const figures: Array<Record<string, unknown>> = [];
  let store: RedisProcess;
  let db: PostgresServer;
  let truthDb: pg.Pool;
  let truthRedis: Redis;
  let kafkaBrokers: string[];
  let app: AppProcess;
  let worker: AppProcess;
  let buyersSoFar = 0;

  beforeAll(async () => {
    expect(existsSync(APP) && existsSync(WORKER), 'the example app is built (pnpm build)').toBe(true);
    store = await startRedis(['--appendonly', 'yes', '--appendfsync', 'everysec']);
    db = await postgresServer();
    if (KAFKA_FAULT) {
      kafkaSh('up', 'cluster');
      kafkaBrokers = ['127.0.0.1:9592', '127.0.0.1:9593', '127.0.0.1:9594'];
    } else {
      const shared = process.env.KAFKA_BROKERS;
      if (!shared) throw new Error('the fault suite needs KAFKA_BROKERS (pnpm services up, .services/env)');
      kafkaBrokers = shared.split(',');
    }
    truthDb = new pg.Pool({ connectionString: db.url, max: 2 });
    truthDb.on('error', () => {}); // an idle connection cut by the restart of PostgreSQL
    truthRedis = new Redis(store.url, { maxRetriesPerRequest: 2 });
    truthRedis.on('error', () => {}); // it is killed on purpose
    const env = {
      ...TEST_APP_ENV,
      HOST: '127.0.0.1',
      REDIS_URL: store.url,
      DATABASE_URL: db.url,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      NAMESPACE: namespace,
      LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? 'error',
      // a restarted process accepts the sessions of the one before
      SESSION_SECRET: 'fault-suite-session-secret-0123456789abcdef',
      INVITATION_SECRET: 'fault-suite-invitation-secret-0123456789abc',
      DEMO_SALE: 'none',
      BOT_PER_IP_PER_SECOND: '10000',
    };
    app = new AppProcess(APP, await freePort(), { ...env, WORKER: 'false' }, '/api/sales');
    worker = new AppProcess(WORKER, await freePort(), env, '/health');
    await app.start();
    await worker.start();
    // a unit for every buyer of every step: a hold the store lost (a wipe) can then never have lost
    // its units to another buyer meanwhile, so any acknowledged hold not sold is a loss
    const capacity = STEPS.length * PER_STEP;
    await openSale(
      app.url,
      generalSale(SALE, capacity, {
        holdMs: 300_000,
        admission: { usersPerInterval: 1_000, intervalMs: 100, maxActive: 100_000, sessionMs: 600_000 },
        limits: { ticketsPerUser: 1 },
      }),
    );
  }, 300_000);

  afterAll(async () => {
    console.info(`[faults] ${FULL ? 'full' : 'short'} form, ${PER_STEP} buyers a step`);
    console.table(figures);
    await app?.kill('SIGTERM').catch(() => {});
    await worker?.kill('SIGTERM').catch(() => {});
    await truthDb?.end().catch(() => {});
    truthRedis?.disconnect();
    await store?.destroy().catch(() => {});
    db?.destroy();
    if (KAFKA_FAULT) {
      kafkaSh('down', 'cluster');
    } else if (kafkaBrokers) {
      const admin = createKafka({ brokers: kafkaBrokers, clientId: namespace }).admin();
      await admin.connect();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(namespace));
      if (topics.length > 0) await admin.deleteTopics({ topics });
      await admin.disconnect();
    }
  }, 240_000);

  /** `count` buyers, each on a device of their own, signed in and admitted. */
  async function admitted(count: number): Promise<Buyer[]> {
    const first = buyersSoFar;
    buyersSoFar += count;
    return pool(
      Array.from({ length: count }, (_, i) => first + i),
      CONCURRENCY,
      async (i) => {
        const device = { 'x-device-fingerprint': `fault-device-${i.toString().padStart(6, '0')}` };
        return (await new Buyer(app.url, device).login(`f-${i}`)).enter(SALE);
      },
    );
  }

  /**
   * A buyer's reserve, retried with the same key while unanswered, 5xx or 202, and after entering
   * the waiting room again when told they are not admitted (a wiped Redis forgets who was): for up
   * to 30 s.
   */
  async function reserveUntilAnswered(buyer: Buyer, key: string): Promise<void> {
    const started = Date.now();
    for (;;) {
      const answer = await log.reserve(buyer, SALE, { quantity: 1 }, key);
      timed.push({
        at: Date.now(),
        sentAt: Date.now() - answer.ms,
        status: answer.status,
        code: answer.code,
        reservationId: answer.reservationId,
      });
      const readmit = answer.status === 403 && answer.code === 'NOT_ADMITTED';
      const retry = answer.status === 0 || answer.status >= 500 || answer.status === 202 || readmit;
      if (!retry || Date.now() - started > 30_000) return;
      if (readmit) await buyer.enter(SALE).catch(() => undefined);
      else await sleep(200);
    }
  }

  async function injectFault(step: Step): Promise<() => Promise<void>> {
    switch (step) {
      case 'app':
        await app.kill();
        await app.start(); // as a supervisor restarts it
        return async () => {};
      case 'worker':
        await worker.kill();
        await worker.start();
        return async () => {};
      case 'kafka':
        kafkaSh('kill-node', '2');
        // the broker stays down for the rest of the step; it comes back before the next fault
        return async () => {
          kafkaSh('start-node', '2');
        };
      case 'postgres':
        await db.restart(1_000);
        return async () => {};
      case 'redis':
        await store.kill();
        await store.restart(); // on its AOF
        return async () => {};
      case 'wipe':
        await truthRedis.flushall();
        return async () => {};
    }
  }

  for (const step of STEPS) {
    it(FAULTS[step], async () => {
      const buyers = await admitted(PER_STEP);
      const answeredBefore = timed.length;
      const spike = pool(buyers, CONCURRENCY, (buyer, i) =>
        reserveUntilAnswered(buyer, `s${STEPS.indexOf(step)}-${i}`),
      );
      while (timed.length - answeredBefore < PER_STEP / 3) await sleep(5);
      const faultAt = Date.now();
      // the pipeline's recovery: the first hold acknowledged after the fault CONFIRMED in PostgreSQL
      let confirmedAt: number | null = null;
      let watching = true;
      const watch = (async () => {
        while (watching && Date.now() - faultAt < 120_000) {
          const after = timed
            .filter((t) => t.sentAt > faultAt && t.reservationId && (t.status === 201 || t.status === 200))
            .map((t) => t.reservationId!);
          if (after.length > 0) {
            const { rows } = await truthDb
              .query<{ n: string }>(
                `SELECT count(*) AS n FROM ${namespace}.reservations WHERE reservation_id = ANY($1) AND status = 'CONFIRMED'`,
                [after],
              )
              .catch(() => ({ rows: [{ n: '0' }] }));
            if (Number(rows[0]!.n) > 0) {
              confirmedAt = Date.now();
              return;
            }
          }
          await sleep(100);
        }
      })();
      const afterwards = await injectFault(step);
      const faultDoneMs = Date.now() - faultAt;
      await spike;
      const firstHeld = timed.find((t) => t.sentAt > faultAt && (t.status === 201 || t.status === 200));
      await watch;
      watching = false;

      const finals = await auditAnswers(
        log,
        { db: truthDb, schema: namespace, redis: truthRedis, keyPrefix: `${namespace}:`, saleId: SALE },
        90_000,
      );
      await afterwards();
      const stepAnswers = timed.slice(answeredBefore);
      // acknowledged holds of this step that ended FAILED: a hold the store lost after saying HELD
      const held = [
        ...new Set(
          stepAnswers
            .filter((t) => (t.status === 201 || t.status === 200) && t.reservationId)
            .map((t) => t.reservationId!),
        ),
      ];
      const { rows: failed } = await truthDb.query<{ reservation_id: string; failure_reason: string | null }>(
        `SELECT reservation_id, failure_reason FROM ${namespace}.reservations
          WHERE reservation_id = ANY($1) AND status <> 'CONFIRMED'`,
        [held],
      );
      const tally: Record<string, number> = {};
      for (const t of stepAnswers) {
        const label = t.code ? `${t.status} ${t.code}` : String(t.status);
        tally[label] = (tally[label] ?? 0) + 1;
      }
      const row = {
        fault: FAULTS[step],
        buyers: PER_STEP,
        faultMs: faultDoneMs,
        serviceMs: firstHeld ? firstHeld.at - faultAt : null,
        pipelineMs: confirmedAt ? (confirmedAt as number) - faultAt : null,
        acknowledged: held.length,
        acknowledgedNotSold: failed.length,
        answers: JSON.stringify(tally),
      };
      figures.push(row);
      console.info('[faults]', row, { finalStatesSoFar: finals });
      // the service came back: a hold was acknowledged after the fault, and it was confirmed
      expect(firstHeld, 'a hold acknowledged after the fault').toBeDefined();
      expect(confirmedAt, 'a hold made after the fault was confirmed in PostgreSQL').not.toBeNull();
      // nothing acknowledged lost: every hold a buyer was told of is sold (the payments never
      // fail here, and units are plenty). A wipe included: a hold acknowledged but not yet written
      // to PostgreSQL when Redis was wiped is not rebuilt, and the worker holds it again from its
      // event (docs/design.md, Rebuild of a lost sale)
      expect(failed, 'acknowledged holds that were not sold').toEqual([]);
    }, 240_000);
  }
});
