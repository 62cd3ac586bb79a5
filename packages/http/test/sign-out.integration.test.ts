import { uniqueName } from '@seatrush/test-support';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { RedisRequestGuard, SessionCookies } from '../src';
import { SESSION_SECRET, startApi, type TestApi } from './support';

// two API instances, each with its own connection to one Redis: the revocation list they share
describe('sign-out on Redis', () => {
  const apis: TestApi[] = [];
  const clients: Redis[] = [];
  afterEach(async () => {
    for (const api of apis.splice(0)) await api.close();
    for (const redis of clients.splice(0)) await redis.quit();
  });

  it('lists a signed-out session in Redis until the session would end, and every instance refuses it', async () => {
    const keyPrefix = `${uniqueName('signout')}:`;
    const connect = () => {
      const redis = new Redis(inject('services').redisUrl);
      clients.push(redis);
      return new RedisRequestGuard(redis, { keyPrefix });
    };
    const guards = [connect(), connect()];
    const sessions = new SessionCookies({ secret: SESSION_SECRET, revocations: guards[0], ttlMs: 600_000 });
    for (const guard of guards) {
      apis.push(
        await startApi({ http: { guard, identify: (request, now) => sessions.identify(request, now) } }),
      );
    }
    const issued = Date.now();
    const { claims, setCookie } = sessions.issue('ana', issued, { secure: false });
    const cookie = setCookie.split(';')[0] as string;
    for (const api of apis) {
      expect((await api.call('GET', '/sales/ga/queue/place', { headers: { cookie } })).status).toBe(200);
    }
    await sessions.signOut(
      { headers: { cookie }, [Symbol.asyncIterator]: async function* () {} },
      Date.now(),
    );
    for (const api of apis) {
      const refused = await api.call('GET', '/sales/ga/queue/place', { headers: { cookie } });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: { code: 'BLOCKED', reason: 'SIGNED_OUT' } });
    }
    // the entry lives as long as the session would have, then Redis forgets it
    const ttl = await (clients[0] as Redis).pttl(`${keyPrefix}{guard}:block:session:${claims.sessionId}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(issued + 600_000 - Date.now() + 1_000);
    expect(ttl).toBeGreaterThan(600_000 - 60_000);
  });
});
