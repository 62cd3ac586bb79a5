import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { ConfigurationError } from '../common/errors';

// What admission tokens, queue passes and invitations share: claims bound to one sale and one
// user until a time, as `[prefix.]base64url(JSON claims).base64url(HMAC-SHA256)`, each kind
// signed under a domain of its own so that no signature of one verifies as another.

const MIN_SECRET_BYTES = 32;

/** Why signed claims were refused. Stable codes, safe to send to the client. */
export type SignedClaimsRefusal = 'EXPIRED' | 'BAD_SIGNATURE' | 'WRONG_USER' | 'WRONG_SALE' | 'MALFORMED';

/** The HMAC-SHA256 keys of one kind of signed claims: the first signs, every one verifies. */
export class SigningKeys {
  // KeyObjects made once: createHmac with raw bytes builds a new key object on every call, which
  // cost more than the hash itself on the reserve path.
  private readonly accepted: KeyObject[];

  /**
   * @param kind what is signed, for the error (`admission token`, `queue pass`, …)
   * @param domain signed before the payload; empty for admission tokens (signed before domains)
   * @throws ConfigurationError when a secret is shorter than 32 bytes
   */
  constructor(
    secrets: { secret: string | Uint8Array; previousSecrets?: Array<string | Uint8Array> | undefined },
    kind: string,
    private readonly domain: string,
  ) {
    const keys = [secrets.secret, ...(secrets.previousSecrets ?? [])].map((secret) =>
      typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret),
    );
    if (keys.some((key) => key.length < MIN_SECRET_BYTES)) {
      throw new ConfigurationError(`${kind} secrets must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    this.accepted = keys.map((key) => createSecretKey(key));
  }

  /** `payload` and its signature by the current key, base64url-encoded, joined by a dot. */
  sign(payload: string): string {
    return `${payload}.${this.signatureOf(this.accepted[0]!, payload).toString('base64url')}`;
  }

  /**
   * Checks `presented` (`[prefix.]payload.signature`) as presented by `input.userId` for
   * `input.saleId` at `input.now`, in a fixed order: shape, signature (in constant time, before
   * anything is parsed), then sale, user and expiry, so a forged one never learns which claim was
   * wrong. `until` reads the claims' time limit.
   */
  verify<Claims extends { saleId: string; userId: string }>(
    presented: unknown,
    format: { prefix?: string; claims: z.ZodType<Claims>; until: (claims: Claims) => number },
    input: { saleId: string; userId: string; now: number },
  ): { ok: true; claims: Claims } | { ok: false; code: SignedClaimsRefusal } {
    if (typeof presented !== 'string' || presented.length > 2048) return { ok: false, code: 'MALFORMED' };
    const parts = presented.split('.');
    if (format.prefix !== undefined && parts.shift() !== format.prefix)
      return { ok: false, code: 'MALFORMED' };
    if (parts.length !== 2) return { ok: false, code: 'MALFORMED' };
    const [payload, signature] = parts as [string, string];
    if (!isBase64Url(payload) || !isBase64Url(signature)) return { ok: false, code: 'MALFORMED' };
    const signatureBytes = Buffer.from(signature, 'base64url');
    const signedByUs = this.accepted.some((key) => {
      const expected = this.signatureOf(key, payload);
      return expected.length === signatureBytes.length && timingSafeEqual(expected, signatureBytes);
    });
    if (!signedByUs) return { ok: false, code: 'BAD_SIGNATURE' };
    const claims = decodeClaims(format.claims, payload);
    if (!claims) return { ok: false, code: 'MALFORMED' };
    if (claims.saleId !== input.saleId) return { ok: false, code: 'WRONG_SALE' };
    if (claims.userId !== input.userId) return { ok: false, code: 'WRONG_USER' };
    if (format.until(claims) <= input.now) return { ok: false, code: 'EXPIRED' };
    return { ok: true, claims };
  }

  private signatureOf(key: KeyObject, payload: string): Buffer {
    const hmac = createHmac('sha256', key);
    if (this.domain) hmac.update(this.domain);
    return hmac.update(payload).digest();
  }
}

/** `claims` as the payload of signed claims: base64url of their JSON. */
export function encodeClaims(claims: object): string {
  return Buffer.from(JSON.stringify(claims)).toString('base64url');
}

function isBase64Url(text: string): boolean {
  return text.length > 0 && /^[A-Za-z0-9_-]+$/.test(text);
}

function decodeClaims<Claims>(schema: z.ZodType<Claims>, payload: string): Claims | null {
  try {
    const result = schema.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    return result.success ? result.data : null;
  } catch {
    // signed by a key we accept yet not JSON: not something we issued, so refuse it as malformed
    return null;
  }
}
