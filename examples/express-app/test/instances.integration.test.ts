import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, request as forward, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort, uniqueName } from '@seatrush/test-support';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { AnswerLog, auditAnswers } from './support/answer-audit';
import {
  Buyer,
  generalSale,
  openSale,
  operator,
  pool,
  serversEnv,
  sleep,
  TEST_APP_ENV,
} from './support/harness';

const INSTANCES = 3;
const BUYERS = Number(process.env.INSTANCES_BUYERS ?? 2_000);
const UNITS = 200;
const CONCURRENCY = 100;

/** A round-robin proxy on loopback: each request (an SSE stream too) goes to the next live instance. */
function roundRobin(upstreams: () => number[]): Promise<{ server: Server; url: string }> {
  let turn = 0;
  const server = createServer((req, res) => {
    const live = upstreams();
    const port = live[turn++ % live.length]!;
    const out = forward(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        // hop-by-hop headers stay on their hop (RFC 9110 §7.6.1): the instance's `Keep-Alive:
        // timeout=65` passed on made the buyer's client keep an idle connection for a minute,
        // which this proxy closes after its own 5 s, so a request sent as it closed was reset
        const { connection: _c, 'keep-alive': _k, ...headers } = up.headers;
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
      },
    );
    // the instance died mid-request: the buyer's connection breaks too (its outcome is unknown)
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

describe(`${INSTANCES} instances of the app act as one sale (Redis, Kafka, PostgreSQL)`, () => {
  const services = inject('services');
  const namespace = uniqueName('three');
  const db = new pg.Pool({ connectionString: services.databaseUrl, max: 2 });
  const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 2 });
  const children: Array<{ child: ChildProcess; port: number }> = [];
  let proxy: Server | undefined;

  afterAll(async () => {
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
    proxy?.close();
    await db.query(`DROP SCHEMA IF EXISTS ${namespace} CASCADE`).catch(() => {});
    await db.end();
    redis.disconnect();
  });

  it('pauses everywhere, verifies challenges anywhere, survives the loop owner’s SIGKILL, and the books balance', async () => {
    const entry = fileURLToPath(new URL('../dist/main.js', import.meta.url));
    expect(existsSync(entry), 'the example app is built (pnpm build)').toBe(true);
    const env = {
      ...process.env,
      ...TEST_APP_ENV,
      ...serversEnv(services),
      NAMESPACE: namespace,
      LOG_LEVEL: process.env.INSTANCES_LOG_LEVEL ?? 'error',
      SESSION_SECRET: 'three-instances-session-secret-0123456789abcdef',
      INVITATION_SECRET: 'three-instances-invitation-secret-0123456789ab',
      DEMO_SALE: 'none',
      // every buyer comes from loopback with the same headers
      BOT_PER_IP_PER_SECOND: '10000',
    };
    for (let i = 0; i < INSTANCES; i += 1) {
      const port = await freePort();
      const child = spawn(process.execPath, [entry], {
        env: { ...env, PORT: String(port) },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push({ child, port });
    }
    const urlOf = (port: number) => `http://127.0.0.1:${port}`;
    for (const { child, port } of children) {
      const deadline = Date.now() + 120_000;
      while (!(await fetch(`${urlOf(port)}/api/sales`).catch(() => null))?.ok) {
        if (child.exitCode !== null) throw new Error(`an instance exited with ${child.exitCode}`);
        if (Date.now() > deadline) throw new Error('an instance did not answer within 120 s');
        await sleep(100);
      }
    }
    const live = () =>
      children.filter((c) => c.child.exitCode === null && !c.child.killed).map((c) => c.port);
    const front = await roundRobin(live);
    proxy = front.server;

    // a retry starts a new sale (a sale id, once opened, is never defined again)
    const saleId = `three-${Date.now().toString(36)}`;
    // the operator defines and warms the sale on one instance; the others discover it
    await openSale(
      urlOf(children[0]!.port),
      generalSale(saleId, UNITS, {
        // room for every buyer and the cross-instance one
        admission: { usersPerInterval: BUYERS, intervalMs: 100, maxActive: BUYERS + 1, sessionMs: 600_000 },
        limits: { ticketsPerUser: 1 },
      }),
    );
    // every instance serves the sale (the ones that did not define it load it from PostgreSQL)
    for (const { port } of children) {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const sales = (await (await fetch(`${urlOf(port)}/api/sales`)).json()) as {
          sales: Array<{ id: string }>;
        };
        if (sales.sales.some((s) => s.id === saleId)) break;
        if (Date.now() > deadline) throw new Error(`instance ${port} never served the sale`);
        await sleep(200);
      }
    }

    // a challenge issued by one instance is answered at another
    const first = await new Buyer(urlOf(children[0]!.port)).login('cross');
    const issued = await first.request('POST', `/api/sales/${saleId}/challenge`);
    expect(issued.status).toBe(201);
    const second = new Buyer(urlOf(children[1]!.port));
    second.cookies = first.cookies;
    const { solveProofOfWork } = await import('@seatrush/core');
    const answer = solveProofOfWork(issued.body.challenge.prompt);
    const joined = await second.request('POST', `/api/sales/${saleId}/queue`, {
      body: { challenge: { challengeId: issued.body.challenge.id, answer } },
    });
    expect(joined.status).toBe(201);
    // and spent once: the same answer at the third instance is refused
    const third = new Buyer(urlOf(children[2]!.port));
    third.cookies = first.cookies;
    const replay = await third.request('POST', `/api/sales/${saleId}/queue`, {
      body: { challenge: { challengeId: issued.body.challenge.id, answer } },
    });
    expect(replay.status).not.toBe(201);

    // everyone signs in and joins through the round-robin front
    const buyers = await pool(
      Array.from({ length: BUYERS }, (_, i) => i),
      CONCURRENCY,
      async (i) => {
        // each buyer on their own device (the bot guard counts accounts per device on every instance)
        const device = { 'x-device-fingerprint': `device-${i.toString().padStart(6, '0')}` };
        const buyer = await new Buyer(front.url, device).login(`b-${i}`);
        const entered = await buyer.join(saleId);
        expect([200, 201]).toContain(entered.status);
        return buyer;
      },
    );
    const joinedAt = Date.now();
    await pool(buyers, CONCURRENCY, (buyer) =>
      buyer.waitForAdmission(saleId, 60_000).catch(async (error) => {
        const healths = await Promise.all(
          children.map(async ({ port }) => (await fetch(`${urlOf(port)}/health`)).json()),
        );
        console.error('[instances] not admitted', Date.now() - joinedAt, JSON.stringify(healths));
        throw error;
      }),
    );

    // a pause made on one instance is refused on all, within one admission interval
    const op = operator(urlOf(children[0]!.port));
    expect((await op.request('POST', `/api/operator/sales/${saleId}/pause`)).status).toBe(200);
    await sleep(1_200);
    for (const [index, { port }] of children.entries()) {
      const probe = new Buyer(urlOf(port));
      probe.cookies = buyers[index]!.cookies;
      const refused = await probe.reserve(
        saleId,
        { quantity: 1 },
        `paused-${index}`,
        buyers[index]!.admissionToken,
      );
      expect(refused.status, `instance ${index} refuses while paused`).toBe(409);
      expect(refused.body.error.code).toBe('SALE_NOT_OPEN');
    }
    const resumed = await operator(urlOf(children[2]!.port)).request(
      'POST',
      `/api/operator/sales/${saleId}/resume`,
    );
    expect(resumed.status).toBe(200);
    await sleep(1_200);

    // the rush, with the admission loop's owner SIGKILLed in the middle of it
    const ownerOf = async () => {
      for (const c of children) {
        if (c.child.exitCode !== null || c.child.killed) continue;
        const health = await fetch(`${urlOf(c.port)}/health`).catch(() => null);
        const body = (await health?.json().catch(() => null)) as {
          loops?: Array<{ id: string; admission: boolean }>;
        } | null;
        if (body?.loops?.find((s) => s.id === saleId)?.admission) return c;
      }
      return null;
    };
    const owner = await ownerOf();
    expect(owner, 'one instance owns the admission loop').not.toBeNull();
    const log = new AnswerLog();
    const rush = pool(buyers, CONCURRENCY, (buyer, i) =>
      log.reserve(buyer, saleId, { quantity: 1 }, `rush-${i}`),
    );
    await sleep(300);
    // the loop's fencing counter in Redis: it moves when another instance takes the lease
    const [fenceKey] = await redis.keys(`${namespace}:*lease:*${saleId}*admission:fence`);
    expect(fenceKey, 'the admission lease is in Redis').toBeDefined();
    const fenceBefore = await redis.get(fenceKey!);
    const killedAt = Date.now();
    owner!.child.kill('SIGKILL');
    while ((await redis.get(fenceKey!)) === fenceBefore && Date.now() - killedAt < 30_000) await sleep(20);
    const takeoverMs = Date.now() - killedAt;
    expect(await redis.get(fenceKey!), 'another instance took the admission lease').not.toBe(fenceBefore);
    let successor = await ownerOf();
    while (!successor && Date.now() - killedAt < 30_000) {
      await sleep(50);
      successor = await ownerOf();
    }
    expect(successor, 'another instance took the admission loop over').not.toBeNull();
    expect(successor!.port).not.toBe(owner!.port);
    await rush;

    // nothing oversold, nothing acknowledged lost, no duplicates, Redis and PostgreSQL agree
    const finals = await auditAnswers(
      log,
      { db, schema: namespace, redis, keyPrefix: `${namespace}:`, saleId },
      90_000,
    );
    const sold = await db.query<{ n: string; users: string }>(
      `SELECT count(*) AS n, count(DISTINCT user_id) AS users FROM ${namespace}.reservations
        WHERE sale_id = $1 AND status = 'CONFIRMED'`,
      [saleId],
    );
    expect(Number(sold.rows[0]!.n)).toBeLessThanOrEqual(UNITS);
    expect(sold.rows[0]!.users).toBe(sold.rows[0]!.n);
    console.info('[instances] three instances behind a round-robin proxy', {
      answers: log.tally(),
      finalStates: finals,
      loopTakeoverMs: takeoverMs,
      slowestAnswerMs: log.slowestMs(),
    });
  }, 300_000);
});
