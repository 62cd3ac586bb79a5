import { z } from 'zod';
import { EpochMs, UserId } from '../common/ids';
import { validate } from '../common/validate';
import { MemoryRecentActivityStore } from '../memory/recent-activity-store';
import type { Blocklist } from '../ports/blocklist';
import type { Challenge, ChallengeProvider } from '../ports/challenge';
import type { RateLimiter } from '../ports/rate-limiter';
import type { RecentActivityStore } from '../ports/recent-activity-store';
import type { RateLimitPolicy } from '../sale/definition';
import {
  type BotGuardOptionsInput,
  type BotGuardSettings,
  parseBotGuardOptions,
  type SuspicionAction,
} from './options';
import { activityKeyOf, subjectOf } from './subjects';

/** What the guard looks at: who asks, from where, with what. */
export const BotRequest = z.strictObject({
  userId: UserId,
  /** The client's address as the host determined it (behind a proxy: from X-Forwarded-For). */
  ip: z.string().min(1).max(64),
  /** A client-side device fingerprint, when the host collects one. */
  deviceId: z.string().min(1).max(256).optional(),
  /** The User-Agent header; absent or empty when the client sent none. */
  userAgent: z.string().max(1024).optional(),
  /** `headersFingerprintOf(headers)` or the host's own header fingerprint. */
  headersFingerprint: z.string().min(1).max(256),
  /** The answer to a challenge the guard issued earlier (e.g. `JoinQueueCommand.challenge`). */
  challengeAnswer: z
    .strictObject({ challengeId: z.string().min(1).max(128), answer: z.string().max(256) })
    .optional(),
  now: EpochMs,
});
export type BotRequest = z.infer<typeof BotRequest>;

/** Why a request was blocked. */
export type BlockReason =
  /** A block already in force on the user, the IP or the device (`until` is when it ends). */
  | 'BLOCKLISTED'
  /** Abnormally fast repeats from one user or one IP. */
  | 'TOO_FAST'
  /** One device behind more accounts than allowed. */
  | 'DEVICE_SHARED'
  /** Over a rate-limit policy; `until` is when a retry may pass. Not written to the blocklist. */
  | 'RATE_LIMITED'
  /** No user agent, with `userAgent.onMissing: 'block'`. */
  | 'MISSING_USER_AGENT'
  /** A tool's user agent, with `userAgent.onSuspicious: 'block'`. */
  | 'SUSPICIOUS_USER_AGENT'
  /** A header pattern shared by too many users, with `headers.action: 'block'`. */
  | 'SHARED_HEADERS'
  /** More wrong challenge answers than `challenge.maxFailures` within its window. */
  | 'CHALLENGE_FAILED';

/** A sign that earns a challenge. */
export type ChallengeReason =
  | 'MISSING_USER_AGENT'
  | 'SUSPICIOUS_USER_AGENT'
  | 'SHARED_HEADERS'
  | 'ALWAYS'
  /** The request carried an answer, and it was wrong, expired or not this user's. */
  | 'WRONG_ANSWER';

/** A suspicious sign a request can show; each is configured to allow, challenge or block. */
type Sign = 'MISSING_USER_AGENT' | 'SUSPICIOUS_USER_AGENT' | 'SHARED_HEADERS';

/** The guard's answer. */
export type BotVerdict =
  | { verdict: 'allow' }
  | { verdict: 'challenge'; challenge: Challenge; reasons: ChallengeReason[] }
  | { verdict: 'block'; reason: BlockReason; until: number };

const AnswerInput = z.strictObject({
  userId: UserId,
  challengeId: z.string().min(1).max(128),
  answer: z.string().max(256),
  now: EpochMs,
});

/** The ports the guard works through. */
export interface BotGuardPorts {
  blocklist: Blocklist;
  rateLimiter: RateLimiter;
  challenges: ChallengeProvider;
  /**
   * Where the pattern rules remember recent requests. Default: bounded memory of this process
   * (`maxTrackedSubjects` keys per rule); several instances share a Redis store, so a bot spread
   * over them is counted whole.
   */
  activity?: RecentActivityStore;
}

/**
 * Bot and macro defence (docs/design.md §Traffic control and bot defence) in front of the waiting
 * room and the hot path.
 * `inspect` answers, in this order:
 * 1. `block` when the user, the IP or the device is on the blocklist;
 * 2. `block` (written to the blocklist with a TTL) for a device behind too many accounts, or a
 *    user or IP repeating abnormally fast;
 * 3. `block` until the retry time when a rate-limit policy refuses (not written: it ends by itself);
 * 4. an answer carried by the request is checked: a right one lets the user pass challenges for
 *    a while, too many wrong ones `block` the user;
 * 5. `challenge` for a missing or odd user agent, a header pattern shared by too many users, or
 *    everyone in `always` mode — unless the user solved a challenge within `challenge.passMs`;
 *    each sign can be configured to `block` or `allow` instead;
 * 6. otherwise `allow`.
 * The pattern rules remember recent requests through the RecentActivityStore port (bounded per
 * process by default, shared across instances in Redis); blocks are shared through the Blocklist
 * port, so every instance enforces a block any instance decided. A failed store rejects with
 * `InfrastructureError` (answer 503): the guard never lets a request through unjudged.
 */
