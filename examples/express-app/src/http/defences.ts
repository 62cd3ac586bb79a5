import type { RateLimitPolicy } from '@seatrush/core';
import { subjectOf } from '@seatrush/core/services';
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

/** A token bucket allowing `perSecond` steadily with bursts of twice that. */
function bucket(perSecond: number): RateLimitPolicy {
  return {
    kind: 'token-bucket',
    capacity: Math.max(1, Math.ceil(perSecond * 2)),
    refillPerSecond: perSecond,
  };
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
 * Refuses requests from blocked subjects (an IP, a user, a device), before any other work.
 * Subjects are the SDK's (`subjectOf`), the same the bot guard blocks, so a block decided by
 * the guard on a join also closes every other route; operators add blocks through their API.
 */
export function blocklistCheck(platform: Platform, metrics: AppMetrics): RequestHandler {
  return async (req, res, next) => {
    const session = res.locals.session as Session | null;
    const subjects = [subjectOf('ip', clientIp(req))];
    if (session) subjects.push(subjectOf('user', session.userId));
    const device = deviceFingerprint(req);
    if (device) subjects.push(subjectOf('device', device));
    const now = platform.now();
    for (const subject of subjects) {
      const block = await platform.blocklist.check({ subject, now });
      if (block) {
        metrics.blocked.inc();
        throw new HttpError('BLOCKED', 'access refused', { reason: block.reason, until: block.until });
      }
    }
    next();
  };
}

/**
 * Rate limits in front of the routes: the process-wide budget first (it protects the stores),
 * then per IP, then per signed-in user. A refusal answers 429 with `Retry-After`.
 */
export function rateLimits(platform: Platform, metrics: AppMetrics, rates: RateSettings): RequestHandler {
  const policies = { global: bucket(rates.global), ip: bucket(rates.perIp), user: bucket(rates.perUser) };
  return async (req, res, next) => {
    const session = res.locals.session as Session | null;
    const checks: Array<[scope: 'global' | 'ip' | 'user', key: string]> = [
      ['global', 'rl:global'],
      ['ip', `rl:ip:${clientIp(req)}`],
    ];
    if (session) checks.push(['user', `rl:user:${session.userId}`]);
    const now = platform.now();
    for (const [scope, key] of checks) {
      const decision = await platform.rateLimiter.consume({ key, policy: policies[scope], now });
      if (!decision.allowed) {
        metrics.rateLimited.inc({ scope });
        res.setHeader('Retry-After', String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))));
        throw new HttpError('RATE_LIMITED', `too many requests (${scope})`, {
          scope,
          retryAfterMs: decision.retryAfterMs,
        });
      }
    }
    next();
  };
}
