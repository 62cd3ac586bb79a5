import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ConfigurationError } from '../common/errors';
import { EpochMs, SaleId, UserId } from '../common/ids';
import { QueuePasses } from './queue-passes';

/** What an admission token says: this user may buy in this sale until then. */
export const AdmissionClaims = z.object({ saleId: SaleId, userId: UserId, until: EpochMs });
export type AdmissionClaims = z.infer<typeof AdmissionClaims>;

/** Why a token was refused. Stable codes, safe to send to the client. */
export type AdmissionTokenRefusal = 'EXPIRED' | 'BAD_SIGNATURE' | 'WRONG_USER' | 'WRONG_SALE' | 'MALFORMED';

/** The answer of {@link AdmissionTokens.verify}. */
export type AdmissionTokenVerdict =
  | { ok: true; claims: AdmissionClaims }
  | { ok: false; code: AdmissionTokenRefusal };

/** Options of {@link AdmissionTokens}. */
export interface AdmissionTokensOptions {
  /** The HMAC-SHA256 key: at least 32 bytes, shared by every API instance. */
  secret: string | Uint8Array;
  /**
   * Keys still accepted (never used to sign) while a rotation rolls out, so tokens issued just
   * before the rotation stay valid until they expire.
   */
  previousSecrets?: Array<string | Uint8Array>;
}

const MIN_SECRET_BYTES = 32;

/**
 * Signed admission tokens: `base64url(JSON {saleId,userId,until}) . base64url(HMAC-SHA256)`.
 *
 * A token cannot be forged without the secret, and it is bound to one user and one sale, so a
 * token shared on a forum is useless to anyone else. Verification compares signatures in constant
 * time and checks the signature before reading the payload, so nothing unsigned is ever parsed.
 */
export class AdmissionTokens {
  // KeyObjects made once: createHmac with raw bytes builds a new key object on every call, which
  // cost more than the hash itself on the reserve path.
  private readonly signingKey: KeyObject;
  private readonly acceptedKeys: KeyObject[];
  private readonly options: AdmissionTokensOptions;
  private passes: QueuePasses | undefined;

  constructor(options: AdmissionTokensOptions) {
    this.options = options;
    const keys = [options.secret, ...(options.previousSecrets ?? [])].map(toKey);
    if (keys.some((key) => key.length < MIN_SECRET_BYTES)) {
      throw new ConfigurationError(`admission token secrets must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    this.acceptedKeys = keys.map((key) => createSecretKey(key));
    this.signingKey = this.acceptedKeys[0]!;
  }

  /**
   * The queue passes signed with these same keys (and a domain of their own): what a waiting buyer
   * keeps to get their place back after the room lost its state (see {@link QueuePasses}).
   */
  queuePasses(): QueuePasses {
    this.passes ??= new QueuePasses(this.options);
    return this.passes;
  }

  /** Signs `claims` (validated: a bad sale or user id throws `ValidationError`). */
  issue(claims: AdmissionClaims): string {
    const parsed = AdmissionClaims.parse(claims);
    const payload = Buffer.from(
      JSON.stringify({ saleId: parsed.saleId, userId: parsed.userId, until: parsed.until }),
    ).toString('base64url');
    return `${payload}.${sign(this.signingKey, payload).toString('base64url')}`;
  }

  /**
   * Checks a token presented by `userId` for `saleId` at `now`. The order of the checks is fixed:
   * shape, signature, then sale, user and expiry, so a forged token never learns which claim was
   * wrong.
   */
  verify(input: { token: unknown; saleId: string; userId: string; now: number }): AdmissionTokenVerdict {
    const { token } = input;
    if (typeof token !== 'string' || token.length > 2048) return { ok: false, code: 'MALFORMED' };
    const parts = token.split('.');
    if (parts.length !== 2) return { ok: false, code: 'MALFORMED' };
    const [payload, signature] = parts as [string, string];
    if (!isBase64Url(payload) || !isBase64Url(signature)) return { ok: false, code: 'MALFORMED' };
    const presented = Buffer.from(signature, 'base64url');
    const signedByUs = this.acceptedKeys.some((key) => {
      const expected = sign(key, payload);
      return expected.length === presented.length && timingSafeEqual(expected, presented);
    });
    if (!signedByUs) return { ok: false, code: 'BAD_SIGNATURE' };
    const claims = parseClaims(payload);
    if (!claims) return { ok: false, code: 'MALFORMED' };
    if (claims.saleId !== input.saleId) return { ok: false, code: 'WRONG_SALE' };
    if (claims.userId !== input.userId) return { ok: false, code: 'WRONG_USER' };
    if (claims.until <= input.now) return { ok: false, code: 'EXPIRED' };
    return { ok: true, claims };
  }
}

function toKey(secret: string | Uint8Array): Buffer {
  return typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
}

function sign(key: KeyObject, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest();
}

function isBase64Url(text: string): boolean {
  return text.length > 0 && /^[A-Za-z0-9_-]+$/.test(text);
}

function parseClaims(payload: string): AdmissionClaims | null {
  try {
    const result = AdmissionClaims.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    return result.success ? result.data : null;
  } catch {
    // signed by a key we accept yet not JSON: not a token we issued, so refuse it as malformed
    return null;
  }
}
