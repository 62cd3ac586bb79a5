import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ChallengeAnswer } from '../commands/commands';
import { ValidationError } from '../common/errors';
import { UserId } from '../common/ids';
import { validate } from '../common/validate';
import type { EventOf } from '../events/events';
import type { Challenge } from '../ports/challenge';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import type { QueueEntry, QueuePosition, WaitingRoomStore } from '../ports/waiting-room-store';
import { SaleDefinition, type SaleDefinitionInput } from '../sale/definition';
import { AdmissionRateMeter } from './admission-rate';
import type { AdmissionTokens, AdmissionTokenVerdict } from './admission-tokens';

/** What a client sends with a join, for the bot guard: where it comes from and what it answered. */
export const JoinContext = z.object({
  ip: z.string().min(1).max(64).optional(),
  /** A device fingerprint computed by the client; one device behind many accounts is suspicious. */
  deviceId: z.string().min(1).max(128).optional(),
  userAgent: z.string().max(512).optional(),
  /** `headersFingerprintOf(req.headers)`: many users sharing one header pattern look scripted. */
  headersFingerprint: z.string().min(1).max(256).optional(),
});
export type JoinContext = z.infer<typeof JoinContext>;

/** Input of {@link WaitingRoom.join}. */
export const JoinInput = z.object({
  userId: UserId,
  context: JoinContext.optional(),
  challenge: ChallengeAnswer.optional(),
});
export type JoinInput = z.infer<typeof JoinInput>;

/** What the guard is asked about one join. */
export interface JoinGuardRequest extends JoinInput {
  saleId: string;
  now: number;
}

/** The guard's answer: let the user in, or refuse with a stable code (and maybe a challenge). */
export type JoinGuardVerdict =
  | { allowed: true }
  | { allowed: false; code: string; message?: string; retryAfterMs?: number; challenge?: Challenge };

/**
 * A hook run before a user joins: the bot guard (blocklist, request-pattern and device rules,
 * proof-of-work challenge) plugs in here. A refusal keeps the user out of the queue.
 */
export type JoinGuard = (request: JoinGuardRequest) => Promise<JoinGuardVerdict>;

/** How long until a waiting user is admitted, and what the estimate is based on. */
export interface WaitEstimate {
  /** Milliseconds; 0 when admitted; null when it cannot be told (admission is not moving). */
  etaMs: number | null;
  /** `measured`: from the serving counter's movement; `configured`: the sale's rate, before any measure. */
  basis: 'measured' | 'configured';
}

/** A user's view of the waiting room. */
export interface WaitingStatus extends QueuePosition {
  saleId: string;
  estimate: WaitEstimate;
  /** When ADMITTED: the signed token the client presents to reserve. */
  admissionToken?: string;
}

/** The answer of {@link WaitingRoom.join}. */
export type JoinOutcome =
  | { ok: true; alreadyJoined: boolean; status: WaitingStatus }
  | {
      ok: false;
      /** The guard's code, e.g. BLOCKED, CHALLENGE_REQUIRED, RATE_LIMITED. */
      code: string;
      message?: string;
      retryAfterMs?: number;
      challenge?: Challenge;
    };

/** A user admitted by a tick, with the token the client needs. */
export interface AdmittedUser extends QueueEntry {
  admissionToken: string;
}

/** What one admission tick did. */
export interface TickReport {
  /** Why nothing was admitted, if the tick was skipped. */
  skipped?: 'NOT_OPEN' | 'PAUSED';
  admitted: AdmittedUser[];
  evicted: string[];
  servedUpTo: number;
  active: number;
  /** Set when the UserAdmitted events could not be published (the admissions stand). */
  publishError?: unknown;
}

/**
 * The one value broadcast to every watcher after a change: each client computes its own position
 * as `myTicket − servedUpTo`, so the server never runs one rank query per user per second.
 */
export interface QueueBroadcast {
  saleId: string;
  servedUpTo: number;
  waiting: number;
  active: number;
  /** Measured admissions per second, or null before a measure exists. */
  admittedPerSecond: number | null;
  at: number;
}

/** Options of {@link WaitingRoom}. */
export interface WaitingRoomOptions {
  sale: SaleDefinitionInput;
  store: WaitingRoomStore;
  tokens: AdmissionTokens;
  clock: Clock;
  /** Receives a UserAdmitted event per admission; optional (a pure queue needs no bus). */
  publisher?: EventPublisher;
  /** Bot defence run before a join; every join is allowed without one. */
  guard?: JoinGuard;
  /** The window the admission rate is measured over; default 60 s. */
  rateWindowMs?: number;
  /** At most this many silent users are evicted per tick; default 1,000. */
  evictBatch?: number;
}

const AdmissionRate = z
  .object({
    usersPerInterval: z.number().int().positive().optional(),
    maxActive: z.number().int().positive().optional(),
  })
  .refine((rate) => rate.usersPerInterval !== undefined || rate.maxActive !== undefined, {
    message: 'give usersPerInterval, maxActive or both',
  });
