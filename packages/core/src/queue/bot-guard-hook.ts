import type { BotGuard } from '../bot/bot-guard';
import type { JoinGuard } from './waiting-room';

/**
 * Plugs a `BotGuard` in front of the waiting room. The join must carry the client's `ip` and
 * `headersFingerprint` (the guard cannot judge without them, so a join lacking them is refused
 * with CONTEXT_REQUIRED); a challenge answer travels in the join's `challenge`.
 *
 * Verdicts map to refusals the client can act on: `CHALLENGE_REQUIRED` (solve `challenge`, then
 * join again with the answer), `RATE_LIMITED` (retry after `retryAfterMs`) and `BLOCKED`.
 */
export function botGuardHook(guard: BotGuard): JoinGuard {
  return async (request) => {
    const ip = request.context?.ip;
    const headersFingerprint = request.context?.headersFingerprint;
    if (!ip || !headersFingerprint) {
      return {
        allowed: false,
        code: 'CONTEXT_REQUIRED',
        message: 'the join needs context.ip and context.headersFingerprint',
      };
    }
    const verdict = await guard.inspect({
      userId: request.userId,
      ip,
      headersFingerprint,
      now: request.now,
      ...(request.context?.deviceId ? { deviceId: request.context.deviceId } : {}),
      ...(request.context?.userAgent !== undefined ? { userAgent: request.context.userAgent } : {}),
      ...(request.challenge ? { challengeAnswer: request.challenge } : {}),
    });
    switch (verdict.verdict) {
      case 'allow':
        return { allowed: true };
      case 'challenge':
        return {
          allowed: false,
          code: 'CHALLENGE_REQUIRED',
          message: verdict.reasons.join(', '),
          challenge: verdict.challenge,
        };
      case 'block':
        return {
          allowed: false,
          code: verdict.reason === 'RATE_LIMITED' ? 'RATE_LIMITED' : 'BLOCKED',
          message: verdict.reason,
          retryAfterMs: Math.max(0, verdict.until - request.now),
        };
    }
  };
}
