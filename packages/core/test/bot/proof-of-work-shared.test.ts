import { createSecretKey, randomBytes } from 'node:crypto';
import { ConfigurationError, InfrastructureError, solveProofOfWork } from '@seatrush/core';
import { MemorySingleUseStore } from '@seatrush/core/memory';
import { ProofOfWorkChallenges } from '@seatrush/core/services';
import { describe, expect, it } from 'vitest';

const NOW = 1_700_000_000_000;
const SECRET = createSecretKey(randomBytes(32));

/** Three instances of one deployment: one secret, one shared single-use store. */
function instances(count = 3, singleUse = new MemorySingleUseStore()) {
  return Array.from(
    { length: count },
    () => new ProofOfWorkChallenges({ difficulty: 6, secret: SECRET, singleUse }),
  );
}

describe('ProofOfWorkChallenges across instances', () => {
  it('verifies at any instance a challenge another instance issued, with nothing stored at issue time', async () => {
    const singleUse = new MemorySingleUseStore();
    const [a, b, c] = instances(3, singleUse);
    const challenge = await a!.issue({ subject: 'user_x', now: NOW });
    expect(challenge.id.length).toBeLessThanOrEqual(128);
    expect(singleUse.size).toBe(0);
    // b derives the same prompt from the id alone
    const answer = solveProofOfWork(challenge.prompt);
    expect(await b!.verify({ subject: 'user_x', challengeId: challenge.id, answer, now: NOW + 10 })).toBe(
      true,
    );
    expect(singleUse.size).toBe(1);
    // a replay at a third instance, and at the issuer, is refused
    expect(await c!.verify({ subject: 'user_x', challengeId: challenge.id, answer, now: NOW + 20 })).toBe(
      false,
    );
    expect(await a!.verify({ subject: 'user_x', challengeId: challenge.id, answer, now: NOW + 30 })).toBe(
      false,
    );
  });

  it('accepts exactly one of many concurrent answers to one challenge spread over the instances', async () => {
    const all = instances(3);
    const challenge = await all[0]!.issue({ subject: 'user_x', now: NOW });
    const answer = solveProofOfWork(challenge.prompt);
    const verdicts = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        all[i % 3]!.verify({ subject: 'user_x', challengeId: challenge.id, answer, now: NOW + 1 }),
      ),
    );
    expect(verdicts.filter(Boolean)).toHaveLength(1);
  });

  it('refuses a challenge signed with another secret, a tampered id, or another subject', async () => {
    const [a] = instances(1);
    const stranger = new ProofOfWorkChallenges({ difficulty: 6, secret: createSecretKey(randomBytes(32)) });
    const challenge = await a!.issue({ subject: 'user_x', now: NOW });
    const answer = solveProofOfWork(challenge.prompt);
    const attempt = { subject: 'user_x', challengeId: challenge.id, answer, now: NOW };
    expect(await stranger.verify(attempt)).toBe(false);
    // a later expiry or an easier difficulty written into the id breaks its signature
    const parts = challenge.id.split('.');
    const later = [parts[0], parts[1], (NOW + 10_000_000).toString(36), parts[3], parts[4]].join('.');
    const easier = [parts[0], parts[1], parts[2], '1', parts[4]].join('.');
    expect(await a!.verify({ ...attempt, challengeId: later })).toBe(false);
    expect(await a!.verify({ ...attempt, challengeId: easier })).toBe(false);
    expect(await a!.verify({ ...attempt, challengeId: 'v1.garbage' })).toBe(false);
    expect(await a!.verify({ ...attempt, subject: 'user_y' })).toBe(false);
    // none of those spent it
    expect(await a!.verify(attempt)).toBe(true);
  });

  it('refuses a short secret at construction', () => {
    expect(() => new ProofOfWorkChallenges({ secret: 'too short' })).toThrow(ConfigurationError);
    expect(() => new ProofOfWorkChallenges({ secret: 'x'.repeat(32) })).not.toThrow();
  });

  it('rejects with the store error, never accepting unchecked, when the single-use store fails', async () => {
    const failing = {
      use: async () => {
        throw new InfrastructureError('store down');
      },
    };
    const challenges = new ProofOfWorkChallenges({ difficulty: 6, secret: SECRET, singleUse: failing });
    const challenge = await challenges.issue({ subject: 'user_x', now: NOW });
    const answer = solveProofOfWork(challenge.prompt);
    await expect(
      challenges.verify({ subject: 'user_x', challengeId: challenge.id, answer, now: NOW }),
    ).rejects.toThrow(InfrastructureError);
  });
});