// The per-call inputs, built once: a zod schema costs far more to build than to run.
const StatusInput = z.object({ userId: UserId, exact: z.boolean().optional() });
const UserInput = z.object({ userId: UserId });

/**
 * A sale's virtual waiting room: users join in strict first-come order, a tick admits the first
 * `usersPerInterval` of them (never more than `maxActive` at once), and each admitted user gets a
 * signed admission token bound to them and to the sale.
 *
 * Users queue before the sale opens; admission starts at `opensAt`. The rate can be changed while
 * the sale runs, and admission can be paused.
 */
export class WaitingRoom {
  /** The validated sale. */
  readonly sale: SaleDefinition;
  private readonly meter: AdmissionRateMeter;
  private readonly listeners = new Set<(update: QueueBroadcast) => void>();
  private usersPerInterval: number;
  private maxActive: number;
  private paused = false;

  constructor(private readonly options: WaitingRoomOptions) {
    this.sale = validate('sale', SaleDefinition, options.sale);
    this.meter = new AdmissionRateMeter(options.rateWindowMs ?? 60_000);
    this.usersPerInterval = this.sale.admission.usersPerInterval;
    this.maxActive = this.sale.admission.maxActive;
  }

  /** The admission settings in force now. */
  get admissionRate(): { usersPerInterval: number; maxActive: number; intervalMs: number; paused: boolean } {
    return {
      usersPerInterval: this.usersPerInterval,
      maxActive: this.maxActive,
      intervalMs: this.sale.admission.intervalMs,
      paused: this.paused,
    };
  }

  /**
   * Puts a user in the queue, after the guard allows it. Idempotent: joining again (a refresh, a
   * second tab) keeps the original place and answers `alreadyJoined: true`.
   */
  async join(input: JoinInput): Promise<JoinOutcome> {
    const request = validate('join', JoinInput, input);
    const now = this.options.clock.now();
    if (this.options.guard) {
      const verdict = await this.options.guard({ ...request, saleId: this.sale.id, now });
      if (!verdict.allowed) {
        const { allowed: _, ...refusal } = verdict;
        return { ok: false, ...refusal };
      }
    }
    const { alreadyJoined } = await this.options.store.join({
      saleId: this.sale.id,
      userId: request.userId,
      now,
    });
    const status = await this.status({ userId: request.userId });
    // the user was evicted between the two calls: extremely unlikely, and a retry simply rejoins
    if (!status) return { ok: false, code: 'NOT_IN_ROOM', message: 'left the room while joining' };
    return { ok: true, alreadyJoined, status };
  }

  /**
   * Where a user stands: position from the serving counter (exact rank when `exact`), the wait
   * estimate from the measured admission rate, and the admission token once admitted. Null when
   * the user is not in the room (never joined, left, evicted or admission lapsed).
   */
  async status(input: { userId: string; exact?: boolean }): Promise<WaitingStatus | null> {
    const { userId, exact } = validate('status', StatusInput, input);
    const now = this.options.clock.now();
    const position = await this.options.store.position({
      saleId: this.sale.id,
      userId,
      now,
      ...(exact === undefined ? {} : { exact }),
    });
    if (!position) return null;
    this.meter.record(now, position.servedUpTo);
    if (position.state === 'ADMITTED') {
      const until = position.admittedUntil ?? now + this.sale.admission.sessionMs;
      return {
        ...position,
        saleId: this.sale.id,
        estimate: { etaMs: 0, basis: 'measured' },
        admissionToken: this.options.tokens.issue({ saleId: this.sale.id, userId, until }),
      };
    }
    const ahead = position.exactRank ?? position.ahead;
    return { ...position, saleId: this.sale.id, estimate: this.estimate(ahead) };
  }

  /** The wait for someone with `ahead` users in front, from the measured rate (or the configured one). */
  estimate(ahead: number): WaitEstimate {
    const measured = this.meter.ratePerMs();
    if (measured === null) {
      const configured = this.usersPerInterval / this.sale.admission.intervalMs;
      return { etaMs: Math.ceil((ahead + 1) / configured), basis: 'configured' };
    }
    if (measured <= 0) return { etaMs: null, basis: 'measured' };
    return { etaMs: Math.ceil((ahead + 1) / measured), basis: 'measured' };
  }

  /**
   * Keeps a user's place: a waiting user's heartbeat, an admitted user's session renewal.
   * Users silent longer than `heartbeatTimeoutMs` are evicted by the tick.
   */
  async heartbeat(input: {
    userId: string;
  }): Promise<{ ok: true; state: 'WAITING' | 'ADMITTED' } | { ok: false; code: 'NOT_IN_ROOM' }> {
    const { userId } = validate('heartbeat', UserInput, input);
    const now = this.options.clock.now();
    const saleId = this.sale.id;
    const sessionMs = this.sale.admission.sessionMs;
    if (await this.options.store.renew({ saleId, userId, sessionMs, now }))
      return { ok: true, state: 'ADMITTED' };
    if (await this.options.store.heartbeat({ saleId, userId, now })) return { ok: true, state: 'WAITING' };
    return { ok: false, code: 'NOT_IN_ROOM' };
  }

