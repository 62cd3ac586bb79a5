// A load figure for the hot path over HTTP: N buyers sign in, solve the challenge, join and are
// admitted; then all press "buy" at once for a general-admission sale. Prints reserve latency
// percentiles, throughput and the outcome tally. Starts its own app from dist/ (`pnpm build`
// first) on the embedded default, or on the real servers when REDIS_URL/KAFKA_BROKERS/
// DATABASE_URL are set (with a fresh NAMESPACE).
//   node scripts/load.mjs [buyers=1000] [units=200] [concurrency=100]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiCaller, solve } from './demo-client.mjs';

const [BUYERS = 1000, UNITS = 200, CONCURRENCY = 100] = process.argv.slice(2).map(Number);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PORT = process.env.LOAD_PORT ?? '3198';
const BASE = `http://127.0.0.1:${PORT}`;
const TOKEN = `load-${randomBytes(12).toString('hex')}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const NAMESPACE = `load_${randomBytes(4).toString('hex')}`;
const app = spawn(process.execPath, ['dist/main.js'], {
  cwd: root,
  env: {
    ...process.env,
    PORT,
    OPERATOR_TOKEN: TOKEN,
    NAMESPACE,
    DEMO_SALE: 'none',
    POW_DIFFICULTY: '4',
    PAYMENT_LATENCY_MS: '0',
    PAYMENT_FAILURE_RATE: '0',
    RATE_PER_IP: '1000000',
    RATE_PER_USER: '1000',
    RATE_GLOBAL: '1000000',
    BOT_PER_IP_PER_SECOND: '10000',
    LOG_LEVEL: 'error',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});

const call = apiCaller(BASE, () => `Mozilla/5.0 (X11; Linux x86_64) Load/${randomBytes(3).toString('hex')}`);

async function pool(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i], i);
      }
    }),
  );
  return results;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

try {
  for (let i = 0; i < 300; i++) {
    if ((await fetch(`${BASE}/health`).catch(() => null))?.ok) break;
    await sleep(100);
  }
  const op = { authorization: `Bearer ${TOKEN}` };
  const sale = {
    id: 'load',
    name: 'Load test',
    inventory: { kind: 'general', capacity: UNITS, tier: 'std' },
    tiers: [{ id: 'std', name: 'Standard', priceCents: 1000 }],
    opensAt: 0,
    admission: { usersPerInterval: 100_000, intervalMs: 100, maxActive: 1_000_000 },
    limits: { ticketsPerUser: 1 },
  };
  if ((await call('POST', '/api/operator/sales', { body: sale, headers: op })).status !== 201)
    throw new Error('create failed');
  await call('POST', '/api/operator/sales/load/warm-up', { headers: op });

  const setupStarted = Date.now();
  const buyers = await pool(
    Array.from({ length: BUYERS }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      const login = await call('POST', '/api/login', { body: { name: `load-${i}` } });
      const cookie = login.cookie.split(';')[0];
      const { body } = await call('POST', '/api/sales/load/challenge', { cookie });
      await call('POST', '/api/sales/load/queue', {
        cookie,
        body: { challenge: { challengeId: body.challenge.id, answer: solve(body.challenge.prompt) } },
      });
      return { cookie, token: '' };
    },
  );
  const setupMs = Date.now() - setupStarted;
  await sleep(500);
  await pool(buyers, CONCURRENCY, async (buyer) => {
    const { body } = await call('GET', '/api/sales/load/queue', { cookie: buyer.cookie });
    buyer.token = body.queue?.admissionToken ?? '';
  });

  const latencies = [];
  const tally = {};
  const rushStarted = performance.now();
  await pool(buyers, CONCURRENCY, async (buyer, i) => {
    const started = performance.now();
    const answer = await call('POST', '/api/sales/load/reservations', {
      cookie: buyer.cookie,
      body: { quantity: 1 },
      headers: { 'idempotency-key': `load-${i}`, 'x-admission-token': buyer.token },
    });
    latencies.push(performance.now() - started);
    const code = answer.status === 201 ? 'HELD' : answer.body.error.code;
    tally[code] = (tally[code] ?? 0) + 1;
  });
  const rushMs = performance.now() - rushStarted;
  latencies.sort((a, b) => a - b);
  const mode = process.env.REDIS_URL ? 'Redis + Kafka + PostgreSQL' : 'embedded in-memory';
  console.log(`mode: ${mode}; ${BUYERS} buyers, ${UNITS} units, ${CONCURRENCY} concurrent connections`);
  console.log(`setup (sign-in + proof of work + join): ${setupMs} ms`);
  console.log(
    `reserve: ${BUYERS} requests in ${rushMs.toFixed(0)} ms = ${((BUYERS / rushMs) * 1000).toFixed(0)} req/s; ` +
      `latency p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms, ` +
      `p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1).toFixed(1)} ms`,
  );
  console.log(`outcomes: ${JSON.stringify(tally)}`);
} finally {
  app.kill('SIGTERM');
  if (process.env.DATABASE_URL) {
    // the run's own schema goes with it (Redis keys and Kafka topics carry the same prefix)
    const { default: pg } = await import('pg');
    const db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
    await db.query(`DROP SCHEMA IF EXISTS ${NAMESPACE} CASCADE`).catch(() => {});
    await db.end();
  }
}
