import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRequestGuard, SessionCookies } from '../src';
import { OPERATOR_TOKEN, SESSION_SECRET, seatedSale, startApi, type TestApi } from './support';

/** Sends raw bytes with raw headers (fetch would fix what an attacker sends broken). */
function raw(
  t: TestApi,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  const url = new URL(`${t.base}${path}`);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method, headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** What a refusal must not change: the stock, the holds and the queue. */
async function state(t: TestApi, saleId = 'ga') {
  const inventory = t.runtime.ports.inventory;
  const [counts, queue] = await Promise.all([
    inventory.counts(saleId),
    t.sale(saleId).waitingRoom.broadcast(),
  ]);
  return { counts, waiting: queue.waiting, active: queue.active };
}

describe('the abuse suite: every finding of issue 19, replayed', () => {
  let t: TestApi;
  afterEach(async () => t?.close());

  it('answers 400, not 500, for a malformed session cookie, on every route that reads it', async () => {
    const sessions = new SessionCookies({ secret: SESSION_SECRET });
    t = await startApi({ http: { identify: (request, now) => sessions.identify(request, now) } });
    for (const [method, path] of [
      ['GET', '/sales/ga/queue'],
      ['POST', '/sales/ga/queue'],
      ['POST', '/sales/ga/challenge'],
      ['POST', '/sales/ga/reservations'],
    ]) {
      const res = await raw(t, method as string, path as string, { cookie: 'sr_session=%E0%A4%A' });
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(JSON.parse(res.text).error.code).toBe('BAD_COOKIE');
    }
  });

  it('refuses compressed bodies and unknown charsets with 415 before reading them, changing nothing', async () => {
    t = await startApi();
    const before = await state(t);
    const bomb = gzipSync(Buffer.alloc(8_192, '['));
    for (const headers of <Array<Record<string, string>>>[
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      { 'content-type': 'application/json; charset=utf-7' },
      { 'content-type': 'application/json', 'content-encoding': 'deflate, gzip' },
    ]) {
      const res = await raw(t, 'POST', '/sales/ga/queue', { ...headers, 'x-test-user': 'ana' }, bomb);
      expect(res.status).toBe(415);
    }
    // a gzip header on a plain body is refused the same way, never a 500
    const plain = await raw(
      t,
      'POST',
      '/sales/ga/queue',
      { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-test-user': 'ana' },
      Buffer.from('{}'),
    );
    expect(plain.status).toBe(415);
    expect(await state(t)).toEqual(before);
  });

  it('checks the operator before reading an operator body, and bounds the body after', async () => {
    t = await startApi();
    const big = Buffer.alloc(2 * 1_048_576, ' ');
    const anonymous = await raw(
      t,
      'POST',
      '/operator/sales',
      { 'content-type': 'application/json', 'content-length': String(big.length) },
      big,
    );
    expect(anonymous.status).toBe(401);
    const tooBig = await raw(
      t,
      'PUT',
      '/operator/sales/ga/admission-rate',
      { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR_TOKEN}` },
      Buffer.from(JSON.stringify({ usersPerInterval: 5, pad: 'x'.repeat(20_000) })),
    );
    expect(tooBig.status).toBe(413);
    expect(t.sale().waitingRoom.admissionRate.usersPerInterval).toBe(100);
  });

  it('throttles operator token guessing: the address is blocked, even for the right token', async () => {
    t = await startApi({ http: { limits: { operatorFailures: { perSecond: 0.01, burst: 3 } } } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push(
        (await t.call('GET', '/operator/sales', { headers: { authorization: `Bearer guess-${i}` } })).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 403]);
    const right = await t.call('GET', '/operator/sales', {
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
    });
    expect(right.status).toBe(403);
  });

  it('refuses __proto__, constructor and prototype as ids, in paths and bodies', async () => {
    t = await startApi({ sales: [seatedSale()] });
    const token = await t.admit('ana', 'seated');
    const before = await state(t, 'seated');
    for (const id of ['__proto__', 'constructor', 'prototype']) {
      const res = await t.call('POST', '/sales/seated/reservations', {
        user: 'ana',
        headers: { 'idempotency-key': `k-${id}`, 'x-admission-token': token },
        body: { seatIds: [id] },
      });
      expect(res.status).toBe(400);
      expect((await t.call('GET', `/sales/${id}/seats`)).status).toBe(400);
      expect((await t.call('GET', `/sales/seated/reservations/${id}`, { user: 'ana' })).status).toBe(400);
      expect((await t.call('GET', `/sales/seated/reservations/${id}/status`, { user: 'ana' })).status).toBe(
        400,
      );
    }
    expect(await state(t, 'seated')).toEqual(before);
  });

  it('caps SSE streams per address and answers 429 past the cap', async () => {
    t = await startApi({ http: { streams: { perAddress: 3 } } });
    const controllers: AbortController[] = [];
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const controller = new AbortController();
        controllers.push(controller);
        statuses.push((await fetch(`${t.base}/sales/ga/seats/stream`, { signal: controller.signal })).status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(t.api.streams).toBe(3);
    } finally {
      for (const controller of controllers) controller.abort();
    }
    await expect.poll(() => t.api.streams).toBe(0);
  });

  it('limits requests per address with 429 and Retry-After, and spends nothing on a refusal', async () => {
    t = await startApi({ http: { limits: { perAddress: { perSecond: 1, burst: 5 } } } });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await t.call('GET', '/sales/ga')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const refused = await t.call('GET', '/sales/ga');
    expect(refused.headers.get('retry-after')).toBe('1');
  });

  it('gives each client behind a trusted proxy its own budget', async () => {
    t = await startApi({
      http: { trustProxy: ['127.0.0.1'], limits: { perAddress: { perSecond: 0.1, burst: 2 } } },
    });
    const from = (ip: string) => t.call('GET', '/sales/ga', { headers: { 'x-forwarded-for': ip } });
    expect([
      (await from('203.0.113.1')).status,
      (await from('203.0.113.1')).status,
      (await from('203.0.113.1')).status,
    ]).toEqual([200, 200, 429]);
    expect((await from('203.0.113.2')).status).toBe(200);
    // one IPv6 /64 is one budget
    expect([
      (await from('2001:db8:1:2::1')).status,
      (await from('2001:db8:1:2::ffff')).status,
      (await from('2001:db8:1:2:aaaa::9')).status,
    ]).toEqual([200, 200, 429]);
  });

  it('refuses a cookie-authenticated change from another origin, and a revoked session', async () => {
    const sessions = new SessionCookies({ secret: SESSION_SECRET });
    t = await startApi({ http: { identify: (request, now) => sessions.identify(request, now) } });
    const { claims, setCookie } = sessions.issue('ana', Date.now(), { secure: false });
    const cookie = setCookie.split(';')[0] as string;
    const host = new URL(t.base).host;
    const evil = await t.call('POST', '/sales/ga/queue', {
      headers: { cookie, origin: 'https://evil.example' },
      body: {},
    });
    expect(evil.status).toBe(403);
    expect((await t.call('GET', '/sales/ga/queue', { headers: { cookie } })).status).toBe(404); // not queued
    const own = await t.call('POST', '/sales/ga/queue', {
      headers: { cookie, origin: `http://${host}` },
      body: {},
    });
    expect(own.status).toBe(201);
    await t.api.revoke(claims.sessionId, sessions.ttlMs);
    const after = await t.call('GET', '/sales/ga/queue', { headers: { cookie } });
    expect(after.status).toBe(403);
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe('BLOCKED');
  });

  it('refuses a signed-out cookie replayed, on every route, changing nothing', async () => {
    const guard = new MemoryRequestGuard();
    const sessions = new SessionCookies({ secret: SESSION_SECRET, revocations: guard });
    t = await startApi({ http: { guard, identify: (request, now) => sessions.identify(request, now) } });
    const cookie = sessions.issue('ana', Date.now(), { secure: false }).setCookie.split(';')[0] as string;
    const origin = `http://${new URL(t.base).host}`;
    expect((await t.call('POST', '/sales/ga/queue', { headers: { cookie, origin }, body: {} })).status).toBe(
      201,
    );
    await sessions.signOut(
      { headers: { cookie }, [Symbol.asyncIterator]: async function* () {} },
      Date.now(),
    );
    const before = await state(t);
    for (const [method, path, body] of [
      ['GET', '/sales/ga/queue', undefined],
      ['DELETE', '/sales/ga/queue', undefined],
      ['POST', '/sales/ga/queue/heartbeat', undefined],
      ['POST', '/sales/ga/waiting-list', { size: 1 }],
      ['POST', '/sales/ga/reservations', { quantity: 1 }],
    ] as const) {
      const res = await t.call(method, path, { headers: { cookie, origin, 'idempotency-key': 'k1' }, body });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    expect(await state(t)).toEqual(before);
  });

  it('puts the waiting list behind the same join budget as the queue', async () => {
    t = await startApi({ http: { limits: { joins: { perSecond: 0.01, burst: 2 } } } });
    await t.call('POST', '/sales/ga/queue', { user: 'ana', body: {} });
    await t.call('POST', '/sales/ga/queue', { user: 'ana', body: {} });
    const list = await t.call('POST', '/sales/ga/waiting-list', { user: 'ana', body: { size: 1 } });
    expect(list.status).toBe(429);
  });

  it('sends security headers with every answer', async () => {
    t = await startApi();
    for (const res of [await t.call('GET', '/sales'), await t.call('GET', '/sales/nope')]) {
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  it('keeps an event stream to its own few headers (each one is held for the stream’s life), nosniff included', async () => {
    t = await startApi();
    const controller = new AbortController();
    const res = await fetch(`${t.base}/sales/ga/seats/stream`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-store, no-transform');
    expect(res.headers.get('content-security-policy')).toBeNull();
    controller.abort();
  });
});

const ROUTES: Array<[method: string, path: string]> = [
  ['POST', '/sales/ga/queue'],
  ['POST', '/sales/ga/challenge'],
  ['POST', '/sales/ga/reservations'],
  ['POST', '/sales/seated/reservations'],
  ['POST', '/sales/seated/group-reservations'],
  ['POST', '/sales/ga/waiting-list'],
  ['POST', '/sales/ga/queue/heartbeat'],
  ['DELETE', '/sales/ga/queue'],
  ['PUT', '/operator/sales/ga/admission-rate'],
  ['PUT', '/operator/sales/ga/queueing'],
  ['POST', '/operator/sales/ga/invitations'],
  ['POST', '/operator/blocklist'],
];

describe('fuzzing every route with fast-check', () => {
  let t: TestApi;
  afterEach(async () => t?.close());

  it('never answers 5xx, and a refusal changes nothing', async () => {
    t = await startApi({
      sales: [seatedSale(), { ...(await import('./support')).generalSale() }],
      worker: false,
      http: {
        limits: {
          perAddress: { perSecond: 10_000, burst: 10_000 },
          perBuyer: { perSecond: 10_000, burst: 10_000 },
          joins: { perSecond: 10_000, burst: 10_000 },
        },
      },
    });
    const token = await t.admit('fuzz', 'ga');
    const seatedToken = await t.admit('fuzz', 'seated');
    const json = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.record({ quantity: fc.oneof(fc.integer(), fc.double(), fc.string()) }),
      fc.record({
        seatIds: fc.array(fc.oneof(fc.constantFrom('__proto__', 'A1', 'A1', 'x{y}', ''), fc.string()), {
          maxLength: 5,
        }),
      }),
      fc.record({ size: fc.integer({ min: -2, max: 200 }), section: fc.string(), fallback: fc.string() }),
      fc.record({ challenge: fc.anything({ maxDepth: 2 }), invitation: fc.string() }),
    );
    const body = fc.oneof(
      json.map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
      fc.string({ maxLength: 64 }).map((s) => Buffer.from(s)),
    );
    const headers = fc.record(
      {
        'content-type': fc.constantFrom(
          'application/json',
          'text/plain',
          'application/json; charset=latin1',
          'application/json; charset=utf-8',
        ),
        'idempotency-key': fc.oneof(
          fc.constantFrom('k1', 'k1', '__proto__'),
          fc.string({ maxLength: 200 }).filter((s) => /^[\x21-\x7e]*$/.test(s)),
        ),
        cookie: fc.constantFrom('sr_session=%E0%A4%A', 'a=b', '__proto__=1'),
        'content-encoding': fc.constantFrom('gzip', 'identity', 'br'),
        origin: fc.constantFrom('https://evil.example', 'null'),
      },
      { requiredKeys: ['content-type'] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        headers,
        body,
        fc.boolean(),
        async ([method, path], h, payload, operator) => {
          const saleId = path.includes('seated') ? 'seated' : 'ga';
          const before = await state(t, saleId);
          const res = await raw(
            t,
            method,
            path,
            {
              ...h,
              'x-test-user': 'fuzz',
              'x-admission-token': saleId === 'seated' ? seatedToken : token,
              ...(operator ? { authorization: `Bearer ${OPERATOR_TOKEN}` } : {}),
              'content-length': String(payload.length),
            },
            payload,
          ).catch(() => ({ status: 400, text: '', headers: {} })); // a socket closed after a refusal
          expect(res.status, `${method} ${path} ${res.text}`).toBeLessThan(500);
          if (res.status >= 400) expect(await state(t, saleId)).toEqual(before);
        },
      ),
      { numRuns: 300, seed: 19 },
    );
  });
});