  /** Leaves the queue, or gives an admission back so the next user gets the place. */
  async leave(input: { userId: string }): Promise<{ left: boolean }> {
    const { userId } = validate('leave', UserInput, input);
    return { left: await this.options.store.leave({ saleId: this.sale.id, userId }) };
  }

  /** Checks a token presented by `userId` for this sale. */
  verifyToken(input: { userId: string; token: unknown }): AdmissionTokenVerdict {
    const { userId } = validate('verify token', UserInput, { userId: input.userId });
    return this.options.tokens.verify({
      token: input.token,
      saleId: this.sale.id,
      userId,
      now: this.options.clock.now(),
    });
  }

  /** Changes the admission rate while the sale runs; the next tick uses it. */
  setAdmissionRate(rate: { usersPerInterval?: number; maxActive?: number }): void {
    const parsed = validate('admission rate', AdmissionRate, rate);
    if (parsed.usersPerInterval !== undefined) this.usersPerInterval = parsed.usersPerInterval;
    if (parsed.maxActive !== undefined) this.maxActive = parsed.maxActive;
  }

  /** Stops admitting (joins still queue); {@link resume} starts again. */
  pause(): void {
    this.paused = true;
  }

  /** Admits again after {@link pause}. */
  resume(): void {
    this.paused = false;
  }

  /**
   * One admission tick: evicts silent waiting users, admits the next `usersPerInterval` (bounded by
   * `maxActive`), publishes a UserAdmitted event per admission and broadcasts the serving counter.
   * Run it every `intervalMs` from ONE place (the SeatRush instance that owns the loop); the store
   * makes concurrent ticks safe, but they would admit faster than the configured rate.
   */
  async tick(): Promise<TickReport> {
    const now = this.options.clock.now();
    const saleId = this.sale.id;
    const skipped = now < this.sale.opensAt ? 'NOT_OPEN' : this.paused ? 'PAUSED' : undefined;
    if (skipped) {
      const stats = await this.options.store.stats({ saleId, now });
      this.meter.record(now, stats.servedUpTo);
      return { skipped, admitted: [], evicted: [], servedUpTo: stats.servedUpTo, active: stats.active };
    }
    const evicted = await this.options.store.evictSilent({
      saleId,
      silentSince: now - this.sale.admission.heartbeatTimeoutMs,
      limit: this.options.evictBatch ?? 1_000,
    });
    const result = await this.options.store.admit({
      saleId,
      max: this.usersPerInterval,
      maxActive: this.maxActive,
      sessionMs: this.sale.admission.sessionMs,
      now,
    });
    this.meter.record(now, result.servedUpTo);
    const admitted = result.admitted.map((entry) => ({
      ...entry,
      admissionToken: this.options.tokens.issue({
        saleId,
        userId: entry.userId,
        until: entry.admittedUntil ?? now + this.sale.admission.sessionMs,
      }),
    }));
    const report: TickReport = { admitted, evicted, servedUpTo: result.servedUpTo, active: result.active };
    if (admitted.length > 0 && this.options.publisher) {
      try {
        await this.options.publisher.publish(admitted.map((entry) => this.userAdmitted(entry, now)));
      } catch (error) {
        report.publishError = error;
      }
    }
    if (admitted.length > 0 || evicted.length > 0) await this.broadcast();
    return report;
  }

  /** Reads the room's counters and sends them to every subscriber; returns what was sent. */
  async broadcast(): Promise<QueueBroadcast> {
    const now = this.options.clock.now();
    const stats = await this.options.store.stats({ saleId: this.sale.id, now });
    this.meter.record(now, stats.servedUpTo);
    const rate = this.meter.ratePerMs();
    const update: QueueBroadcast = {
      saleId: this.sale.id,
      servedUpTo: stats.servedUpTo,
      waiting: stats.waiting,
      active: stats.active,
      admittedPerSecond: rate === null ? null : rate * 1_000,
      at: now,
    };
    for (const listener of this.listeners) listener(update);
    return update;
  }

  /**
   * Calls `listener` with every broadcast (after each tick that changed something, and on
   * {@link broadcast}); the example app forwards them over Server-Sent Events. Returns an
   * unsubscribe function.
   */
  subscribe(listener: (update: QueueBroadcast) => void): () => void {
    if (typeof listener !== 'function') {
      throw new ValidationError('subscribe', [{ path: 'listener', message: 'must be a function' }]);
    }
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private userAdmitted(entry: QueueEntry, now: number): EventOf<'UserAdmitted'> {
    return {
      eventId: randomUUID(),
      type: 'UserAdmitted',
      version: 1,
      saleId: this.sale.id,
      key: entry.userId,
      occurredAt: now,
      payload: {
        userId: entry.userId,
        ticket: entry.ticket,
        until: entry.admittedUntil ?? now + this.sale.admission.sessionMs,
      },
    };
  }
}
