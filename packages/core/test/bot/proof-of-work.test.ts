import { createHash } from 'node:crypto';
import {
  ConfigurationError,
  type ProofOfWorkPrompt,
  SeatRushError,
  solveProofOfWork,
  ValidationError,
} from '@seatrush/core';
import {
  checkProofOfWork,
  leadingZeroBits,
  PROOF_OF_WORK_ALGORITHM,
  ProofOfWorkChallenges,
} from '@seatrush/core/services';
import { describe, expect, it } from 'vitest';

const NOW = 1_700_000_000_000;
const zeroBitsOf = (text: string) => leadingZeroBits(createHash('sha256').update(text, 'utf8').digest());

describe('leadingZeroBits', () => {
  it('counts the zero bits before the first one bit', () => {
    expect(leadingZeroBits(Uint8Array.of(0x80))).toBe(0);
    expect(leadingZeroBits(Uint8Array.of(0x01))).toBe(7);
    expect(leadingZeroBits(Uint8Array.of(0x00, 0x00, 0x10, 0xff))).toBe(19);
    expect(leadingZeroBits(Uint8Array.of(0x00, 0x00))).toBe(16);
    expect(leadingZeroBits(new Uint8Array())).toBe(0);
  });
});

describe('ProofOfWorkChallenges', () => {
  const pow = (options = {}) => new ProofOfWorkChallenges({ difficulty: 8, ...options });

  it('issues a random prefix with the difficulty and an expiry', async () => {
    const challenges = pow({ ttlMs: 60_000 });
    const a = await challenges.issue({ subject: 'user_a', now: NOW });
    const b = await challenges.issue({ subject: 'user_a', now: NOW });
    expect(a.prompt).toEqual({
      algorithm: PROOF_OF_WORK_ALGORITHM,
      prefix: expect.stringMatching(/^[0-9a-f]{32}$/),
      difficulty: 8,
    });
    expect(a.expiresAt).toBe(NOW + 60_000);
    expect(a.id).not.toBe(b.id);
    expect(a.prompt.prefix).not.toBe(b.prompt.prefix);
  });

  it('accepts a correct answer from its subject exactly once', async () => {
    const challenges = pow();
    const challenge = await challenges.issue({ subject: 'user_a', now: NOW });
    const answer = solveProofOfWork(challenge.prompt);
    expect(zeroBitsOf(`${challenge.prompt.prefix}${answer}`)).toBeGreaterThanOrEqual(8);
    const attempt = { subject: 'user_a', challengeId: challenge.id, answer, now: NOW + 1 };
    expect(await challenges.verify(attempt)).toBe(true);
    expect(await challenges.verify(attempt)).toBe(false);
  });

  it('spends the challenge on a wrong answer, so answers cannot be guessed online', async () => {
    const challenges = pow();
    const challenge = await challenges.issue({ subject: 'user_a', now: NOW });
    const answer = solveProofOfWork(challenge.prompt);
    const wrong = [...Array(1000).keys()]
      .map(String)
      .find((a) => !checkProofOfWork(challenge.prompt as ProofOfWorkPrompt, a))!;
    expect(
      await challenges.verify({ subject: 'user_a', challengeId: challenge.id, answer: wrong, now: NOW }),
    ).toBe(false);
    expect(await challenges.verify({ subject: 'user_a', challengeId: challenge.id, answer, now: NOW })).toBe(
      false,
    );
  });

  it('is bound to its subject, and another subject cannot spend it', async () => {
    const challenges = pow();
    const challenge = await challenges.issue({ subject: 'user_a', now: NOW });
    const answer = solveProofOfWork(challenge.prompt);
    expect(await challenges.verify({ subject: 'user_b', challengeId: challenge.id, answer, now: NOW })).toBe(
      false,
    );
    expect(await challenges.verify({ subject: 'user_a', challengeId: challenge.id, answer, now: NOW })).toBe(
      true,
    );
  });

  it('refuses an answer at or after the expiry, and an unknown id', async () => {
    const challenges = pow({ ttlMs: 1_000 });
    const challenge = await challenges.issue({ subject: 'user_a', now: NOW });
    const answer = solveProofOfWork(challenge.prompt);
    expect(
      await challenges.verify({ subject: 'user_a', challengeId: challenge.id, answer, now: NOW + 1_000 }),
    ).toBe(false);
    expect(await challenges.verify({ subject: 'user_a', challengeId: 'nope', answer, now: NOW })).toBe(false);
  });

  it('keeps its memory bounded: issuing stores nothing, and past the cap an answer is refused, not forgotten', async () => {
    const challenges = pow({ ttlMs: 1_000, maxOutstanding: 2 });
    const issued: Awaited<ReturnType<typeof challenges.issue>>[] = [];
    for (let i = 0; i < 4; i += 1) issued.push(await challenges.issue({ subject: 'user_a', now: NOW }));
    const answer = (n: number, now = NOW) =>
      challenges.verify({
        subject: 'user_a',
        challengeId: issued[n]!.id,
        answer: solveProofOfWork(issued[n]!.prompt),
        now,
      });
    expect(await answer(3)).toBe(true);
    expect(await answer(2)).toBe(true);
    // two answered challenges fill the single-use memory: a third is refused until one expires
    expect(await answer(1)).toBe(false);
    const later = await challenges.issue({ subject: 'user_a', now: NOW + 1_000 });
    expect(
      await challenges.verify({
        subject: 'user_a',
        challengeId: later.id,
        answer: solveProofOfWork(later.prompt),
        now: NOW + 1_000,
      }),
    ).toBe(true);
  });

  it('refuses bad options with a ConfigurationError and bad input with a ValidationError', async () => {
    expect(() => new ProofOfWorkChallenges({ difficulty: 0 })).toThrow(ConfigurationError);
    expect(() => new ProofOfWorkChallenges({ ttlMs: -1 })).toThrow(ConfigurationError);
    const challenges = pow();
    await expect(challenges.issue({ subject: '', now: NOW })).rejects.toThrow(ValidationError);
    await expect(
      challenges.verify({ subject: 'a', challengeId: 'x', answer: 'y'.repeat(257), now: NOW }),
    ).rejects.toThrow(ValidationError);
  });
});

describe('solveProofOfWork', () => {
  it('finds an answer whose hash has the leading zero bits asked for', () => {
    const prompt = {
      algorithm: PROOF_OF_WORK_ALGORITHM,
      prefix: '00112233445566778899aabbccddeeff',
      difficulty: 12,
    };
    const answer = solveProofOfWork(prompt);
    expect(zeroBitsOf(prompt.prefix + answer)).toBeGreaterThanOrEqual(12);
    expect(checkProofOfWork(prompt as ProofOfWorkPrompt, answer)).toBe(true);
  });

  it('gives up after maxAttempts with POW_UNSOLVED', () => {
    const prompt = {
      algorithm: PROOF_OF_WORK_ALGORITHM,
      prefix: '00112233445566778899aabbccddeeff',
      difficulty: 32,
    };
    expect(() => solveProofOfWork(prompt, { maxAttempts: 10 })).toThrow(SeatRushError);
    try {
      solveProofOfWork(prompt, { maxAttempts: 10 });
    } catch (error) {
      expect((error as SeatRushError).code).toBe('POW_UNSOLVED');
    }
  });

  it('refuses a prompt that is not proof of work', () => {
    expect(() => solveProofOfWork({ algorithm: 'md5', prefix: 'ab', difficulty: 1 })).toThrow(
      ValidationError,
    );
  });
});
