import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../src/server';
import { Buyer, Client, startTestApp, wrongAnswerTo } from './support/harness';

describe('bad input, identity and defences', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers 401 UNAUTHENTICATED without a session, and for a forged cookie', async () => {
    const anonymous = new Client(app.url);
    const answer = await anonymous.request('POST', '/api/sales/demo/challenge');
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('UNAUTHENTICATED');

    const buyer = await new Buyer(app.url).login('Kim');
    const [body] = buyer.cookies.get('sr_session')!.split('.');
    const forged = JSON.parse(Buffer.from(decodeURIComponent(body!), 'base64url').toString());
    forged.userId = 'u-somebody-else';
    buyer.cookies.set(
      'sr_session',
      `${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${'x'.repeat(43)}`,
    );
    expect((await buyer.request('GET', '/api/me')).status).toBe(401);
  });

  it('revokes the session at logout: a copy of the old cookie is refused on the API and signed out on the app', async () => {
    const buyer = await new Buyer(app.url).login('Noor');
    const copy = new Buyer(app.url);
    copy.cookies = new Map(buyer.cookies);
    expect((await copy.request('GET', '/api/me')).body).toEqual({ user: { id: buyer.userId, name: 'Noor' } });
    expect((await copy.request('GET', '/api/sales/demo/queue/place')).status).toBe(200);

    const out = await buyer.request('POST', '/api/logout');
    expect(out.status).toBe(204);
    expect(buyer.cookies.has('sr_session')).toBe(false);
    // the package's routes refuse the old cookie, and it changes nothing there
    const refused = await copy.request('GET', '/api/sales/demo/queue/place');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'BLOCKED', reason: 'SIGNED_OUT' });
    const join = await copy.join('demo');
    expect(join.status).toBe(403);
    expect(await app.platform.runtime.sale('demo')?.queue.status({ userId: buyer.userId })).toBeNull();
    // the app's own routes see no session in it
    expect((await copy.request('GET', '/api/me')).status).toBe(401);
    expect((await copy.request('GET', '/api/session')).body).toEqual({ user: null });
    // signing in again is a new session, which works
    const again = await buyer.login('Noor');
    expect((await again.request('GET', '/api/sales/demo/queue/place')).status).toBe(200);
  });

  it('never takes identity from the request body: a client-supplied user id is refused as bad input', async () => {
    const buyer = await new Buyer(app.url).login('Lee');
    await buyer.enter('demo');
    const answer = await buyer.reserve('demo', { seatIds: ['floor-A5'], userId: 'u-victim' }, 'lee-1');
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('INVALID_INPUT');
    expect((await app.platform.runtime.ports.inventory.seatStates('demo'))['floor-A5']).toBe('AVAILABLE');
  });

  it('lists every problem of bad input with 400 INVALID_INPUT and changes nothing', async () => {
    const buyer = await new Buyer(app.url).login('Max');
    await buyer.enter('demo');
    const before = await app.platform.runtime.ports.inventory.counts('demo');

    const noKey = await buyer.request('POST', '/api/sales/demo/reservations', {
      body: { seatIds: ['floor-A6'] },
      headers: { 'x-admission-token': buyer.admissionToken },
    });
    expect(noKey.status).toBe(400);
    expect(noKey.body.error).toMatchObject({ code: 'INVALID_INPUT' });
    expect(noKey.body.error.issues[0].message).toMatch(/Idempotency-Key/);

    const empty = await buyer.reserve('demo', { seatIds: [] }, 'max-1');
    expect(empty.status).toBe(400);
    const badIds = await buyer.reserve('demo', { seatIds: ['a b', '{x}'] }, 'max-2');
    expect(badIds.status).toBe(400);
    expect(badIds.body.error.issues.length).toBeGreaterThanOrEqual(1);
    const badKey = await buyer.reserve('demo', { seatIds: ['floor-A6'] }, 'not a key!');
    expect(badKey.status).toBe(400);
    const notJson = await buyer.request('POST', '/api/sales/demo/reservations', {
      rawBody: '{"seatIds": [',
      headers: { 'idempotency-key': 'max-3' },
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('INVALID_INPUT');
    const huge = await buyer.request('POST', '/api/sales/demo/reservations', {
      rawBody: JSON.stringify({ seatIds: ['x'.repeat(100_000)] }),
      headers: { 'idempotency-key': 'max-6' },
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const unknownSeat = await buyer.reserve('demo', { seatIds: ['nowhere-Z9'] }, 'max-4');
    expect(unknownSeat.status).toBe(400);
    expect(unknownSeat.body.error).toMatchObject({ code: 'UNKNOWN_SEAT', seatIds: ['nowhere-Z9'] });
    const wrongKind = await buyer.reserve('demo', { quantity: 2 }, 'max-5');
    expect(wrongKind.body.error.code).toBe('WRONG_SELECTION');
    const unknownSale = await buyer.request('GET', '/api/sales/no-such-sale');
    expect(unknownSale.status).toBe(404);
    expect(unknownSale.body.error.code).toBe('UNKNOWN_SALE');
    const badSaleId = await buyer.request('GET', '/api/sales/%7Bbad%7D');
    expect(badSaleId.status).toBe(400);
    const nowhere = await buyer.request('GET', '/api/nothing-here');
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.error.code).toBe('NOT_FOUND');

    expect(await app.platform.runtime.ports.inventory.counts('demo')).toEqual(before);
  });

  it('refuses to join without a correct proof-of-work answer', async () => {
    const buyer = await new Buyer(app.url).login('Ned');
    const issued = await buyer.request('POST', '/api/sales/demo/challenge');
    expect(issued.status).toBe(201);
    expect(issued.body.challenge.prompt).toMatchObject({ algorithm: 'sha256-leading-zero-bits' });
    const wrong = await buyer.request('POST', '/api/sales/demo/queue', {
      body: {
        challenge: {
          challengeId: issued.body.challenge.id,
          answer: wrongAnswerTo(issued.body.challenge.prompt),
        },
      },
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('CHALLENGE_REQUIRED');
    // a fresh challenge comes with the refusal, never the one already answered
    expect(wrong.body.error.challenge.id).not.toBe(issued.body.challenge.id);
    // a join without an answer is the bot guard's to refuse (@seatrush/http: the challenge is optional input)
    const missing = await buyer.request('POST', '/api/sales/demo/queue', { body: {} });
    expect(missing.status).toBe(403);
    expect(missing.body.error.code).toBe('CHALLENGE_REQUIRED');
    const malformed = await buyer.request('POST', '/api/sales/demo/queue', {
      body: { challenge: { challengeId: issued.body.challenge.id } },
    });
    expect(malformed.status).toBe(400);
    expect((await buyer.request('GET', '/api/sales/demo/queue')).body.error.code).toBe('NOT_IN_QUEUE');
  });

  it('rate-limits a user with 429 RATE_LIMITED and Retry-After, without touching other users', async () => {
    const limited = await startTestApp({ RATE_PER_USER: '2' });
    try {
      const buyer = await new Buyer(limited.url).login('Oli');
      const answers = [];
      // a buyer's route (@seatrush/http charges public reads to the address, buyer routes to the buyer too)
      for (let i = 0; i < 25; i++) answers.push(await buyer.request('GET', '/api/sales/demo/queue/place'));
      const refused = answers.find((a) => a.status === 429);
      expect(refused).toBeDefined();
      expect(refused!.body.error).toMatchObject({ code: 'RATE_LIMITED', scope: 'user' });
      expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const neighbour = await new Buyer(limited.url).login('Quinn');
      expect((await neighbour.request('GET', '/api/sales/demo/queue/place')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it("rate-limits the app's own routes (sign-in) per address with 429 RATE_LIMITED and Retry-After", async () => {
    const limited = await startTestApp({ RATE_PER_IP: '1' });
    try {
      const answers = [];
      for (let i = 0; i < 4; i++) {
        answers.push(
          await new Buyer(limited.url).request('POST', '/api/login', { body: { name: `Ira ${i}` } }),
        );
      }
      // a bucket of twice the rate: two sign-ins pass, the next are refused and set no session
      expect(answers.map((a) => a.status)).toEqual([201, 201, 429, 429]);
      expect(answers[2]!.body.error).toMatchObject({ code: 'RATE_LIMITED', scope: 'ip' });
      expect(Number(answers[2]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(answers[2]!.headers.get('set-cookie')).toBeNull();
    } finally {
      await limited.close();
    }
  });

  it('refuses every request of a blocked device', async () => {
    const operatorClient = new Client(app.url, { authorization: 'Bearer test-operator-token-0123456789' });
    const blocked = await operatorClient.request('POST', '/api/operator/blocklist', {
      body: { kind: 'device', value: 'deadbeefdeadbeef', reason: 'test', ttlMs: 60_000 },
    });
    expect(blocked.status).toBe(201);
    const buyer = new Buyer(app.url, { 'x-device-fingerprint': 'deadbeefdeadbeef' });
    const answer = await buyer.request('POST', '/api/login', { body: { name: 'Pat' } });
    expect(answer.status).toBe(403);
    expect(answer.body.error).toMatchObject({ code: 'BLOCKED', reason: 'test' });
    const other = new Buyer(app.url, { 'x-device-fingerprint': 'cafebabecafebabe' });
    expect((await other.request('POST', '/api/login', { body: { name: 'Pat' } })).status).toBe(201);
  });
});
