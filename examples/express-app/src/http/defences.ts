import { subjectOf } from '@seatrush/core/services';
import type { GuardLimit, RequestGuard } from '@seatrush/http';
import type { Request, RequestHandler } from 'express';
import type { AppMetrics } from '../ops/metrics';
import type { Platform } from '../platform/platform';
import { HttpError } from './errors';
import type { Session } from './session';

/** Requests per second allowed per IP, per signed-in user and for the whole process. */
export interface RateSettings {
  perIp: number;
  perUser: number;
  global: number;
}

/** The client's address; `trust proxy` decides whether X-Forwarded-For is believed. */
export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/** The device fingerprint the web client sends, when it looks like one. */
export function deviceFingerprint(req: Request): string | undefined {
  const value = req.get('x-device-fingerprint');
  return value && /^[A-Za-z0-9_-]{8,128}$/.test(value) ? value : undefined;
}

/**
 * The example's own routes' defences (sign-in, the checkout's and the operator's routes: the
 * package's routes have their own guard), in one wait: blocked subjects (an IP, a user, a device)
 * and the rate limits (the process-wide budget, per IP, per signed-in user) are asked together.
 * Subjects are the SDK's (`subjectOf`), the same the bot guard blocks, so a block decided by the
 * guard on a join also closes every other route; operators add blocks through their API. The
 * limits are the request guard's token buckets (one script on Redis, every bucket charged or
 * none); a block wins over a limit. A refusal answers 403 BLOCKED, or 429 with `Retry-After`.
 *
 * One wait, not one per check: at a spike each awaited store call costs a turn of a saturated
 * event loop, and sign-in is the first request of every buyer.
 */
export function defences(
  platform: Platform,
  guard: RequestGuard,
  metrics: AppMetrics,
  rates: RateSettings,
): RequestHandler {
  const limit = (scope: 'global' | 'ip' | 'user', key: string, perSecond: number): GuardLimit => ({
    scope,
    key: `app:${key}`,
    capacity: Math.max(1, Math.ceil(perSecond * 2)),
    refillPerSecond: perSecond,
  });
  return async (req, res, next) => {
    const session = res.locals.session as Session | null;
    const ip = clientIp(req);
    const subjects = [subjectOf('ip', ip)];
    if (session) subjects.push(subjectOf('user', session.userId));
    const device = deviceFingerprint(req);
    if (device) subjects.push(subjectOf('device', device));
    // the process-wide budget first (it protects the stores), then per IP, then per user
    const limits = [limit('global', 'rl:global', rates.global), limit('ip', `rl:ip:${ip}`, rates.perIp)];
    if (session) limits.push(limit('user', `rl:user:${session.userId}`, rates.perUser));
    const now = platform.now();
    const [blocks, verdict] = await Promise.all([
      Promise.all(subjects.map((subject) => platform.blocklist.check({ subject, now }))),
      guard.check({ subjects: [], limits, now }),
    ]);
    const block = blocks.find((b) => b !== null);
    if (block) {
      metrics.blocked.inc();
      throw new HttpError('BLOCKED', 'access refused', { reason: block.reason, until: block.until });
    }
    if (!verdict.ok && verdict.code === 'RATE_LIMITED') {
      const scope = verdict.scope as 'global' | 'ip' | 'user';
      metrics.rateLimited.inc({ scope });
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))));
      throw new HttpError('RATE_LIMITED', `too many requests (${scope})`, {
        scope,
        retryAfterMs: verdict.retryAfterMs,
      });
    }
    next();
  };
}
