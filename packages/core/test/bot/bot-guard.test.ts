import {
  BotGuard,
  type BotGuardOptionsInput,
  type BotRequest,
  type Challenge,
  ConfigurationError,
  solveProofOfWork,
  ValidationError,
} from '@seatrush/core';
import { MemoryBlocklist, MemoryRateLimiter } from '@seatrush/core/memory';
import {
  checkProofOfWork,
  headersFingerprintOf,
  ProofOfWorkChallenges,
  ProofOfWorkPrompt,
  subjectOf,
} from '@seatrush/core/services';
import { describe, expect, it } from 'vitest';

const NOW = 1_700_000_000_000;
const BROWSER =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Safari/605.1.15';

/** An answer that does NOT solve the prompt: any fixed string solves a low difficulty by chance. */
function wrongAnswerTo(prompt: Challenge['prompt']): string {
  const pow = ProofOfWorkPrompt.parse(prompt);
  for (let n = 0; ; n += 1) {
    const answer = `wrong-${n}`;
    if (!checkProofOfWork(pow, answer)) return answer;
  }
}

function setup(options: BotGuardOptionsInput = {}) {
  const blocklist = new MemoryBlocklist();
  const rateLimiter = new MemoryRateLimiter();
  const challenges = new ProofOfWorkChallenges({ difficulty: 6 });
  const guard = new BotGuard({ blocklist, rateLimiter, challenges }, options);
  return { guard, blocklist, rateLimiter, challenges };
}

/** A request from an ordinary browser; each user gets its own IP and header pattern unless told. */
const request = (over: Partial<BotRequest> = {}): BotRequest => ({
  userId: 'alice',
  ip: '203.0.113.7',
  deviceId: 'dev-alice',
  userAgent: BROWSER,
  headersFingerprint: `fp-${over.userId ?? 'alice'}`,
  now: NOW,
  ...over,
});

