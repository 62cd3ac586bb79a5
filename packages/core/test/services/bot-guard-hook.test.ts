import { describe, expect, it } from 'vitest';
import { BotGuard, botGuardHook, solveProofOfWork } from '../../src';
import { MemoryBlocklist, MemoryRateLimiter, MemoryWaitingRoomStore } from '../../src/subpaths/memory';
import { AdmissionTokens, ProofOfWorkChallenges, subjectOf, WaitingRoom } from '../../src/subpaths/services';
import { ManualClock } from '../../src/subpaths/testing';
import { generalSale, SECRET } from './fixtures';

function setup() {
  const clock = new ManualClock(1_000_000);
  const blocklist = new MemoryBlocklist();
  const guard = new BotGuard({
    blocklist,
    rateLimiter: new MemoryRateLimiter(),
    challenges: new ProofOfWorkChallenges({ difficulty: 4 }),
  });
  const room = new WaitingRoom({
    sale: generalSale(),
    store: new MemoryWaitingRoomStore(),
    tokens: new AdmissionTokens({ secret: SECRET }),
    clock,
    guard: botGuardHook(guard),
  });
  return { clock, blocklist, room };
}

const browser = {
  ip: '203.0.113.7',
  headersFingerprint: 'h-1',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
};

describe('botGuardHook', () => {
  it('lets a browser-like join through', async () => {
    const { room } = setup();
    expect(await room.join({ userId: 'alice', context: browser })).toMatchObject({ ok: true });
  });

  it('refuses a join without the context the guard needs', async () => {
    const { room } = setup();
    expect(await room.join({ userId: 'alice' })).toMatchObject({ ok: false, code: 'CONTEXT_REQUIRED' });
    expect(await room.status({ userId: 'alice' })).toBeNull();
  });

  it('challenges a client without a user agent, and lets it in with a solved proof of work', async () => {
    const { room } = setup();
    const { userAgent: _, ...noAgent } = browser;
    const first = await room.join({ userId: 'alice', context: noAgent });
    expect(first).toMatchObject({ ok: false, code: 'CHALLENGE_REQUIRED' });
    if (first.ok || !first.challenge) throw new Error('no challenge');
    const answer = solveProofOfWork(first.challenge.prompt);
    const second = await room.join({
      userId: 'alice',
      context: noAgent,
      challenge: { challengeId: first.challenge.id, answer },
    });
    expect(second).toMatchObject({ ok: true, status: { ticket: 1 } });
  });

  it('refuses a blocklisted address with the time left on the block', async () => {
    const { room, blocklist, clock } = setup();
    await blocklist.block({
      subject: subjectOf('ip', browser.ip),
      reason: 'abuse',
      ttlMs: 60_000,
      now: clock.now(),
    });
    const outcome = await room.join({ userId: 'alice', context: browser });
    expect(outcome).toMatchObject({
      ok: false,
      code: 'BLOCKED',
      message: 'BLOCKLISTED',
      retryAfterMs: 60_000,
    });
  });
});