export class BotGuard {
  readonly settings: BotGuardSettings;
  readonly #ports: BotGuardPorts;
  readonly #activity: RecentActivityStore;
  /** The default in-process memory, when no store was given (its sizes are what `tracked` reports). */
  readonly #ownMemory: MemoryRecentActivityStore | undefined;

  /** @throws ConfigurationError when an option is invalid. */
  constructor(ports: BotGuardPorts, options: BotGuardOptionsInput = {}) {
    this.settings = parseBotGuardOptions(options);
    this.#ports = ports;
    this.#ownMemory = ports.activity
      ? undefined
      : new MemoryRecentActivityStore({ maxKeys: this.settings.maxTrackedSubjects });
    this.#activity = ports.activity ?? (this.#ownMemory as MemoryRecentActivityStore);
  }

  /**
   * Judges one request.
   * @throws ValidationError when the request is malformed (nothing is recorded then).
   */
  async inspect(input: BotRequest): Promise<BotVerdict> {
    const request = validate('bot guard request', BotRequest, input);
    const { now } = request;
    const subjects = {
      user: subjectOf('user', request.userId),
      ip: subjectOf('ip', request.ip),
      device: request.deviceId === undefined ? undefined : subjectOf('device', request.deviceId),
    };

    const blocked = await this.#blockInForce([subjects.user, subjects.ip, subjects.device], now);
    if (blocked) return { verdict: 'block', reason: 'BLOCKLISTED', until: blocked.until };

    const pattern = await this.#recordPatterns(request, subjects);
    if ('subject' in pattern) {
      const ttlMs =
        pattern.reason === 'DEVICE_SHARED' ? this.settings.device.blockMs : this.settings.burst.blockMs;
      return this.#block(pattern.subject, pattern.reason, ttlMs, now);
    }

    const limited = await this.#rateLimited(subjects, now);
    if (limited) return limited;

    let wrongAnswer = false;
    if (request.challengeAnswer) {
      const outcome = await this.#answer(request.userId, request.challengeAnswer, now);
      if (outcome.verdict) return outcome.verdict;
      wrongAnswer = !outcome.ok;
    }
    return this.#judgeSigns(request, subjects.user, pattern.sharedHeaders, wrongAnswer);
  }

