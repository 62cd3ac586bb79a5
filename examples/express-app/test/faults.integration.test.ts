import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort, uniqueName } from '@seatrush/test-support';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startRedis } from '../../../packages/redis-adapter/test/redis-process';
import { demoSale } from '../src/demo-sale';
import { AnswerLog, auditAnswers } from './support/answer-audit';
import { kafkaBroker, postgresServer } from './support/fault-servers';
import { Buyer, openSale, operator, serversEnv, sleep, startTestApp, TEST_APP_ENV } from './support/harness';

/**
 * Faults on the real servers, with buyers' requests in flight: after each, every answer a buyer
 * got is held against PostgreSQL and Redis (`auditAnswers`): nothing acknowledged and then
 * missing, no seat held after a 5xx, nothing sold twice. Each test kills only servers of its own.
 * The figures (answers by status, final states, the slowest answer) are printed.
 */
describe('faults with buyers in flight: every answer agrees with PostgreSQL at the end', () => {
  const services = inject('services');
  const schemas: string[] = [];
  const shared = new pg.Pool({ connectionString: services.databaseUrl, max: 2 });
  const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 2 });

  afterAll(async () => {
    for (const schema of schemas)
      await shared.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await shared.end();
    redis.disconnect();
  });

  /** `count` buyers signed in and admitted to the demo sale. */
  async function buyers(url: string, count: number, prefix: string): Promise<Buyer[]> {
    return Promise.all(
      Array.from({ length: count }, async (_, i) =>
        (await new Buyer(url).login(`${prefix}${i}`)).enter('demo'),
      ),
    );
  }

  /** A buyer's double submit: the same request twice at once, with one Idempotency-Key. */
  const doubleSubmit = (log: AnswerLog, buyer: Buyer, seat: string, key: string) =>
    Promise.all([
      log.reserve(buyer, 'demo', { seatIds: [seat] }, key),
      log.reserve(buyer, 'demo', { seatIds: [seat] }, key),
    ]);

  /** Buyer i wants seat A(i mod 12): every twelfth buyer contends for a seat already asked for. */
  const seatOf = (i: number) => `floor-A${(i % 12) + 1}`;

  it('SIGKILL of the Kafka broker with double submits in flight: held answers stand, refusals changed nothing', async () => {
    const broker = kafkaBroker('fault-broker', 9492);
    broker.up();
    const namespace = uniqueName('kafkakill');
    schemas.push(namespace);
    const app = await startTestApp({
      ...serversEnv(services),
      KAFKA_BROKERS: broker.brokers.join(','),
      NAMESPACE: namespace,
      // 60 s holds: they outlast the outage; the outbox gate refuses new holds once the oldest
      // entry waits more than 5 s
      HOLD_MS: '60000',
    });
    const log = new AnswerLog();
    try {
      const crowd = await buyers(app.url, 24, 'kk');
      const first = await Promise.all(
        crowd.slice(0, 6).map((b, i) => doubleSubmit(log, b, seatOf(i), `kk-${i}`)),
      );
      // the pipeline runs before the fault: the first holds are confirmed
      for (const [i, [answer]] of first.entries()) {
        if (answer.reservationId) await crowd[i]!.waitForResult('demo', answer.reservationId, 30_000);
      }
      // the broker dies while the next double submits are in flight
      const inFlight = Promise.all(
        crowd.slice(6, 14).map((b, i) => doubleSubmit(log, b, seatOf(i + 6), `kk-${i + 6}`)),
      );
      broker.kill();
      const killedAt = Date.now();
      await inFlight;
      await sleep(2_000);
      await Promise.all(
        crowd.slice(14, 18).map((b, i) => doubleSubmit(log, b, seatOf(i + 14), `kk-${i + 14}`)),
      );
      await sleep(Math.max(0, killedAt + 7_000 - Date.now()));
      await Promise.all(crowd.slice(18).map((b, i) => doubleSubmit(log, b, seatOf(i + 18), `kk-${i + 18}`)));
      broker.up();
      const restartedAfterMs = Date.now() - killedAt;

      const finals = await auditAnswers(
        log,
        { db: shared, schema: namespace, redis, keyPrefix: `${namespace}:`, saleId: 'demo' },
        120_000,
      );
      console.info('[faults] Kafka broker SIGKILLed, back after %d ms', restartedAfterMs, {
        answers: log.tally(),
        finalStates: finals,
        slowestAnswerMs: log.slowestMs(),
      });
      const tally = log.tally();
      // the gate worked: once the outbox waited too long, new holds were refused
      expect(tally['503 PIPELINE_STALLED'] ?? 0).toBeGreaterThan(0);
      // and until then the sale kept selling from the outbox
      expect((tally['201'] ?? 0) + (tally['200'] ?? 0)).toBeGreaterThan(0);
      expect(
        Object.keys(tally).filter((label) => label.startsWith('5') && label !== '503 PIPELINE_STALLED'),
      ).toEqual([]);
    } finally {
      await app.close().catch(() => {});
      broker.destroy();
    }
  }, 240_000);

  it('a PostgreSQL restart mid-reserve: no answer is a 5xx, and every hold reaches its final state', async () => {
    const db = await postgresServer();
    const namespace = uniqueName('pgrestart');
    const app = await startTestApp({
      ...serversEnv(services),
      DATABASE_URL: db.url,
      NAMESPACE: namespace,
    });
    const log = new AnswerLog();
    const truthDb = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      const crowd = await buyers(app.url, 16, 'pg');
      const before = Promise.all(crowd.slice(0, 8).map((b, i) => doubleSubmit(log, b, seatOf(i), `pg-${i}`)));
      const restart = db.restart(1_000);
      await sleep(200);
      const during = Promise.all(
        crowd.slice(8).map((b, i) => doubleSubmit(log, b, seatOf(i + 8), `pg-${i + 8}`)),
      );
      await Promise.all([before, restart, during]);

      const finals = await auditAnswers(
        log,
        { db: truthDb, schema: namespace, redis, keyPrefix: `${namespace}:`, saleId: 'demo' },
        90_000,
      );
      console.info('[faults] PostgreSQL restarted mid-reserve', {
        answers: log.tally(),
        finalStates: finals,
        slowestAnswerMs: log.slowestMs(),
      });
      expect(log.answers.filter((a) => a.status >= 500 || a.status === 0)).toEqual([]);
    } finally {
      await app.close().catch(() => {});
      await truthDb.end();
      db.destroy();
    }
  }, 180_000);

  it('SIGKILL of Redis mid-reserve (AOF, fsync always): a 5xx changed nothing, and every hold made reaches its final state', async () => {
    const store = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    const namespace = uniqueName('rediskill');
    schemas.push(namespace);
    const app = await startTestApp({
      ...serversEnv(services),
      REDIS_URL: store.url,
      NAMESPACE: namespace,
    });
    const truthRedis = new Redis(store.url, { maxRetriesPerRequest: 2 });
    truthRedis.on('error', () => {}); // it is down for a while on purpose
    const log = new AnswerLog();
    try {
      const crowd = await buyers(app.url, 16, 'rk');
      await Promise.all(crowd.slice(0, 6).map((b, i) => doubleSubmit(log, b, seatOf(i), `rk-${i}`)));
      const inFlight = Promise.all(
        crowd.slice(6, 12).map((b, i) => doubleSubmit(log, b, seatOf(i + 6), `rk-${i + 6}`)),
      );
      await store.kill();
      await inFlight;
      await Promise.all(crowd.slice(12).map((b, i) => doubleSubmit(log, b, seatOf(i + 12), `rk-${i + 12}`)));
      await store.restart();

      const finals = await auditAnswers(
        log,
        { db: shared, schema: namespace, redis: truthRedis, keyPrefix: `${namespace}:`, saleId: 'demo' },
        90_000,
      );
      console.info('[faults] Redis SIGKILLed mid-reserve and restarted', {
        answers: log.tally(),
        finalStates: finals,
        slowestAnswerMs: log.slowestMs(),
      });
      // an outage is a typed "unavailable" (nothing changed) or "unknown" (202), never an error
      expect(log.answers.filter((a) => a.status === 500 || a.status === 0)).toEqual([]);
    } finally {
      await app.close().catch(() => {});
      truthRedis.disconnect();
      await store.destroy();
    }
  }, 180_000);

  it('SIGKILL and restart of the app: its sales come back, it answers within seconds, nothing acknowledged is lost', async () => {
    const entry = fileURLToPath(new URL('../dist/main.js', import.meta.url));
    expect(existsSync(entry), 'the example app is built (pnpm build)').toBe(true);
    const namespace = uniqueName('appkill');
    schemas.push(namespace);
    const port = await freePort();
    const env = {
      ...process.env,
      ...TEST_APP_ENV,
      ...serversEnv(services),
      NAMESPACE: namespace,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      // the restarted process must accept the buyers' session cookies of the first one
      SESSION_SECRET: 'fault-test-session-secret-0123456789abcdef',
      PAYMENT_LATENCY_MS: '300',
      DEMO_SALE: 'none',
    };
    const url = `http://127.0.0.1:${port}`;
    const start = async (): Promise<{ child: ChildProcess; answeredAfterMs: number }> => {
      const started = Date.now();
      const child = spawn(process.execPath, [entry], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      for (;;) {
        if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode}`);
        const answer = await fetch(`${url}/api/sales`).catch(() => null);
        if (answer?.ok) return { child, answeredAfterMs: Date.now() - started };
        if (Date.now() - started > 60_000) throw new Error('the app did not answer within 60 s');
        await sleep(50);
      }
    };
    let { child } = await start();
    const log = new AnswerLog();
    try {
      const op = operator(url);
      // created through the operator API: only PostgreSQL remembers it across the crash
      await openSale(
        url,
        demoSale({ id: 'demo', kind: 'seated', now: Date.now(), admitPerSecond: 100, holdMs: 60_000 }),
      );
      const crowd = await buyers(url, 10, 'ak');
      await Promise.all(crowd.slice(0, 6).map((b, i) => doubleSubmit(log, b, seatOf(i), `ak-${i}`)));

      const inFlight = Promise.all(
        crowd.slice(6).map((b, i) => doubleSubmit(log, b, seatOf(i + 6), `ak-${i + 6}`)),
      );
      await sleep(20);
      child.kill('SIGKILL');
      await inFlight;
      const restarted = await start();
      child = restarted.child;
      const sales = (await op.request('GET', '/api/sales')).body as { sales: Array<{ id: string }> };
      expect(sales.sales.map((s) => s.id)).toContain('demo');

      const finals = await auditAnswers(
        log,
        { db: shared, schema: namespace, redis, keyPrefix: `${namespace}:`, saleId: 'demo' },
        90_000,
      );
      const stopping = Date.now();
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      console.info('[faults] app SIGKILLed and restarted', {
        answers: log.tally(),
        finalStates: finals,
        answeredAfterRestartMs: restarted.answeredAfterMs,
        sigtermExitMs: Date.now() - stopping,
      });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 240_000);
});
