import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BotGuard,
  botGuardHook,
  createSeatRushRuntime,
  memoryPorts,
  type SeatRushRuntime,
  solveProofOfWork,
} from '@seatrush/core';
import { MemoryBlocklist, MemoryRateLimiter } from '@seatrush/core/memory';
import { ProofOfWorkChallenges } from '@seatrush/core/services';
import { afterEach, describe, expect, it } from 'vitest';
import { createSeatRushHttp, nodeHandler, type SeatRushHttp } from '../src';
import { ADMISSION_SECRET, approvingGateway, generalSale, headerIdentity } from './support';

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36';

interface Challenge {
  id: string;
  prompt: Record<string, string | number>;
}

describe('the proof-of-work challenge before the queue (the host’s BotGuard)', () => {
  let runtime: SeatRushRuntime | undefined;
  let api: SeatRushHttp | undefined;
  let server: Server | undefined;
  afterEach(async () => {
    api?.close();
    server?.closeAllConnections();
    server?.close();
    await runtime?.close();
  });

  async function start(withChallenges = true) {
    const challenges = new ProofOfWorkChallenges({ difficulty: 6 });
    const botGuard = new BotGuard(
      { blocklist: new MemoryBlocklist(), rateLimiter: new MemoryRateLimiter(), challenges },
      { challenge: { mode: 'always' } },
    );
    const joinGuard = botGuardHook(botGuard);
    runtime = createSeatRushRuntime({
      ports: memoryPorts(),
      payments: approvingGateway,
      admissionSecret: ADMISSION_SECRET,
      guard: joinGuard,
      loops: { admission: false },
    });
    await runtime.start();
    await runtime.define(generalSale());
    api = createSeatRushHttp({
      runtime,
      identify: headerIdentity,
      authorizeOperator: () => false,
      joinGuard,
      ...(withChallenges ? { challenges } : {}),
    });
    server = createServer(nodeHandler(api));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
    return (method: string, path: string, user: string, body?: unknown) =>
      fetch(`${base}${path}`, {
        method,
        headers: {
          'x-test-user': user,
          'user-agent': BROWSER,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
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
    expect(await runtime?.sale('ga')?.queue.status({ userId: 'bo' })).toBeNull();
  });

  it('answers a join without an answer 403 CHALLENGE_REQUIRED carrying a challenge, and queues nobody', async () => {
    const call = await start();
    const refused = await call('POST', '/sales/ga/queue', 'ana', {});
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as { error: { code: string; challenge?: Challenge } };
    expect(body.error.code).toBe('CHALLENGE_REQUIRED');
    expect(body.error.challenge?.prompt.difficulty).toBe(6);
    expect(await runtime?.sale('ga')?.queue.status({ userId: 'ana' })).toBeNull();
    const wrong = await call('POST', '/sales/ga/queue', 'ana', {
      challenge: { challengeId: body.error.challenge?.id, answer: 'not-it' },
    });
    expect(wrong.status).toBe(403);
    expect(await runtime?.sale('ga')?.queue.status({ userId: 'ana' })).toBeNull();
  });

  it('answers 404 when the host gave no challenge provider, and 404 for an unknown sale', async () => {
    const call = await start(false);
    expect((await call('POST', '/sales/ga/challenge', 'ana')).status).toBe(404);
    expect((await call('POST', '/sales/nope/challenge', 'ana')).status).toBe(404);
  });
});
