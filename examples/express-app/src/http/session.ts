import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { HttpError } from './errors';

/** Who a request comes from, as the signed session cookie says. */
export interface Session {
  /** Made by the server at login: a client can never choose it. */
  userId: string;
  /** Display name typed at the demo login. */
  name: string;
  /** When the session was issued (ms since the epoch). */
  issuedAt: number;
}

/** The session cookie's name. */
export const SESSION_COOKIE = 'sr_session';
const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/**
 * A session cookie signed with HMAC-SHA256: `base64url(json).base64url(mac)`. Stateless, so any
 * instance behind a load balancer can check it with the shared secret.
 */
export class SessionCodec {
  readonly #secret: Buffer;

  constructor(secret: string) {
    this.#secret = Buffer.from(secret);
  }

  /** A new session for `name`, with a fresh random user id. */
  issue(name: string, now: number): { session: Session; cookie: string } {
    const session: Session = { userId: `u-${randomBytes(9).toString('base64url')}`, name, issuedAt: now };
    const body = Buffer.from(JSON.stringify(session)).toString('base64url');
    return { session, cookie: `${body}.${this.#mac(body)}` };
  }

  /** The session in a cookie value, or null when it is forged, malformed or too old. */
  read(value: string | undefined, now: number): Session | null {
    if (!value) return null;
    const dot = value.indexOf('.');
    if (dot <= 0) return null;
    const body = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1));
    const expected = Buffer.from(this.#mac(body));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const session = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Session;
      if (typeof session.userId !== 'string' || typeof session.issuedAt !== 'number') return null;
      if (now - session.issuedAt > SESSION_TTL_MS) return null;
      return session;
    } catch {
      return null;
    }
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#secret).update(body).digest('base64url');
  }
}

/** Reads one cookie from a request's `Cookie` header (the app needs no cookie library for one). */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * Sets the session cookie: HttpOnly (no script reads it), SameSite=Lax (no cross-site POST) and
 * Secure whenever the request came over HTTPS.
 */
export function setSessionCookie(res: Response, cookie: string, secure: boolean): void {
  res.setHeader(
    'Set-Cookie',
    `${SESSION_COOKIE}=${encodeURIComponent(cookie)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_TTL_MS / 1000}${secure ? '; Secure' : ''}`,
  );
}

/** Ends the session in the browser (sign-out). */
export function clearSessionCookie(res: Response): void {
  res.setHeader('Set-Cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
}

/** Attaches `res.locals.session` when the cookie is valid. */
export function sessionReader(codec: SessionCodec, now: () => number): RequestHandler {
  return (req, res, next) => {
    res.locals.session = codec.read(readCookie(req, SESSION_COOKIE), now());
    next();
  };
}

/** The signed-in user; 401 `UNAUTHENTICATED` otherwise. Identity never comes from the body. */
export function sessionOf(res: Response): Session {
  const session = res.locals.session as Session | null | undefined;
  if (!session) throw new HttpError('UNAUTHENTICATED', 'sign in first (POST /api/login)');
  return session;
}
