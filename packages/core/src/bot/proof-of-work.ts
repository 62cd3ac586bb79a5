import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConfigurationError, SeatRushError } from '../common/errors';
import { EpochMs } from '../common/ids';
import { validate } from '../common/validate';
import type { Challenge, ChallengeProvider } from '../ports/challenge';

/** The algorithm name carried in every prompt, so a client knows what it is solving. */
export const PROOF_OF_WORK_ALGORITHM = 'sha256-leading-zero-bits';

/**
 * A proof-of-work puzzle: find an `answer` such that SHA-256(prefix + answer), over the UTF-8
 * bytes, starts with at least `difficulty` zero bits. Costs the client about 2^difficulty hashes
 * and the server one.
 */
export const ProofOfWorkPrompt = z.strictObject({
  algorithm: z.literal(PROOF_OF_WORK_ALGORITHM),
  prefix: z.string().regex(/^[0-9a-f]{16,128}$/),
  difficulty: z.number().int().min(1).max(32),
});
export type ProofOfWorkPrompt = z.infer<typeof ProofOfWorkPrompt>;

/** Options of `ProofOfWorkChallenges`; every field has a default. */
export const ProofOfWorkOptions = z.strictObject({
  /**
   * Leading zero bits required. 16 is about 65,000 hashes: a fraction of a second for a browser,
   * yet a real cost for a bot farm opening thousands of sessions.
   */
  difficulty: z.number().int().min(1).max(32).default(16),
  /** How long an issued challenge can be answered. */
  ttlMs: z.number().int().positive().default(120_000),
  /** Random bytes in a prefix (hex-encoded): enough that prefixes never repeat. */
  prefixBytes: z.number().int().min(8).max(64).default(16),
  /** Most unanswered challenges kept; beyond it the oldest are forgotten (memory stays bounded). */
  maxOutstanding: z.number().int().positive().default(100_000),
});
export type ProofOfWorkOptions = z.input<typeof ProofOfWorkOptions>;

const IssueInput = z.strictObject({ subject: z.string().min(1).max(256), now: EpochMs });
const VerifyInput = z.strictObject({
  subject: z.string().min(1).max(256),
  challengeId: z.string().min(1).max(128),
  answer: z.string().max(256),
  now: EpochMs,
});

interface Outstanding {
  subject: string;
  prompt: ProofOfWorkPrompt;
  expiresAt: number;
}

/** Leading zero bits of a byte string (0 to 8 × length). */
export function leadingZeroBits(bytes: Uint8Array): number {
  let bits = 0;
  for (const byte of bytes) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/** Whether `answer` solves `prompt`. */
export function checkProofOfWork(prompt: ProofOfWorkPrompt, answer: string): boolean {
  const digest = createHash('sha256')
    .update(prompt.prefix + answer, 'utf8')
    .digest();
  return leadingZeroBits(digest) >= prompt.difficulty;
}

/**
 * Solves a proof-of-work prompt (for clients and tests): tries answers 0, 1, 2, … in base 36.
 * Accepts the `prompt` of a `Challenge` as issued.
 * @throws ValidationError when the prompt is not a proof-of-work prompt.
 * @throws SeatRushError `POW_UNSOLVED` after `maxAttempts` tries (default 2^(difficulty + 8)).
 */
export function solveProofOfWork(
  prompt: Challenge['prompt'],
  options: { maxAttempts?: number } = {},
): string {
  const pow = validate('proof-of-work prompt', ProofOfWorkPrompt, prompt);
  const maxAttempts = options.maxAttempts ?? 2 ** (pow.difficulty + 8);
  for (let n = 0; n < maxAttempts; n += 1) {
    const answer = n.toString(36);
    if (checkProofOfWork(pow, answer)) return answer;
  }
  throw new SeatRushError('POW_UNSOLVED', `no answer found in ${maxAttempts} attempts`);
}

/**
 * The built-in `ChallengeProvider` (a CAPTCHA service cannot be assumed): each challenge is a
 * random prefix and a difficulty, bound to the subject it was issued to, answerable once, until
 * it expires. State is per process and bounded by `maxOutstanding`; a host running several
 * instances routes a subject's answer to the instance that issued it, or plugs in a shared
 * provider.
 */
export class ProofOfWorkChallenges implements ChallengeProvider {
  readonly #options: z.output<typeof ProofOfWorkOptions>;
  readonly #outstanding = new Map<string, Outstanding>();

  constructor(options: ProofOfWorkOptions = {}) {
    const parsed = ProofOfWorkOptions.safeParse(options);
    if (!parsed.success)
      throw new ConfigurationError(`invalid proof-of-work options: ${parsed.error.message}`);
    this.#options = parsed.data;
  }

  async issue(input: { subject: string; now: number }): Promise<Challenge> {
    const { subject, now } = validate('challenge request', IssueInput, input);
    this.#prune(now);
    const id = randomBytes(16).toString('hex');
    const prompt: ProofOfWorkPrompt = {
      algorithm: PROOF_OF_WORK_ALGORITHM,
      prefix: randomBytes(this.#options.prefixBytes).toString('hex'),
      difficulty: this.#options.difficulty,
    };
    const expiresAt = now + this.#options.ttlMs;
    this.#outstanding.set(id, { subject, prompt, expiresAt });
    while (this.#outstanding.size > this.#options.maxOutstanding)
      this.#outstanding.delete(this.#outstanding.keys().next().value as string);
    return { id, prompt: { ...prompt }, expiresAt };
  }

  /**
   * True once for a correct answer, given before expiry, by the subject the challenge was issued
   * to. Any attempt by that subject spends the challenge, right or wrong, so answers cannot be
   * guessed online; an attempt by another subject spends nothing (it cannot burn a stranger's
   * challenge).
   */
  async verify(input: {
    subject: string;
    challengeId: string;
    answer: string;
    now: number;
  }): Promise<boolean> {
    const { subject, challengeId, answer, now } = validate('challenge answer', VerifyInput, input);
    const challenge = this.#outstanding.get(challengeId);
    if (!challenge || challenge.subject !== subject) return false;
    this.#outstanding.delete(challengeId);
    if (now >= challenge.expiresAt) return false;
    return checkProofOfWork(challenge.prompt, answer);
  }

  /** Challenges issued and not yet answered or pruned. */
  get outstanding(): number {
    return this.#outstanding.size;
  }

  #prune(now: number): void {
    // issue order is expiry order (one ttl, callers' clocks move forward), so the expired ones
    // are at the front; a challenge answered or pruned is gone, so a replayed answer finds nothing
    for (const [id, challenge] of this.#outstanding) {
      if (challenge.expiresAt > now) break;
      this.#outstanding.delete(id);
    }
  }
}