  /**
   * Checks a challenge answer for `userId`. A correct one spares the user further challenges for
   * `challenge.passMs` (blocks and rate limits still apply); more than `challenge.maxFailures`
   * wrong ones within `challenge.failureWindowMs` block the user (seen by the next `inspect`).
   * @throws ValidationError when the input is malformed.
   */
  async answerChallenge(input: {
    userId: string;
    challengeId: string;
    answer: string;
    now: number;
  }): Promise<boolean> {
    const { userId, challengeId, answer, now } = validate('challenge answer', AnswerInput, input);
    return (await this.#answer(userId, { challengeId, answer }, now)).ok;
  }

  async #answer(
    userId: string,
    { challengeId, answer }: { challengeId: string; answer: string },
    now: number,
  ): Promise<{ ok: boolean; verdict?: BotVerdict }> {
    const { challenge } = this.settings;
    const subject = subjectOf('user', userId);
    const ok = await this.#ports.challenges.verify({ subject, challengeId, answer, now });
    if (ok) {
      await this.#activity.mark({
        kind: 'challenge-passed',
        key: subject,
        until: now + challenge.passMs,
        now,
      });
      return { ok };
    }
    const failures = await this.#activity.countEvent({
      kind: 'challenge-failures',
      key: subject,
      now,
      windowMs: challenge.failureWindowMs,
      keep: challenge.maxFailures + 1,
    });
    if (failures <= challenge.maxFailures) return { ok };
    return { ok, verdict: await this.#block(subject, 'CHALLENGE_FAILED', challenge.blockMs, now) };
  }

  /**
   * Subjects each pattern rule remembers now in this process (bounded by `maxTrackedSubjects`);
   * undefined when the guard uses a shared store (whose keys expire with their windows instead).
   */
  tracked():
    | {
        users: number;
        ips: number;
        devices: number;
        headerPatterns: number;
        passed: number;
        failures: number;
      }
    | undefined {
    if (!this.#ownMemory) return undefined;
    const sizes = this.#ownMemory.tracked();
    return {
      users: sizes['user-requests'],
      ips: sizes['ip-requests'],
      devices: sizes['device-accounts'],
      headerPatterns: sizes['header-users'],
      passed: sizes['challenge-passed'],
      failures: sizes['challenge-failures'],
    };
  }

  async #blockInForce(subjects: Array<string | undefined>, now: number) {
    const found = await Promise.all(
      subjects
        .filter((s): s is string => s !== undefined)
        .map((subject) => this.#ports.blocklist.check({ subject, now })),
    );
    // the longest block wins: it is the one the client has to wait for
    return found.reduce<{ reason: string; until: number } | null>(
      (longest, block) => (block && (!longest || block.until > longest.until) ? block : longest),
      null,
    );
  }

  /** Records the request in every pattern rule (at once), then answers the first one it breaks. */
  async #recordPatterns(
    request: BotRequest,
    subjects: { user: string; ip: string; device: string | undefined },
  ): Promise<{ subject: string; reason: 'TOO_FAST' | 'DEVICE_SHARED' } | { sharedHeaders: boolean }> {
    const { burst, device, headers } = this.settings;
    const { now } = request;
    const activity = this.#activity;
    const [userRate, ipRate, accounts, sharers] = await Promise.all([
      activity.countEvent({
        kind: 'user-requests',
        key: subjects.user,
        now,
        windowMs: burst.perUser.windowMs,
        keep: burst.perUser.maxRequests + 1,
      }),
      activity.countEvent({
        kind: 'ip-requests',
        key: subjects.ip,
        now,
        windowMs: burst.perIp.windowMs,
        keep: burst.perIp.maxRequests + 1,
      }),
      subjects.device === undefined
        ? 0
        : activity.countMember({
            kind: 'device-accounts',
            key: subjects.device,
            member: request.userId,
            now,
            windowMs: device.windowMs,
            keep: device.maxAccounts + 1,
          }),
      activity.countMember({
        kind: 'header-users',
        key: activityKeyOf(request.headersFingerprint),
        member: request.userId,
        now,
        windowMs: headers.windowMs,
        keep: headers.maxUsers + 1,
      }),
    ]);
    if (subjects.device !== undefined && accounts > device.maxAccounts)
      return { subject: subjects.device, reason: 'DEVICE_SHARED' };
    if (userRate > burst.perUser.maxRequests) return { subject: subjects.user, reason: 'TOO_FAST' };
    if (ipRate > burst.perIp.maxRequests) return { subject: subjects.ip, reason: 'TOO_FAST' };
    return { sharedHeaders: sharers > headers.maxUsers };
  }

  async #block(subject: string, reason: BlockReason, ttlMs: number, now: number): Promise<BotVerdict> {
    await this.#ports.blocklist.block({ subject, reason, ttlMs, now });
    return { verdict: 'block', reason, until: now + ttlMs };
  }

  async #rateLimited(subjects: { user: string; ip: string }, now: number): Promise<BotVerdict | null> {
    const { perUser, perIp, global } = this.settings.rateLimits;
    const checks: Array<[string, RateLimitPolicy]> = [];
    if (perUser) checks.push([`bot.${subjects.user}`, perUser]);
    if (perIp) checks.push([`bot.${subjects.ip}`, perIp]);
    if (global) checks.push(['bot.global', global]);
    let retryAt: number | null = null;
    for (const [key, policy] of checks) {
      const decision = await this.#ports.rateLimiter.consume({ key, policy, now });
      if (!decision.allowed) retryAt = Math.max(retryAt ?? now, now + decision.retryAfterMs);
    }
    return retryAt === null ? null : { verdict: 'block', reason: 'RATE_LIMITED', until: retryAt };
  }

  async #judgeSigns(
    request: BotRequest,
    userSubject: string,
    sharedHeaders: boolean,
    wrongAnswer: boolean,
  ): Promise<BotVerdict> {
    const { userAgent, headers, challenge } = this.settings;
    const signs: Array<[Sign, SuspicionAction]> = [];
    const agent = request.userAgent?.trim() ?? '';
    if (agent === '') signs.push(['MISSING_USER_AGENT', userAgent.onMissing]);
    else if (isOdd(agent, userAgent.suspicious, userAgent.minLength))
      signs.push(['SUSPICIOUS_USER_AGENT', userAgent.onSuspicious]);
    if (sharedHeaders) signs.push(['SHARED_HEADERS', headers.action]);

    const blocking = signs.find(([, action]) => action === 'block');
    if (blocking) return this.#block(userSubject, blocking[0], this.settings.burst.blockMs, request.now);

    const reasons: ChallengeReason[] = signs
      .filter(([, action]) => action === 'challenge')
      .map(([sign]) => sign);
    if (challenge.mode === 'always') reasons.push('ALWAYS');
    if (reasons.length === 0) return { verdict: 'allow' };
    const passed = await this.#activity.isMarked({
      kind: 'challenge-passed',
      key: userSubject,
      now: request.now,
    });
    if (passed) return { verdict: 'allow' };
    if (wrongAnswer) reasons.push('WRONG_ANSWER');
    const issued = await this.#ports.challenges.issue({ subject: userSubject, now: request.now });
    return { verdict: 'challenge', challenge: issued, reasons };
  }
}

function isOdd(agent: string, suspicious: readonly string[], minLength: number): boolean {
  if (agent.length < minLength) return true;
  const lower = agent.toLowerCase();
  return suspicious.some((needle) => lower.includes(needle.toLowerCase()));
}
