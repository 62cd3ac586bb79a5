import { randomBytes } from 'node:crypto';
import { type RequestGuard, readCookie, type SessionCookies } from '@seatrush/http';
import type { Request, RequestHandler, Response } from 'express';
import { HttpError } from './errors';

/** Who a request comes from, as the signed session cookie says. */
export interface Session {
  /** Made by the server at login: a client can never choose it. */
  userId: string;
  /** Display name typed at the demo login. */
  name: string;
  /** One per sign-in: what logout revokes. */
  sessionId: string;
  /** When the session was issued (ms since the epoch). */
  issuedAt: number;
}

/**
 * The demo login's session: `@seatrush/http`'s signed cookie (`SessionCookies`, under the session
 * key `separateSecrets` derives from `SESSION_SECRET`), with a server-made user id and the typed
 * name. Stateless, so any instance checks it; a signed-out one is listed in the API's request
 * guard until it would have expired, and refused there.
 */
export class DemoSessions {
  constructor(
    readonly cookies: SessionCookies,
    readonly revocations: RequestGuard,
  ) {}

  /** A new session for `name`, with a fresh random user id; its `Set-Cookie` value. */
  issue(name: string, now: number, secure: boolean): { session: Session; setCookie: string } {
    const userId = `u-${randomBytes(9).toString('base64url')}`;
    const { claims, setCookie } = this.cookies.issue(userId, now, { secure, name });
    return { session: { ...claims, name }, setCookie };
  }

  /** The request's session, or null when the cookie is forged, malformed, too old or signed out. */
  async read(req: Request, now: number): Promise<Session | null> {
    const claims = this.cookies.verify(readCookie(req.headers.cookie, this.cookies.cookieName), now);
    if (!claims) return null;
    const verdict = await this.revocations.check({
      subjects: [`session:${claims.sessionId}`],
      limits: [],
      now,
    });
    return verdict.ok ? { ...claims, name: claims.name ?? '' } : null;
  }
}

/** Attaches `res.locals.session` when the cookie is valid and not signed out. */
export function sessionReader(sessions: DemoSessions, now: () => number): RequestHandler {
  return (req, res, next) => {
    sessions.read(req, now()).then((session) => {
      res.locals.session = session;
      next();
    }, next);
  };
}

/** The signed-in user; 401 `UNAUTHENTICATED` otherwise. Identity never comes from the body. */
export function sessionOf(res: Response): Session {
  const session = res.locals.session as Session | null | undefined;
  if (!session) throw new HttpError('UNAUTHENTICATED', 'sign in first (POST /api/login)');
  return session;
}
