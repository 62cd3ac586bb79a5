import { BotGuard, botGuardHook, solveProofOfWork } from '@seatrush/core';
import { MemoryBlocklist, MemoryRateLimiter } from '@seatrush/core/memory';
import { ProofOfWorkChallenges } from '@seatrush/core/services';
import { afterEach, describe, expect, it } from 'vitest';
import { generalSale, startApi, type TestApi } from './support';

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36';

interface Challenge {
  id: string;
  prompt: Record<string, string | number>;
}

describe('the proof-of-work challenge before the queue (the host’s BotGuard)', () => {
  let t: TestApi | undefined;
  afterEach(async () => {
    await t?.close();
  });

  async function start(withChallenges = true, capacity = 10) {
    const challenges = new ProofOfWorkChallenges({ difficulty: 6 });
    const botGuard = new BotGuard(
      { blocklist: new MemoryBlocklist(), rateLimiter: new MemoryRateLimiter(), challenges },
      { challenge: { mode: 'always' } },
    );
    const api = await startApi({
      sales: [generalSale({ capacity })],
      runtime: { guard: botGuardHook(botGuard) },
      // no joinGuard here: the waiting list runs the runtime's (runtime.joinGuard)
      http: { authorizeOperator: () => false, ...(withChallenges ? { challenges } : {}) },
    });
    t = api;
    return (method: string, path: string, user: string, body?: unknown, headers?: Record<string, string>) =>
      api.call(method, path, { user, body, headers: { 'user-agent': BROWSER, ...headers } });
  }

  it('issues a challenge bound to the buyer; its answer lets the buyer into the queue, once', async () => {
    const call = await start();
    const issued = await call('POST', '/sales/ga/challenge', 'ana');
    expect(issued.status).toBe(201);
    const { challenge } = (await issued.json()) as { challenge: Challenge };
    const answer = solveProofOfWork(challenge.prompt);
    const joined = await call('POST', '/sales/ga/queue', 'ana', {
      challenge: { challengeId: challenge.id, answer },
    });
    expect(joined.status).toBe(201);
    // the same answer again is spent: a second buyer cannot ride on it either
    const replay = await call('POST', '/sales/ga/queue', 'bo', {
      challenge: { challengeId: challenge.id, answer },
    });
    expect(replay.status).toBe(403);
    expect(await t?.runtime.sale('ga')?.queue.status({ userId: 'bo' })).toBeNull();
  });

  it('answers a join without an answer 403 CHALLENGE_REQUIRED carrying a challenge, and queues nobody', async () => {
    const call = await start();
    const refused = await call('POST', '/sales/ga/queue', 'ana', {});
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as { error: { code: string; challenge?: Challenge } };
    expect(body.error.code).toBe('CHALLENGE_REQUIRED');
    expect(body.error.challenge?.prompt.difficulty).toBe(6);
    expect(await t?.runtime.sale('ga')?.queue.status({ userId: 'ana' })).toBeNull();
    const wrong = await call('POST', '/sales/ga/queue', 'ana', {
      challenge: { challengeId: body.error.challenge?.id, answer: 'not-it' },
    });
    expect(wrong.status).toBe(403);
    expect(await t?.runtime.sale('ga')?.queue.status({ userId: 'ana' })).toBeNull();
  });

  it('keeps the waiting list behind the same guard: no proof of work, no place (and nothing changes); with it, a place', async () => {
    const call = await start(true, 1);
    const solved = async (user: string) => {
      const { challenge } = (await (await call('POST', '/sales/ga/challenge', user)).json()) as {
        challenge: Challenge;
      };
      return { challengeId: challenge.id, answer: solveProofOfWork(challenge.prompt) };
    };
    // ana, past the guard, takes the one unit: the sale is sold out
    expect((await call('POST', '/sales/ga/queue', 'ana', { challenge: await solved('ana') })).status).toBe(
      201,
    );
    const sale = t?.runtime.sale('ga');
    await sale?.queue.tick();
    const { queue } = (await (await call('GET', '/sales/ga/queue', 'ana')).json()) as {
      queue: { admissionToken: string };
    };
    const held = await call(
      'POST',
      '/sales/ga/reservations',
      'ana',
      { quantity: 1 },
      { 'idempotency-key': 'k1', 'x-admission-token': queue.admissionToken },
    );
    expect(held.status).toBe(201);

    const refused = await call('POST', '/sales/ga/waiting-list', 'bo', { size: 1 });
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as { error: { code: string; challenge?: Challenge } };
    expect(body.error.code).toBe('CHALLENGE_REQUIRED');
    expect(body.error.challenge?.prompt.difficulty).toBe(6);
    const wrong = await call('POST', '/sales/ga/waiting-list', 'bo', {
      size: 1,
      challenge: { challengeId: body.error.challenge?.id, answer: 'not-it' },
    });
    expect(wrong.status).toBe(403);
    expect(await sale?.waitingList?.position('bo')).toBeNull();

    // a challenge is spent by an answer, right or wrong: bo asks for a fresh one and solves it
    const joined = await call('POST', '/sales/ga/waiting-list', 'bo', {
      size: 1,
      challenge: await solved('bo'),
    });
    expect(joined.status).toBe(201);
    expect(await joined.json()).toMatchObject({ waitingList: { state: 'WAITING', ahead: 0 } });
    expect(await sale?.waitingList?.position('bo')).toMatchObject({ entry: { state: 'WAITING' } });
  });

  it('answers 404 when the host gave no challenge provider, and 404 for an unknown sale', async () => {
    const call = await start(false);
    expect((await call('POST', '/sales/ga/challenge', 'ana')).status).toBe(404);
    expect((await call('POST', '/sales/nope/challenge', 'ana')).status).toBe(404);
  });
});
