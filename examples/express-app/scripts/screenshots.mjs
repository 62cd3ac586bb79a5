// Takes the README's screenshots (docs/*.png): starts the built app (`pnpm build` first) on the
// embedded default, makes some traffic through the API, and photographs the waiting room, the
// seat map and the operator dashboard in headless Chromium (scripts/browser.sh installs it).
//   node scripts/screenshots.mjs
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { apiCaller, solve } from './demo-client.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PORT = process.env.SCREENSHOT_PORT ?? '3199';
const BASE = `http://127.0.0.1:${PORT}`;
const TOKEN = 'screenshot-operator-token-0123';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const env = { ...process.env };
// the embedded default, whatever the shell exports
for (const name of ['REDIS_URL', 'KAFKA_BROKERS', 'DATABASE_URL']) delete env[name];
const app = spawn(process.execPath, ['dist/main.js'], {
  cwd: root,
  env: {
    ...env,
    PORT,
    OPERATOR_TOKEN: TOKEN,
    POW_DIFFICULTY: '8',
    PAYMENT_LATENCY_MS: '400',
    PAYMENT_FAILURE_RATE: '0.15',
    ADMIT_PER_SECOND: '50',
    LOG_LEVEL: 'warn',
    // every scripted buyer comes from one address
    RATE_PER_IP: '1000',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});

const call = apiCaller(BASE, () => 'Mozilla/5.0 (X11; Linux x86_64) Screenshots/1.0');

async function apiBuyer(name) {
  const login = await call('POST', '/api/login', { body: { name } });
  const cookie = login.cookie.split(';')[0];
  const { body } = await call('POST', '/api/sales/demo/challenge', { cookie });
  await call('POST', '/api/sales/demo/queue', {
    cookie,
    body: { challenge: { challengeId: body.challenge.id, answer: solve(body.challenge.prompt) } },
  });
  return cookie;
}

async function admissionToken(cookie) {
  for (let i = 0; i < 100; i++) {
    const { body } = await call('GET', '/api/sales/demo/queue', { cookie });
    if (body.queue?.state === 'ADMITTED') return body.queue.admissionToken;
    await sleep(100);
  }
  throw new Error('not admitted');
}

const op = (method, path, body) =>
  call(method, `/api/operator${path}`, { body, headers: { authorization: `Bearer ${TOKEN}` } });

try {
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${BASE}/health`).catch(() => null))?.ok) break;
    await sleep(100);
  }
  // some sales: a few confirmed, a few still held (a slow payment), a few declined
  const seats = [
    'floor-A3',
    'floor-A4',
    'floor-B6',
    'floor-B7',
    'lower-C8',
    'lower-C9',
    'lower-D10',
    'lower-E3',
    'lower-E4',
    'balcony-F10',
    'balcony-F11',
    'balcony-G5',
    'balcony-H15',
    'balcony-H16',
    'floor-A9',
  ];
  for (const [i, seat] of seats.entries()) {
    const cookie = await apiBuyer(`fan-${i}`);
    const token = await admissionToken(cookie);
    await call('POST', '/api/sales/demo/reservations', {
      cookie,
      body: { seatIds: [seat] },
      headers: { 'idempotency-key': `shot-${i}`, 'x-admission-token': token },
    });
  }
  await op('PUT', '/payment-simulator', { latencyMs: 20_000, failureRate: 0 });
  for (const [i, seat] of ['floor-A6', 'floor-A7', 'lower-D5', 'balcony-G12'].entries()) {
    const cookie = await apiBuyer(`slow-${i}`);
    const token = await admissionToken(cookie);
    await call('POST', '/api/sales/demo/reservations', {
      cookie,
      body: { seatIds: [seat] },
      headers: { 'idempotency-key': `slow-${i}`, 'x-admission-token': token },
    });
  }

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = async () =>
    (await browser.newContext({ viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1 })).newPage();

  // the seat map, with two seats chosen
  const buyer = await page();
  await buyer.goto(BASE);
  await buyer.fill('#login-name', 'Alice');
  await buyer.click('#login-button');
  await buyer.click('#join-button');
  await buyer.waitForSelector('#view-seats:not(.hidden)');
  await buyer.waitForSelector('[data-state="CONFIRMED"]');
  await buyer.click('[data-seat="floor-B9"]');
  await buyer.click('[data-seat="floor-B10"]');
  await buyer.screenshot({ path: join(root, 'docs/seat-map.png'), fullPage: true });
  // back to a normal payment for what comes next (the slow charges in progress keep their delay)
  await op('PUT', '/payment-simulator', { latencyMs: 400, failureRate: 0.15 });

  // the waiting room: admission slowed down, forty people ahead
  await op('PUT', '/sales/demo/admission-rate', { usersPerInterval: 1 });
  for (let i = 0; i < 40; i++) await apiBuyer(`queue-${i}`);
  const waiting = await page();
  await waiting.goto(BASE);
  await waiting.fill('#login-name', 'Bob');
  await waiting.click('#login-button');
  await waiting.click('#join-button');
  await waiting.waitForSelector('#view-queue:not(.hidden)');
  await sleep(3_000);
  await waiting.screenshot({ path: join(root, 'docs/waiting-room.png') });

  // the dashboard, after a little history
  const dashboard = await page();
  await dashboard.goto(`${BASE}/operator.html`);
  await dashboard.fill('#op-token', TOKEN);
  await dashboard.click('#op-login-button');
  await dashboard.waitForSelector('#view-dashboard:not(.hidden)');
  await sleep(8_000);
  await dashboard.screenshot({ path: join(root, 'docs/dashboard.png'), fullPage: true });
  await browser.close();
  console.log('docs/waiting-room.png, docs/seat-map.png, docs/dashboard.png written');
} finally {
  app.kill('SIGTERM');
}