describe('BotGuard', () => {
  it('allows an ordinary browser request', async () => {
    expect(await setup().guard.inspect(request())).toEqual({ verdict: 'allow' });
  });

  it('blocks a user, an IP or a device on the blocklist, answering the longest block', async () => {
    const { guard, blocklist } = setup();
    await blocklist.block({
      subject: subjectOf('ip', '203.0.113.7'),
      reason: 'manual',
      ttlMs: 1_000,
      now: NOW,
    });
    await blocklist.block({
      subject: subjectOf('device', 'dev-alice'),
      reason: 'manual',
      ttlMs: 5_000,
      now: NOW,
    });
    expect(await guard.inspect(request())).toEqual({
      verdict: 'block',
      reason: 'BLOCKLISTED',
      until: NOW + 5_000,
    });
    expect(await guard.inspect(request({ deviceId: 'dev-2' }))).toEqual({
      verdict: 'block',
      reason: 'BLOCKLISTED',
      until: NOW + 1_000,
    });
    expect(await guard.inspect(request({ deviceId: 'dev-2', ip: '198.51.100.1' }))).toEqual({
      verdict: 'allow',
    });
    await blocklist.block({ subject: subjectOf('user', 'alice'), reason: 'manual', ttlMs: 9_000, now: NOW });
    expect(await guard.inspect(request({ deviceId: 'dev-2', ip: '198.51.100.1' }))).toMatchObject({
      until: NOW + 9_000,
    });
  });

  it('blocks a user repeating abnormally fast, writes the block with its TTL, and lets it end', async () => {
    const { guard, blocklist } = setup({
      burst: { perUser: { maxRequests: 5, windowMs: 1_000 }, blockMs: 60_000 },
    });
    for (let i = 0; i < 5; i += 1)
      expect(await guard.inspect(request({ now: NOW + i * 100 }))).toEqual({ verdict: 'allow' });
    expect(await guard.inspect(request({ now: NOW + 500 }))).toEqual({
      verdict: 'block',
      reason: 'TOO_FAST',
      until: NOW + 60_500,
    });
    expect(await blocklist.check({ subject: subjectOf('user', 'alice'), now: NOW + 600 })).toEqual({
      reason: 'TOO_FAST',
      until: NOW + 60_500,
    });
    expect(await guard.inspect(request({ now: NOW + 60_499 }))).toMatchObject({ reason: 'BLOCKLISTED' });
    expect(await guard.inspect(request({ now: NOW + 60_500 }))).toEqual({ verdict: 'allow' });
  });

  it('does not block the same number of requests spread beyond the window', async () => {
    const { guard } = setup({ burst: { perUser: { maxRequests: 5, windowMs: 1_000 } } });
    for (let i = 0; i < 30; i += 1)
      expect(await guard.inspect(request({ now: NOW + i * 201 }))).toEqual({ verdict: 'allow' });
  });

  it('blocks an IP sending abnormally fast for many users, not the users elsewhere', async () => {
    const { guard } = setup({ burst: { perIp: { maxRequests: 20, windowMs: 1_000 } } });
    const users = Array.from({ length: 21 }, (_, i) => `u${i}`);
    for (const userId of users.slice(0, 20))
      expect(await guard.inspect(request({ userId, deviceId: `d-${userId}`, ip: '192.0.2.1' }))).toEqual({
        verdict: 'allow',
      });
    expect(await guard.inspect(request({ userId: 'u20', deviceId: 'd-u20', ip: '192.0.2.1' }))).toMatchObject(
      {
        verdict: 'block',
        reason: 'TOO_FAST',
      },
    );
    expect(await guard.inspect(request({ userId: 'u20', deviceId: 'd-u20', ip: '192.0.2.2' }))).toEqual({
      verdict: 'allow',
    });
  });

  it('blocks a device behind more accounts than allowed within the window', async () => {
    const { guard, blocklist } = setup({ device: { maxAccounts: 3, windowMs: 60_000, blockMs: 3_600_000 } });
    for (const [i, userId] of ['a', 'b', 'c'].entries())
      expect(await guard.inspect(request({ userId, ip: `192.0.2.${i}`, deviceId: 'farm-1' }))).toEqual({
        verdict: 'allow',
      });
    expect(
      await guard.inspect(request({ userId: 'd', ip: '192.0.2.9', deviceId: 'farm-1', now: NOW + 10 })),
    ).toEqual({
      verdict: 'block',
      reason: 'DEVICE_SHARED',
      until: NOW + 10 + 3_600_000,
    });
    expect(await blocklist.check({ subject: subjectOf('device', 'farm-1'), now: NOW + 20 })).toMatchObject({
      reason: 'DEVICE_SHARED',
    });
    // the accounts themselves are not blocked: they may use their own devices
    expect(
      await guard.inspect(request({ userId: 'a', ip: '192.0.2.0', deviceId: 'own-a', now: NOW + 30 })),
    ).toEqual({
      verdict: 'allow',
    });
  });

  it('forgets a device account once it falls out of the window', async () => {
    const { guard } = setup({ device: { maxAccounts: 2, windowMs: 1_000 } });
    expect(await guard.inspect(request({ userId: 'a', ip: '192.0.2.1', deviceId: 'shared' }))).toEqual({
      verdict: 'allow',
    });
    expect(await guard.inspect(request({ userId: 'b', ip: '192.0.2.2', deviceId: 'shared' }))).toEqual({
      verdict: 'allow',
    });
    expect(
      await guard.inspect(request({ userId: 'c', ip: '192.0.2.3', deviceId: 'shared', now: NOW + 1_000 })),
    ).toEqual({ verdict: 'allow' });
  });

  it('answers a rate-limited request with a block until it may retry, without writing it to the blocklist', async () => {
    const { guard, blocklist } = setup({
      rateLimits: { perUser: { kind: 'token-bucket', capacity: 2, refillPerSecond: 1 }, perIp: null },
    });
    expect(await guard.inspect(request())).toEqual({ verdict: 'allow' });
    expect(await guard.inspect(request())).toEqual({ verdict: 'allow' });
    expect(await guard.inspect(request())).toEqual({
      verdict: 'block',
      reason: 'RATE_LIMITED',
      until: NOW + 1_000,
    });
    expect(await blocklist.check({ subject: subjectOf('user', 'alice'), now: NOW })).toBeNull();
    expect(await guard.inspect(request({ now: NOW + 1_000 }))).toEqual({ verdict: 'allow' });
  });

  it('applies a global rate limit across users when configured', async () => {
    const { guard } = setup({
      rateLimits: {
        perUser: null,
        perIp: null,
        global: { kind: 'sliding-window', limit: 3, windowMs: 1_000 },
      },
    });
    for (const userId of ['a', 'b', 'c'])
      expect(await guard.inspect(request({ userId, ip: `ip-${userId}`, deviceId: userId }))).toEqual({
        verdict: 'allow',
      });
    expect(await guard.inspect(request({ userId: 'd', ip: 'ip-d', deviceId: 'd' }))).toEqual({
      verdict: 'block',
      reason: 'RATE_LIMITED',
      until: NOW + 1_000,
    });
  });

  it('challenges a request without a user agent, and lets the user through once solved', async () => {
    const { guard } = setup();
    const verdict = await guard.inspect(request({ userAgent: undefined }));
    expect(verdict).toMatchObject({ verdict: 'challenge', reasons: ['MISSING_USER_AGENT'] });
    if (verdict.verdict !== 'challenge') throw new Error('expected a challenge');
    const answer = solveProofOfWork(verdict.challenge.prompt);
    const attempt = { userId: 'alice', challengeId: verdict.challenge.id, answer, now: NOW + 100 };
    expect(await guard.answerChallenge({ ...attempt, userId: 'mallory' })).toBe(false);
    expect(await guard.answerChallenge(attempt)).toBe(true);
    expect(await guard.answerChallenge(attempt)).toBe(false);
    expect(await guard.inspect(request({ userAgent: '', now: NOW + 200 }))).toEqual({ verdict: 'allow' });
    // the pass lasts challenge.passMs (10 minutes by default)
    expect(await guard.inspect(request({ userAgent: '', now: NOW + 100 + 600_000 }))).toMatchObject({
      verdict: 'challenge',
    });
  });

  it('checks an answer carried by the request: right lets the user in, wrong challenges again', async () => {
    const { guard } = setup();
    const first = await guard.inspect(request({ userAgent: undefined }));
    if (first.verdict !== 'challenge') throw new Error('expected a challenge');
    const wrong = await guard.inspect(
      request({
        userAgent: undefined,
        challengeAnswer: {
          challengeId: first.challenge.id,
          answer: wrongAnswerTo(first.challenge.prompt),
        },
      }),
    );
    expect(wrong).toMatchObject({ verdict: 'challenge', reasons: ['MISSING_USER_AGENT', 'WRONG_ANSWER'] });
    if (wrong.verdict !== 'challenge') throw new Error('expected a challenge');
    expect(wrong.challenge.id).not.toBe(first.challenge.id);
    const answer = solveProofOfWork(wrong.challenge.prompt);
    expect(
      await guard.inspect(
        request({ userAgent: undefined, challengeAnswer: { challengeId: wrong.challenge.id, answer } }),
      ),
    ).toEqual({ verdict: 'allow' });
  });

  it('blocks a user who keeps answering wrong', async () => {
    const { guard, blocklist } = setup({
      challenge: { maxFailures: 3, failureWindowMs: 60_000, blockMs: 900_000 },
    });
    const attempt = { userId: 'alice', challengeId: 'made-up', answer: 'x' };
    for (let i = 0; i < 3; i += 1)
      expect(await guard.answerChallenge({ ...attempt, now: NOW + i })).toBe(false);
    expect(await guard.inspect(request({ userAgent: undefined, now: NOW + 3 }))).toMatchObject({
      verdict: 'challenge',
    });
    expect(
      await guard.inspect(
        request({
          userAgent: undefined,
          challengeAnswer: { challengeId: 'made-up', answer: 'x' },
          now: NOW + 4,
        }),
      ),
    ).toEqual({ verdict: 'block', reason: 'CHALLENGE_FAILED', until: NOW + 4 + 900_000 });
    expect(await blocklist.check({ subject: subjectOf('user', 'alice'), now: NOW + 5 })).toMatchObject({
      reason: 'CHALLENGE_FAILED',
    });
  });

  it('challenges tool and too-short user agents', async () => {
    const { guard } = setup();
    for (const userAgent of [
      'curl/8.5.0 (x86_64-pc-linux-gnu) libcurl',
      'python-requests/2.31.0 CPython',
      'Mozilla/5.0 HeadlessChrome/120.0',
      'Mozilla/5.0',
    ])
      expect(await guard.inspect(request({ userAgent }))).toMatchObject({
        verdict: 'challenge',
        reasons: ['SUSPICIOUS_USER_AGENT'],
      });
  });

  it('blocks instead of challenging when configured, writing the block', async () => {
    const { guard, blocklist } = setup({ userAgent: { onSuspicious: 'block' }, burst: { blockMs: 1_000 } });
    expect(await guard.inspect(request({ userAgent: 'curl/8.5.0 (x86_64-pc-linux-gnu) libcurl' }))).toEqual({
      verdict: 'block',
      reason: 'SUSPICIOUS_USER_AGENT',
      until: NOW + 1_000,
    });
    expect(await blocklist.check({ subject: subjectOf('user', 'alice'), now: NOW })).toMatchObject({
      reason: 'SUSPICIOUS_USER_AGENT',
    });
  });

  it('allows a missing user agent when configured to', async () => {
    const { guard } = setup({ userAgent: { onMissing: 'allow' } });
    expect(await guard.inspect(request({ userAgent: undefined }))).toEqual({ verdict: 'allow' });
  });

  it('challenges users sharing one header pattern with too many others', async () => {
    const { guard } = setup({ headers: { maxUsers: 5, windowMs: 60_000 } });
    for (let i = 0; i < 5; i += 1)
      expect(
        await guard.inspect(
          request({ userId: `u${i}`, deviceId: `d${i}`, ip: `192.0.2.${i}`, headersFingerprint: 'same' }),
        ),
      ).toEqual({ verdict: 'allow' });
    expect(
      await guard.inspect(
        request({ userId: 'u5', deviceId: 'd5', ip: '192.0.2.5', headersFingerprint: 'same' }),
      ),
    ).toMatchObject({ verdict: 'challenge', reasons: ['SHARED_HEADERS'] });
    // while the pattern is shared by too many, even its earlier users are challenged
    expect(
      await guard.inspect(
        request({ userId: 'u0', deviceId: 'd0', ip: '192.0.2.0', headersFingerprint: 'same' }),
      ),
    ).toMatchObject({
      verdict: 'challenge',
    });
    expect(await guard.inspect(request({ userId: 'solo', headersFingerprint: 'mine' }))).toEqual({
      verdict: 'allow',
    });
  });

  it('challenges everyone once in always mode', async () => {
    const { guard } = setup({ challenge: { mode: 'always' } });
    const verdict = await guard.inspect(request());
    expect(verdict).toMatchObject({ verdict: 'challenge', reasons: ['ALWAYS'] });
    if (verdict.verdict !== 'challenge') throw new Error('expected a challenge');
    const answer = solveProofOfWork(verdict.challenge.prompt);
    expect(
      await guard.answerChallenge({ userId: 'alice', challengeId: verdict.challenge.id, answer, now: NOW }),
    ).toBe(true);
    expect(await guard.inspect(request())).toEqual({ verdict: 'allow' });
  });

  it('keeps its pattern memory bounded under a flood of fresh subjects', async () => {
    const { guard } = setup({ maxTrackedSubjects: 50, rateLimits: { perUser: null, perIp: null } });
    for (let i = 0; i < 1_000; i += 1)
      await guard.inspect(
        request({
          userId: `u${i}`,
          ip: `ip${i}`,
          deviceId: `d${i}`,
          headersFingerprint: `h${i}`,
          now: NOW + i,
        }),
      );
    const tracked = guard.tracked();
    expect(tracked).toEqual({ users: 50, ips: 50, devices: 50, headerPatterns: 50, passed: 0, failures: 0 });
  });

  it('refuses bad options with every problem listed', () => {
    const ports = {
      blocklist: new MemoryBlocklist(),
      rateLimiter: new MemoryRateLimiter(),
      challenges: new ProofOfWorkChallenges(),
    };
    try {
      new BotGuard(ports, {
        burst: { perUser: { maxRequests: 0 } },
        device: { maxAccounts: -1 },
        bogus: 1,
      } as never);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      const message = (error as Error).message;
      expect(message).toContain('burst.perUser.maxRequests');
      expect(message).toContain('device.maxAccounts');
      expect(message).toContain('bogus');
    }
  });

  it('refuses a malformed request and records nothing', async () => {
    const { guard } = setup();
    await expect(guard.inspect(request({ userId: 'a:b' }))).rejects.toThrow(ValidationError);
    await expect(guard.inspect({ ...request(), headersFingerprint: '' })).rejects.toThrow(ValidationError);
    expect(guard.tracked()).toEqual({
      users: 0,
      ips: 0,
      devices: 0,
      headerPatterns: 0,
      passed: 0,
      failures: 0,
    });
  });
});

