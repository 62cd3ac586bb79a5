import {
  createHmac,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { ConfigurationError } from '@seatrush/core';
import { readCookie } from './cookies';
import type { SeatRushRequest } from './exchange';
import type { RequestGuard } from './guard/request-guard';
import type { Buyer } from './options';

/** Options of {@link SessionCookies}. */
export interface SessionCookiesOptions {
  /**
   * The HMAC key of session cookies: at least 32 bytes, the same on every instance, and NOT the
   * runtime's admission secret (a leaked one must not forge the other).
   */
  secret: string | Uint8Array;
  /**
   * The runtime's admission secret, when the host has it at hand: a session secret equal to it
   * is refused (`ConfigurationError`), since either key would then forge the other's tokens. A
   * host with one configured secret derives two from it with {@link separateSecrets}.
   */
  admissionSecret?: string | Uint8Array;
  /**
   * Where signed-out sessions are listed: the request guard the API checks every request with
   * (`api.guard`; a `RedisRequestGuard` with several instances). {@link SessionCookies.signOut}
   * needs it.
   */
  revocations?: RequestGuard;
  /** Default `sr_session`. */
  cookieName?: string;
  /** Default 12 h. */
  ttlMs?: number;
  /** Verified cookies remembered for this long, so a hot client costs no HMAC; default 5 s. */
  cacheMs?: number;
  /** Default 10,000 verified cookies remembered. */
  cacheSize?: number;
}

/** What a session cookie carries. */
export interface SessionClaims {
  userId: string;
  /** A random id per sign-in: what logout revokes. */
  sessionId: string;
  issuedAt: number;
  /** A display name the host shows (a demo login's typed name); never the buyer's identity. */
  name?: string;
}

const USER_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Stateless signed session cookies (`base64url(json).base64url(hmac)`) a host may use for its
 * sign-in, with `identify` ready for {@link SeatRushHttpOptions.identify}. The HMAC key is created
 * once; verified cookies are cached briefly; a revoked session (logout) is refused by the request
 * guard through its `session:<id>` subject, in the same round trip as the rate limits.
 */
export class SessionCookies {
  readonly cookieName: string;
  readonly ttlMs: number;
  readonly #key: KeyObject;
  readonly #cacheMs: number;
  readonly #cacheSize: number;
  readonly #cache = new Map<string, { claims: SessionClaims; until: number }>();
  readonly #revocations: RequestGuard | undefined;

  constructor(options: SessionCookiesOptions) {
    const secret = bytesOf(options.secret);
    if (!secret || secret.length < 32) throw new ConfigurationError('session secret: at least 32 bytes');
    if (
      options.admissionSecret !== undefined &&
      Buffer.from(secret).equals(bytesOf(options.admissionSecret))
    ) {
      throw new ConfigurationError(
        'the session secret must not be the admission secret: one leaked key would forge both (separateSecrets derives two from one)',
      );
    }
    this.#revocations = options.revocations;
    this.#key = createSecretKey(secret);
    this.cookieName = options.cookieName ?? 'sr_session';
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(this.cookieName)) throw new ConfigurationError('cookieName: a token');
    this.ttlMs = options.ttlMs ?? 12 * 3_600_000;
    this.#cacheMs = options.cacheMs ?? 5_000;
    this.#cacheSize = options.cacheSize ?? 10_000;
  }

  /** A new session for `userId` (with a display `name`, if given): its claims and the `Set-Cookie` header value. */
  issue(
    userId: string,
    now: number,
    options: { secure?: boolean; name?: string } = {},
  ): { claims: SessionClaims; setCookie: string } {
    if (!USER_ID.test(userId)) throw new ConfigurationError('userId: 1-64 characters of A-Z a-z 0-9 _ . -');
    if (options.name !== undefined && !validName(options.name)) {
      throw new ConfigurationError('name: at most 128 characters');
    }
    const claims: SessionClaims = {
      userId,
      sessionId: randomBytes(12).toString('base64url'),
      issuedAt: now,
      ...(options.name === undefined ? {} : { name: options.name }),
    };
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const value = `${body}.${this.#mac(body)}`;
    const secure = options.secure === false ? '' : '; Secure';
    return {
      claims,
      setCookie: `${this.cookieName}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${Math.floor(this.ttlMs / 1_000)}${secure}`,
    };
  }

  /**
   * Signs the request's session out on every instance: its id is listed in `revocations` (one
   * round trip) until the session would have expired anyway, so a copy of the cookie is refused
   * (403 `BLOCKED`, reason `SIGNED_OUT`) by the API's guard in the same call as the rate limits.
   * Answers the `Set-Cookie` value that removes the cookie; a request without a valid session
   * only gets that.
   */
  async signOut(request: SeatRushRequest, now: number): Promise<string> {
    if (!this.#revocations) {
      throw new ConfigurationError('signOut needs revocations: the request guard the API checks (api.guard)');
    }
    const value = readCookie(request.headers.cookie, this.cookieName);
    const claims = this.verify(value, now);
    if (claims) {
      const ttlMs = claims.issuedAt + this.ttlMs - now;
      await this.#revocations.block({
        subject: `session:${claims.sessionId}`,
        reason: 'SIGNED_OUT',
        ttlMs,
        now,
      });
      this.#cache.delete(value as string);
    }
    return this.clear();
  }

  /** The `Set-Cookie` value that removes the cookie (pair it with `SeatRushHttp.revoke`). */
  clear(): string {
    return `${this.cookieName}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
  }

  /** The claims of a cookie value; null when forged, malformed or expired. */
  verify(value: string | undefined, now: number): SessionClaims | null {
    if (!value || value.length > 1_024) return null;
    const cached = this.#cache.get(value);
    if (cached && cached.until > now) return cached.claims;
    const dot = value.indexOf('.');
    if (dot <= 0) return null;
    const body = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1));
    const expected = Buffer.from(this.#mac(body));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let claims: SessionClaims;
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as SessionClaims;
    } catch {
      return null;
    }
    if (
      typeof claims?.userId !== 'string' ||
      !USER_ID.test(claims.userId) ||
      typeof claims.sessionId !== 'string' ||
      typeof claims.issuedAt !== 'number' ||
      (claims.name !== undefined && !validName(claims.name)) ||
      now - claims.issuedAt > this.ttlMs
    ) {
      return null;
    }
    if (this.#cache.size >= this.#cacheSize) this.#cache.clear();
    this.#cache.set(value, { claims, until: Math.min(now + this.#cacheMs, claims.issuedAt + this.ttlMs) });
    return claims;
  }

  /** The buyer of a request's session cookie, for `identify`; null without a valid cookie. */
  identify(request: SeatRushRequest, now: number): Buyer | null {
    const header = request.headers.cookie;
    const claims = this.verify(readCookie(header, this.cookieName), now);
    return claims ? { id: claims.userId, sessionId: claims.sessionId, cookie: true } : null;
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url');
  }
}

function validName(name: unknown): boolean {
  return typeof name === 'string' && name.length <= 128;
}

function bytesOf(secret: string | Uint8Array): Uint8Array {
  return typeof secret === 'string' ? Buffer.from(secret) : secret;
}

/**
 * Two keys from one secret (HKDF-SHA256, one label each): for a host that configures a single
 * secret, as the example's `SESSION_SECRET` was for both. Give `sessionSecret` to
 * {@link SessionCookies} and `admissionSecret` to `createSeatRushRuntime`: the same configuration
 * on every instance, and neither key forges the other's tokens. The secret: at least 32 bytes.
 */
export function separateSecrets(secret: string | Uint8Array): {
  sessionSecret: Buffer;
  admissionSecret: Buffer;
} {
  const master = bytesOf(secret);
  if (master.length < 32) throw new ConfigurationError('secret: at least 32 bytes');
  const derive = (label: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), label, 32));
  return {
    sessionSecret: derive('seatrush session cookies'),
    admissionSecret: derive('seatrush admission tokens'),
  };
}
