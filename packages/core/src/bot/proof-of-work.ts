import {
  createHash,
  createHmac,
  createSecretKey,
  KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { z } from 'zod';
import { ConfigurationError, SeatRushError } from '../common/errors';
import { EpochMs } from '../common/ids';
import { validate } from '../common/validate';
import { MemorySingleUseStore } from '../memory/single-use-store';
import type { Challenge, ChallengeProvider, ChallengeVerification } from '../ports/challenge';
import type { SingleUseStore } from '../ports/single-use-store';

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
  /** Bytes of a prompt's prefix (hex-encoded), derived from the challenge's random nonce. */
  prefixBytes: z.number().int().min(8).max(64).default(16),
  /**
   * Most answered, unexpired challenges the default in-process single-use memory keeps (past it,
   * answers are refused rather than a used challenge forgotten). Unused with `singleUse`.
   */
  maxOutstanding: z.number().int().positive().default(100_000),
  /**
   * The HMAC key challenges are signed with, at least 32 bytes; every instance that should verify
   * another's challenges gets the same one. Default: a random key of this process.
   */
  secret: z
    .union([z.string(), z.instanceof(Uint8Array), z.custom<KeyObject>((v) => v instanceof KeyObject)])
    .optional(),
  /** Where used challenge ids are remembered; shared (Redis) so a challenge is used once across instances. */
  singleUse: z
    .custom<SingleUseStore>((v) => typeof (v as SingleUseStore | undefined)?.use === 'function')
    .optional(),
});
export type ProofOfWorkOptions = z.input<typeof ProofOfWorkOptions>;

const IssueInput = z.strictObject({ subject: z.string().min(1).max(256), now: EpochMs });
const VerifyInput = z.strictObject({
  subject: z.string().min(1).max(256),
  challengeId: z.string().min(1).max(128),
  answer: z.string().max(256),
  now: EpochMs,
});

/** Separates these signatures from any other HMAC made with the same key. */
const DOMAIN = 'seatrush-pow-v1';
const MIN_SECRET_BYTES = 32;
/** `v1.<nonce>.<expiresAt base 36>.<difficulty>.<mac>`, every part base64url or digits. */
const CHALLENGE_ID = /^v1\.([A-Za-z0-9_-]{22})\.([0-9a-z]{1,11})\.([0-9]{1,2})\.([A-Za-z0-9_-]{43})$/;

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
 * The built-in `ChallengeProvider` (a CAPTCHA service cannot be assumed). A challenge is
 * stateless: its id carries a random nonce, its expiry and difficulty, and an HMAC over them and
 * the subject it was issued to, and its prefix is derived from the nonce. So any instance holding
 * the same `secret` verifies a challenge any instance issued, with nothing stored at issue time.
 * Single use is enforced in the `singleUse` store (Redis `SET NX PX` in a deployment), which
 * remembers an answered id only until the challenge expires: memory is bounded by the answers
 * given within one `ttlMs`.
 */
export class ProofOfWorkChallenges implements ChallengeProvider {
  readonly #options: Omit<z.output<typeof ProofOfWorkOptions>, 'secret' | 'singleUse'>;
  readonly #key: KeyObject;
  readonly #singleUse: SingleUseStore;

  /** @throws ConfigurationError when an option is invalid or the secret shorter than 32 bytes. */
  constructor(options: ProofOfWorkOptions = {}) {
    const parsed = ProofOfWorkOptions.safeParse(options);
    if (!parsed.success)
      throw new ConfigurationError(`invalid proof-of-work options: ${parsed.error.message}`);
    const { secret, singleUse, ...rest } = parsed.data;
    this.#options = rest;
    this.#key = signingKey(secret);
    this.#singleUse = singleUse ?? new MemorySingleUseStore({ maxEntries: rest.maxOutstanding });
  }

  async issue(input: { subject: string; now: number }): Promise<Challenge> {
    const { subject, now } = validate('challenge request', IssueInput, input);
    const nonce = randomBytes(16).toString('base64url');
    const expiresAt = now + this.#options.ttlMs;
    const { difficulty } = this.#options;
    const mac = this.#sign(nonce, expiresAt, difficulty, subject);
    const id = `v1.${nonce}.${expiresAt.toString(36)}.${difficulty}.${mac}`;
    const prompt: ProofOfWorkPrompt = {
      algorithm: PROOF_OF_WORK_ALGORITHM,
      prefix: this.#prefixOf(mac),
      difficulty,
    };
    return { id, prompt, expiresAt };
  }

  /**
   * True once for a correct answer, given before expiry, by the subject the challenge was issued
   * to, on whichever instance. Any attempt by that subject spends the challenge, right or wrong,
   * so answers cannot be guessed online; an attempt by another subject spends nothing (it cannot
   * burn a stranger's challenge).
   * @throws InfrastructureError when the single-use store fails (the answer is not accepted).
   */
  async verify(input: ChallengeVerification): Promise<boolean> {
    const { subject, challengeId, answer, now } = validate('challenge answer', VerifyInput, input);
    const parts = CHALLENGE_ID.exec(challengeId);
    if (!parts) return false;
    const [, nonce, expiresIn36, difficultyText, mac] = parts as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    const expiresAt = Number.parseInt(expiresIn36, 36);
    const difficulty = Number(difficultyText);
    const expected = Buffer.from(this.#sign(nonce, expiresAt, difficulty, subject), 'base64url');
    const presented = Buffer.from(mac, 'base64url');
    if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) return false;
    if (now >= expiresAt || difficulty < 1 || difficulty > 32) return false;
    if (!(await this.#singleUse.use({ scope: 'pow', id: challengeId, expiresAt, now }))) return false;
    return checkProofOfWork(
      { algorithm: PROOF_OF_WORK_ALGORITHM, prefix: this.#prefixOf(mac), difficulty },
      answer,
    );
  }

  #sign(nonce: string, expiresAt: number, difficulty: number, subject: string): string {
    return createHmac('sha256', this.#key)
      .update(`${DOMAIN}\n${nonce}\n${expiresAt}\n${difficulty}\n${subject}`, 'utf8')
      .digest('base64url');
  }

  #prefixOf(mac: string): string {
    return createHmac('sha512', this.#key)
      .update(`${DOMAIN}-prefix\n${mac}`, 'utf8')
      .digest('hex')
      .slice(0, this.#options.prefixBytes * 2);
  }
}

/** The HMAC key, made once: the host's secret, or a random one for a single process. */
function signingKey(secret: string | Uint8Array | KeyObject | undefined): KeyObject {
  if (secret === undefined) return createSecretKey(randomBytes(MIN_SECRET_BYTES));
  const key =
    secret instanceof KeyObject
      ? secret
      : createSecretKey(typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret));
  if (key.type !== 'secret' || (key.symmetricKeySize ?? 0) < MIN_SECRET_BYTES)
    throw new ConfigurationError(
      `the proof-of-work secret must be a secret key of at least ${MIN_SECRET_BYTES} bytes`,
    );
  return key;
}
