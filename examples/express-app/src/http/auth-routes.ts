import { z } from '@seatrush/core/ports';
import { Router } from 'express';
import { type DemoSessions, type Session, sessionOf } from './session';
import { parse } from './validate';

const LoginBody = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'name is required')
      .max(40)
      .regex(/^[^<>]*$/, 'no angle brackets'),
  })
  .strict();

/**
 * The demo login: any name signs in, and the server makes the user id. A real host plugs its own
 * identity provider in here; what matters is that identity comes from a signed cookie the server
 * issued, never from an id the client sends.
 */
export function authRoutes(sessions: DemoSessions, now: () => number): Router {
  const router = Router();

  router.post('/login', (req, res) => {
    const { name } = parse('login', LoginBody, req.body ?? {});
    const { session, setCookie } = sessions.issue(name, now(), req.secure);
    res.setHeader('Set-Cookie', setCookie);
    res.status(201).json({ user: { id: session.userId, name: session.name } });
  });

  // the session is revoked, not only forgotten by this browser: a copy of the cookie is refused
  // from now on (403 SIGNED_OUT on the API's routes, signed out on the app's own)
  router.post('/logout', async (req, res) => {
    res.setHeader('Set-Cookie', await sessions.cookies.signOut(req, now()));
    res.status(204).end();
  });

  // the page's first question, answered 200 either way: not being signed in yet is an expected
  // state, and a 401 would show in the browser's console as an error (`/me` still answers 401)
  router.get('/session', (_req, res) => {
    const session = res.locals.session as Session | null | undefined;
    res.json({ user: session ? { id: session.userId, name: session.name } : null });
  });

  router.get('/me', (_req, res) => {
    const session = sessionOf(res);
    res.json({ user: { id: session.userId, name: session.name } });
  });

  return router;
}