describe('subjectOf', () => {
  it('keeps safe values readable and hashes the rest into the safe alphabet', () => {
    expect(subjectOf('ip', '10.0.0.1')).toBe('ip_10.0.0.1');
    const v6 = subjectOf('ip', '2001:db8::1');
    expect(v6).toMatch(/^ip-[0-9a-f]{40}$/);
    expect(subjectOf('ip', '2001:db8::2')).not.toBe(v6);
    expect(subjectOf('device', 'x'.repeat(65))).toMatch(/^device-[0-9a-f]{40}$/);
    expect(subjectOf('user', 'u')).not.toBe(subjectOf('ip', 'u'));
  });
});

describe('headersFingerprintOf', () => {
  const headers = {
    'User-Agent': BROWSER,
    Accept: 'text/html',
    'Accept-Language': 'ko-KR,ko;q=0.9',
    'Accept-Encoding': 'gzip, br',
  };

  it('is the same for the same headers, whatever the volatile ones say', () => {
    expect(headersFingerprintOf(headers)).toBe(headersFingerprintOf({ ...headers }));
    expect(headersFingerprintOf({ ...headers, Cookie: 'sid=1', 'Content-Length': '12' })).toBe(
      headersFingerprintOf(headers),
    );
  });

  it('differs when a distinguishing value or the header order differs', () => {
    const base = headersFingerprintOf(headers);
    expect(headersFingerprintOf({ ...headers, 'Accept-Language': 'en-US' })).not.toBe(base);
    const raw = Object.entries(headers).flat();
    const reordered = [...raw.slice(2), ...raw.slice(0, 2)];
    expect(headersFingerprintOf(reordered)).not.toBe(headersFingerprintOf(raw));
  });

  it('reads a raw header list as Node gives it', () => {
    expect(headersFingerprintOf(Object.entries(headers).flat())).toBe(headersFingerprintOf(headers));
  });
});
