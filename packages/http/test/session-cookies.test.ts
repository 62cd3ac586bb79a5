import { createSeatRushRuntime, memoryPorts } from '@seatrush/core';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRequestGuard, SessionCookies, separateSecrets } from '../src';
import { ADMISSION_SECRET, approvingGateway, SESSION_SECRET, startApi, type TestApi } from './support';

describe('session cookies: their own secret, and a sign-out every instance honours', () => {
  const apis: TestApi[] = [];
  afterEach(async () => {
    for (const api of apis.splice(0)) await api.close();
  });

  it('refuses a session secret equal to the admission secret, as a string or as bytes', () => {
    expect(() => new SessionCookies({ secret: ADMISSION_SECRET, admissionSecret: ADMISSION_SECRET })).toThrow(
      /must not be the admission secret/,
    );
    expect(
      () => new SessionCookies({ secret: Buffer.from(ADMISSION_SECRET), admissionSecret: ADMISSION_SECRET }),
    ).toThrow(/must not be the admission secret/);
    expect(
      () => new SessionCookies({ secret: SESSION_SECRET, admissionSecret: ADMISSION_SECRET }),
    ).not.toThrow();
  });

  it('carries a display name when given one, and refuses a name too long to be one', () => {
    const sessions = new SessionCookies({ secret: SESSION_SECRET });
    const cookieValue = (setCookie: string) => setCookie.split(';')[0]?.split('=')[1];
    const named = sessions.issue('ana', 1_000, { name: 'Ana María' });
    expect(sessions.verify(cookieValue(named.setCookie), 1_000)).toEqual({
      userId: 'ana',
      sessionId: named.claims.sessionId,
      issuedAt: 1_000,
      name: 'Ana María',
    });
    expect(sessions.verify(cookieValue(sessions.issue('bo', 1_000).setCookie), 1_000)).not.toHaveProperty(
      'name',
    );
    expect(() => sessions.issue('cy', 1_000, { name: 'x'.repeat(129) })).toThrow(/name/);
  });

  it('derives two different keys from one configured secret, the same on every instance', async () => {
    const one = separateSecrets(SESSION_SECRET);
    const again = separateSecrets(SESSION_SECRET);
    expect(one.sessionSecret).toHaveLength(32);
    expect(one.admissionSecret).toHaveLength(32);
    expect(one.sessionSecret.equals(one.admissionSecret)).toBe(false);
    expect(one.sessionSecret.equals(Buffer.from(SESSION_SECRET))).toBe(false);
    expect(again.sessionSecret.equals(one.sessionSecret)).toBe(true);
    expect(again.admissionSecret.equals(one.admissionSecret)).toBe(true);
    expect(() => separateSecrets('too short')).toThrow(/at least 32 bytes/);
    // each key is usable where it goes
    const sessions = new SessionCookies({ secret: one.sessionSecret, admissionSecret: one.admissionSecret });
    expect(
      sessions.verify(sessions.issue('ana', 1_000).setCookie.split(';')[0]?.split('=')[1], 1_000),
    ).toMatchObject({
      userId: 'ana',
    });
    const runtime = createSeatRushRuntime({
      ports: memoryPorts(),
      payments: approvingGateway,
      admissionSecret: one.admissionSecret,
      loops: { admission: false, worker: false },
    });
    await runtime.start();
    await runtime.close();
  });

  it('signs a session out on every instance until it would have expired, and only that session', async () => {
    // two API instances over one guard: the revocation list they share
    const guard = new MemoryRequestGuard();
    const sessions = new SessionCookies({ secret: SESSION_SECRET, revocations: guard, ttlMs: 3_600_000 });
    for (let i = 0; i < 2; i++) {
      apis.push(
        await startApi({ http: { guard, identify: (request, now) => sessions.identify(request, now) } }),
      );
    }
    const [first, second] = apis as [TestApi, TestApi];
    const issued = Date.now();
    const ana = sessions.issue('ana', issued, { secure: false });
    const anaCookie = ana.setCookie.split(';')[0] as string;
    const other = sessions.issue('ana', issued, { secure: false }).setCookie.split(';')[0] as string;
    const place = (api: TestApi, cookie: string) =>
      api.call('GET', '/sales/ga/queue/place', { headers: { cookie } });
    expect((await place(first, anaCookie)).status).toBe(200);
    expect((await place(second, anaCookie)).status).toBe(200);

    const cleared = await sessions.signOut(
      { headers: { cookie: anaCookie }, [Symbol.asyncIterator]: async function* () {} },
      Date.now(),
    );
    expect(cleared).toBe(sessions.clear());
    for (const api of [first, second]) {
      const refused = await place(api, anaCookie);
      expect(refused.status).toBe(403);
      const { error } = (await refused.json()) as { error: { code: string; reason: string; until: number } };
      expect(error).toMatchObject({ code: 'BLOCKED', reason: 'SIGNED_OUT' });
      // listed for as long as the session would have lasted, no longer
      expect(error.until).toBe(issued + 3_600_000);
    }
    // the same buyer's other sign-in is not touched
    expect((await place(second, other)).status).toBe(200);
  });

  it('needs the revocation list to sign out, and clears a cookie that was never valid', async () => {
    const plain = new SessionCookies({ secret: SESSION_SECRET });
    const request = {
      headers: { cookie: 'sr_session=forged.value' },
      [Symbol.asyncIterator]: async function* () {},
    };
    await expect(plain.signOut(request, Date.now())).rejects.toThrow(/revocations/);
    const guard = new MemoryRequestGuard();
    const sessions = new SessionCookies({ secret: SESSION_SECRET, revocations: guard });
    expect(await sessions.signOut(request, Date.now())).toBe(sessions.clear());
  });
});
