import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ChallengeAnswer } from '../commands/commands';
import { ConfigurationError, ValidationError } from '../common/errors';
import { UserId } from '../common/ids';
import { validate } from '../common/validate';
import type { EventOf } from '../events/events';
import type { Challenge } from '../ports/challenge';
import type { Clock } from '../ports/clock';
import type { EventHandler } from '../ports/event-consumer';
import type { EventPublisher } from '../ports/event-publisher';
import { type QueueConfig, QueueingMethod, type QueueingStore } from '../ports/queueing-store';
import type { SaleControlStore } from '../ports/sale-control-store';
import type { QueueEntry, QueuePosition } from '../ports/waiting-room-store';
import { SaleDefinition, type SaleDefinitionInput } from '../sale/definition';
import { AdmissionRateMeter } from './admission-rate';
import type { AdmissionTokenRefusal, AdmissionTokens, AdmissionTokenVerdict } from './admission-tokens';
import type { InvitationRefusal, Invitations } from './invitations';
import type { QueuePasses, QueuePassRefusal } from './queue-passes';

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

/** Input of {@link WaitingRoom.join}: who joins, what the bot guard needs, and a lane invitation. */
export const JoinInput = z.object({
  userId: UserId,
  context: JoinContext.optional(),
  challenge: ChallengeAnswer.optional(),
  /** A signed invitation for the bypass or priority lane (see `Invitations`). */
  invitation: z.string().min(1).max(2048).optional(),
  /**
   * The buyer's admission token, if they hold one: a room that lost its state (a wiped Redis)
   * re-admits a buyer whose token is still valid instead of queueing them again (see
   * {@link WaitingRoom.readmit}).
   */
  admissionToken: z.string().min(1).max(2048).optional(),
  /**
   * The buyer's latest queue pass (`WaitingStatus.queuePass`), if they hold one: a room that lost
   * its state puts a waiting buyer back at their ticket instead of at the back (see
   * {@link WaitingRoom.rejoin}).
   */
  queuePass: z.string().min(1).max(2048).optional(),
});
export type JoinInput = z.infer<typeof JoinInput>;

/** What the guard is asked about one join (the invitation is the room's to check, not the guard's). */
export interface JoinGuardRequest extends Omit<JoinInput, 'invitation' | 'admissionToken' | 'queuePass'> {
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
  /**
   * When WAITING in the normal lane with a ticket: the signed queue pass the client keeps (the
   * latest one) and sends with a join after the room said it does not know them (issue 20).
   */
  queuePass?: string;
}

/** The answer of {@link WaitingRoom.join}: the user's place, the guard's refusal, or the room's. */
export type JoinOutcome =
  /**
   * `readmitted`: admitted again from the buyer's valid admission token (the room had lost them);
   * `rejoined`: back at their ticket from their valid queue pass (the room had lost them).
   */
  | { ok: true; alreadyJoined: boolean; status: WaitingStatus; readmitted?: boolean; rejoined?: boolean }
  | {
      ok: false;
      /** The guard's code, e.g. BLOCKED, CHALLENGE_REQUIRED, RATE_LIMITED (or NOT_IN_ROOM). */
      code: string;
      message?: string;
      retryAfterMs?: number;
      challenge?: Challenge;
    }
  /** A `reject`-method room takes nobody new. */
  | { ok: false; code: 'SOLD_OUT' | 'SALE_CLOSED'; message: string; retryAfterMs?: never; challenge?: never }
  /** The invitation was forged, expired, for someone else, or revoked: the buyer is told, not queued. */
  | {
      ok: false;
      code: 'INVITATION_REFUSED';
      reason: InvitationRefusal;
      message: string;
      retryAfterMs?: never;
      challenge?: never;
    };

/**
 * The answer of {@link WaitingRoom.readmit}. `readmitted` false: the room knows the buyer already
 * (nothing changed). NOT_ADMITTED: the token is not valid (`tokenRefusal` says why); ROOM_FULL:
 * `maxActive` admissions are live, try again as sessions end.
 */
export type ReadmitOutcome =
  | { ok: true; readmitted: boolean; status: WaitingStatus }
  | { ok: false; code: 'NOT_ADMITTED'; tokenRefusal: AdmissionTokenRefusal }
  | { ok: false; code: 'ROOM_FULL' };

/**
 * The answer of {@link WaitingRoom.rejoin}. `rejoined` false: the room knows the buyer already
 * (nothing changed). NOT_RESTORED: no place was restored, `reason` says why: the pass's refusal
 * (forged, expired, another user's or sale's), NOT_LOST (the room issued the pass as it is now:
 * it knows what became of the place) or SERVED (the room has served past the ticket).
 */
export type RejoinOutcome =
  | { ok: true; rejoined: boolean; status: WaitingStatus }
  | { ok: false; code: 'NOT_RESTORED'; reason: QueuePassRefusal | 'NOT_LOST' | 'SERVED' };

/** Why a session ended on purpose. */
export const SessionEndReason = z.enum(['CHECKOUT', 'CANCEL', 'LEAVE']);
export type SessionEndReason = z.infer<typeof SessionEndReason>;
const EndSessionInput = z.object({ userId: UserId, reason: SessionEndReason });

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
  /** Users who lost their place: silent past the grace period when their turn came. */
  lapsed: string[];
  /** Set on the tick that opened the pre-queue: how many were shuffled into tickets. */
  openedPreQueue?: { shuffled: number; firstTicket: number; lastTicket: number };
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
  /** The room's state, with its queueing method, pre-queue and lanes (every store implements it). */
  store: QueueingStore;
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
  /**
   * The method {@link WaitingRoom.start} sets when the room has none yet (a method switched live
   * by the operator is kept); omitted: whatever the room has (FIFO by default).
   */
  method?: QueueingMethod;
  /**
   * Arrivals before `opensAt` wait in a pre-queue and are shuffled into a random order at the
   * opening (default false: they queue FIFO).
   */
  preQueue?: boolean;
  /**
   * How long a waiting user may go silent (no heartbeat) and keep their place; past it, they lose
   * it when their turn comes. Default: the sale's `heartbeatTimeoutMs`.
   */
  graceMs?: number;
  /** Verifies bypass and priority invitations; without it, invitations are refused. */
  invitations?: Invitations;
  /**
   * Where the operator's revocations live (the shared sale-control store): a signed invitation of a
   * revoked user is refused on every instance, although its signature is still good.
   */
  revocations?: Pick<SaleControlStore, 'isInvitationRevoked'>;
  /** The code a `reject`-method room answers new arrivals with: SOLD_OUT (default) or SALE_CLOSED. */
  rejectCode?: 'SOLD_OUT' | 'SALE_CLOSED';
  /** Signs and checks queue passes; default: `tokens.queuePasses()` (the admission tokens' keys). */
  passes?: QueuePasses;
  /**
   * How long a queue pass stays valid after it is issued; default 2 hours. Every join and status
   * answer of a waiting buyer carries a fresh one, so a client that keeps the latest has a valid pass.
   */
  queuePassMs?: number;
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
const ReadmitInput = z.object({ userId: UserId, token: z.unknown() });
const RejoinInput = z.object({ userId: UserId, pass: z.unknown() });

/**
 * A sale's virtual waiting room, with the operator's controls. Users join (after the bot guard),
 * a tick admits the next `usersPerInterval` of them (never more than `maxActive` at once), and each
 * admitted user gets a signed admission token bound to them and to the sale.
 *
 * One room, one `join`: every join goes through the room's queueing method — FIFO (the default),
 * random, passthrough or reject, switchable while the sale runs ({@link setMethod}) — a scheduled
 * opening with a fairly shuffled pre-queue, and bypass/priority lanes opened only by signed
 * invitations. Sessions end at once on checkout or cancel ({@link endSession}: the next buyer gets
 * the place), and buyers who disappear lose their place after a grace period.
 *
 * Users queue before the sale opens; admission starts at `opensAt`. The rate can be changed while
 * the sale runs, and admission can be paused. The store is shared, so every API instance sees the
 * same method, pre-queue and places.
 */
export class WaitingRoom {
  /** The validated sale. */
  readonly sale: SaleDefinition;
  private readonly meter: AdmissionRateMeter;
  private readonly listeners = new Set<(update: QueueBroadcast) => void>();
  private readonly graceMs: number;
  private usersPerInterval: number;
  private maxActive: number;
  private paused = false;
  private started: Promise<QueueConfig> | undefined;
  private readonly passes: QueuePasses;
  private readonly queuePassMs: number;
  /**
   * The highest ticket counter and serving counter this instance has seen: a room that lost its
   * state (a wiped Redis) gets them back at the next join, so new joiners are not given tickets
   * of buyers coming back with their passes (see `EnterInput.ticketFloor`).
   */
  private ticketsSeen = 0;
  private servedSeen = 0;

  constructor(private readonly options: WaitingRoomOptions) {
    this.sale = validate('sale', SaleDefinition, options.sale);
    this.meter = new AdmissionRateMeter(options.rateWindowMs ?? 60_000);
    this.usersPerInterval = this.sale.admission.usersPerInterval;
    this.maxActive = this.sale.admission.maxActive;
    this.graceMs = options.graceMs ?? this.sale.admission.heartbeatTimeoutMs;
    if (!Number.isInteger(this.graceMs) || this.graceMs <= 0) {
      throw new ConfigurationError('graceMs must be a positive whole number of milliseconds');
    }
    this.passes = options.passes ?? options.tokens.queuePasses();
    this.queuePassMs = options.queuePassMs ?? 2 * 3_600_000;
    if (!Number.isInteger(this.queuePassMs) || this.queuePassMs <= 0) {
      throw new ConfigurationError('queuePassMs must be a positive whole number of milliseconds');
    }
  }

  /**
   * The room itself.
   * @deprecated `WaitingRoom` and `QueueingRoom` are one room now: use the room directly.
   */
  get room(): WaitingRoom {
    return this;
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
   * Applies the configured method and, before the opening, turns the pre-queue on. The first
   * join or tick does it if the host did not (several instances may; the pre-queue is only ever
   * turned on before `opensAt`, so a late instance never reopens it).
   */
  start(): Promise<QueueConfig> {
    const started = this.configureRoom();
    this.started = started.catch((error: unknown) => {
      // a failed start (server down) is tried again by the next join or tick
      this.started = undefined;
      throw error;
    });
    // the caller of this start gets the failure; the copy kept for later joins must not become an
    // unhandled rejection (Node ends the process on one) when no join or tick comes to await it
    this.started.catch(() => undefined);
    return started;
  }

  private ensureStarted(): Promise<unknown> {
    return this.started ?? this.start();
  }

  private async configureRoom(): Promise<QueueConfig> {
    const now = this.options.clock.now();
    const preQueue = this.options.preQueue === true && now < this.sale.opensAt ? true : undefined;
    if (this.options.method === undefined && preQueue === undefined) {
      return this.options.store.queueConfig({ saleId: this.sale.id });
    }
    return this.options.store.configure({
      saleId: this.sale.id,
      // an instance starting later (scale-out, restart) must not undo an operator's live switch
      ...(this.options.method === undefined ? {} : { method: this.options.method, keepExistingMethod: true }),
      ...(preQueue === undefined ? {} : { preQueue }),
    });
  }

  /** The room's method and pre-queue state, as every instance sees them. */
  config(): Promise<QueueConfig> {
    return this.options.store.queueConfig({ saleId: this.sale.id });
  }

  /** Switches the queueing method while the sale runs: the next join and the next tick use it. */
  async setMethod(method: QueueingMethod): Promise<QueueConfig> {
    const parsed = validate('queueing method', QueueingMethod, method);
    return this.options.store.configure({ saleId: this.sale.id, method: parsed });
  }

  /**
   * Puts a user in the room under its method: the guard first, then the invitation (if any) picks
   * the lane. Idempotent: joining again (a refresh, a second tab) keeps the original place and
   * answers `alreadyJoined: true`, even under `reject`.
   *
   * A refused invitation is answered as such rather than silently queued, so the buyer knows. A
   * passthrough or bypass join is admitted at once only while admission runs (the sale has opened
   * and the room is not paused); otherwise it queues, and an at-once admission publishes its
   * UserAdmitted event as a tick's admissions do.
   */
  async join(input: JoinInput): Promise<JoinOutcome> {
    const request = validate('join', JoinInput, input);
    await this.ensureStarted();
    const now = this.options.clock.now();
    const saleId = this.sale.id;
    if (this.options.guard) {
      const { invitation: _, admissionToken: _token, queuePass: _pass, ...guarded } = request;
      const verdict = await this.options.guard({ ...guarded, saleId, now });
      if (!verdict.allowed) {
        const { allowed: __, ...refusal } = verdict;
        return { ok: false, ...refusal };
      }
    }
    if (request.admissionToken !== undefined) {
      // a buyer the room lost (a wiped store) comes back admitted on a valid token; any other
      // answer (a token no longer valid, a full room, a buyer the room knows) joins as usual
      const back = await this.readmit({ userId: request.userId, token: request.admissionToken });
      if (back.ok && back.readmitted) {
        return { ok: true, alreadyJoined: false, readmitted: true, status: back.status };
      }
    }
    if (request.queuePass !== undefined && request.invitation === undefined) {
      // a waiting buyer the room lost comes back at their ticket on a valid pass; any other answer
      // (a pass not valid, a place the room knows it ended or served past) joins as usual
      const back = await this.rejoin({ userId: request.userId, pass: request.queuePass });
      if (back.ok && back.rejoined) {
        return { ok: true, alreadyJoined: false, rejoined: true, status: back.status };
      }
    }
    let lane: 'normal' | 'priority' | 'bypass' = 'normal';
    if (request.invitation !== undefined) {
      const verdict = this.options.invitations?.verify({
        invitation: request.invitation,
        saleId,
        userId: request.userId,
        now,
      }) ?? { ok: false as const, code: 'BAD_SIGNATURE' as const };
      const revoked =
        verdict.ok &&
        ((await this.options.revocations?.isInvitationRevoked({ saleId, userId: request.userId })) ?? false);
      if (!verdict.ok || revoked) {
        return {
          ok: false,
          code: 'INVITATION_REFUSED',
          reason: verdict.ok ? 'REVOKED' : verdict.code,
          message: 'this invitation cannot be used; join without it to queue normally',
        };
      }
      lane = verdict.claims.lane;
    }
    const result = await this.options.store.enter({
      saleId,
      userId: request.userId,
      now,
      lane,
      maxActive: this.maxActive,
      sessionMs: this.sale.admission.sessionMs,
      // a passthrough or bypass join is admitted at once only while admission runs, as a tick is
      admit: !this.paused && now >= this.sale.opensAt,
      ticketFloor: this.ticketsSeen,
      servedFloor: this.servedSeen,
    });
    if (result.outcome === 'JOINED') this.seen(result.entry.ticket, 0);
    if (result.outcome === 'JOINED' && !result.alreadyJoined && result.entry.state === 'ADMITTED') {
      // an at-once admission is an admission like a tick's: the UserAdmitted event (and the
      // host's `admitted` hook) must not depend on which path let the buyer in
      await this.admitted([result.entry], now);
    }
    if (result.outcome === 'REJECTED') {
      const code = this.options.rejectCode ?? 'SOLD_OUT';
      return {
        ok: false,
        code,
        message: code === 'SOLD_OUT' ? 'sorry, this sale is sold out' : 'this sale takes no new buyers',
      };
    }
    const status = await this.status({ userId: request.userId });
    // the user was evicted between the two calls: extremely unlikely, and a retry simply rejoins
    if (!status) return { ok: false, code: 'NOT_IN_ROOM', message: 'left the room while joining' };
    return { ok: true, alreadyJoined: result.alreadyJoined, status };
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
    this.seen(position.ticket, position.servedUpTo);
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
    const status: WaitingStatus = { ...position, saleId: this.sale.id, estimate: this.estimate(ahead) };
    if (position.lane === undefined && position.ticket > 0) {
      status.queuePass = this.passes.issue({
        saleId: this.sale.id,
        userId,
        ticket: position.ticket,
        servedUpTo: position.servedUpTo,
        lastTicket: Math.max(this.ticketsSeen, position.ticket),
        issuedAt: now,
        until: now + this.queuePassMs,
      });
    }
    return status;
  }

  /**
   * Puts a waiting buyer the room lost back at their ticket, from their signed queue pass (issue
   * 20): after the room's state was lost (a wiped Redis), a buyer whose pass is valid (HMAC-signed
   * for this sale and user, not expired) waits again at the pass's ticket in the normal lane, and
   * the room's ticket and serving counters are restored from the pass, so a new joiner never gets
   * a ticket at or below a restored one once a pass came back. Refused (NOT_RESTORED): a pass the
   * room issued as it is now (it knows the buyer left, was evicted or admitted: NOT_LOST), a ticket
   * the room has served past (SERVED: never ahead of buyers already served), a forged, expired or
   * other user's pass. A buyer the room knows is left as they are. One atomic store step.
   */
  async rejoin(input: { userId: string; pass: unknown }): Promise<RejoinOutcome> {
    const { userId, pass } = validate('rejoin', RejoinInput, input);
    const rejoin = this.options.store.rejoin?.bind(this.options.store);
    if (!rejoin) throw new ConfigurationError('this waiting-room store cannot restore places (no `rejoin`)');
    const now = this.options.clock.now();
    const verdict = this.passes.verify({ pass, saleId: this.sale.id, userId, now });
    if (!verdict.ok) return { ok: false, code: 'NOT_RESTORED', reason: verdict.code };
    const { ticket, servedUpTo, lastTicket, issuedAt } = verdict.claims;
    const result = await rejoin({
      saleId: this.sale.id,
      userId,
      ticket,
      servedUpTo,
      lastTicket,
      issuedAt,
      now,
    });
    if (result.outcome === 'NOT_LOST' || result.outcome === 'SERVED') {
      return { ok: false, code: 'NOT_RESTORED', reason: result.outcome };
    }
    this.seen(Math.max(ticket, lastTicket), 0);
    const status = await this.status({ userId });
    // gone between the two calls (left, evicted): a retry settles it
    if (!status) return { ok: false, code: 'NOT_RESTORED', reason: 'NOT_LOST' };
    return { ok: true, rejoined: result.outcome === 'REJOINED', status };
  }

  /** Remembers the highest counters seen (see {@link ticketsSeen}). */
  private seen(ticket: number, servedUpTo: number): void {
    if (ticket > this.ticketsSeen) this.ticketsSeen = ticket;
    if (servedUpTo > this.servedSeen) this.servedSeen = servedUpTo;
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
   * Keeps a user's place: a waiting user's heartbeat, an admitted user's session renewal to a full
   * `sessionMs` from now. Users silent longer than the grace period lose their place; a lapsed
   * session cannot be renewed (the place went to someone else).
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

  /**
   * Re-admits a buyer the room no longer knows, from their signed admission token: after the
   * room's state was lost (a wiped Redis, a failover that lost the last second of writes), a buyer
   * whose token is still valid (HMAC-signed for this sale and user, not expired) is admitted again
   * until the token's expiry (never past a full session from now), bounded by `maxActive` like any
   * admission. A buyer the room knows (waiting or admitted) is left as they are. A token cannot be
   * forged, so this admits nobody who was not admitted; a token lives one session at most.
   *
   * The queue itself is not rebuilt from tokens: a waiting buyer holds no token, and rejoins at the
   * back of the line (see docs/design.md, failure handling).
   */
  async readmit(input: { userId: string; token: unknown }): Promise<ReadmitOutcome> {
    const { userId, token } = validate('readmit', ReadmitInput, input);
    const readmit = this.options.store.readmit?.bind(this.options.store);
    if (!readmit) throw new ConfigurationError('this waiting-room store cannot re-admit (no `readmit`)');
    const now = this.options.clock.now();
    const verdict = this.options.tokens.verify({ token, saleId: this.sale.id, userId, now });
    if (!verdict.ok) return { ok: false, code: 'NOT_ADMITTED', tokenRefusal: verdict.code };
    const until = Math.min(verdict.claims.until, now + this.sale.admission.sessionMs);
    const result = await readmit({ saleId: this.sale.id, userId, until, maxActive: this.maxActive, now });
    if (result.outcome === 'FULL') return { ok: false, code: 'ROOM_FULL' };
    const status = await this.status({ userId });
    // gone between the two calls (left, lapsed): as for a join, a retry settles it
    if (!status) return { ok: false, code: 'ROOM_FULL' };
    return { ok: true, readmitted: result.outcome === 'READMITTED', status };
  }

  /** The same as {@link heartbeat}: keeps the session. */
  renew(input: { userId: string }) {
    return this.heartbeat(input);
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
   * Ends a session at once — checkout done, cancelled, or left — and hands the freed capacity to
   * the next buyer right away rather than at the next tick (unless admission is paused or the
   * sale has not opened). Returns whether there was a session and who got the place.
   */
  async endSession(input: { userId: string; reason: SessionEndReason }): Promise<{
    ended: boolean;
    reason: SessionEndReason;
    next: AdmittedUser[];
  }> {
    const { userId, reason } = validate('end session', EndSessionInput, input);
    const now = this.options.clock.now();
    const ended = await this.options.store.leave({ saleId: this.sale.id, userId });
    if (!ended || this.paused || now < this.sale.opensAt) return { ended, reason, next: [] };
    const step = await this.options.store.admitNext({
      saleId: this.sale.id,
      max: 1,
      maxActive: this.maxActive,
      sessionMs: this.sale.admission.sessionMs,
      now,
      silentSince: now - this.graceMs,
    });
    const next = await this.admitted(step.admitted, now);
    if (next.length > 0) await this.broadcast();
    return { ended, reason, next };
  }

  /**
   * An event handler that ends a buyer's session as soon as their reservation is confirmed
   * (checkout done): subscribe it to `ReservationConfirmed` on the bus, and the capacity goes to
   * the next buyer without waiting for the session to lapse. Idempotent: a replayed event finds
   * no session and changes nothing. Events of other sales are ignored.
   */
  sessionEnder(): EventHandler {
    return {
      handle: async (event) => {
        if (event.type !== 'ReservationConfirmed' || event.saleId !== this.sale.id) return;
        await this.endSession({ userId: event.payload.userId, reason: 'CHECKOUT' });
      },
    };
  }

  /**
   * One admission tick: at the opening, shuffles the pre-queue into tickets (atomically, in the
   * store); then admits the next `usersPerInterval` under the room's method (bounded by
   * `maxActive`), dropping users silent past the grace period when their turn comes, evicts other
   * silent users, publishes a UserAdmitted event per admission and broadcasts the serving counter.
   * Run it every `intervalMs` from ONE place (the SeatRush instance that owns the loop); the store
   * makes concurrent ticks safe, but they would admit faster than the configured rate.
   */
  async tick(): Promise<TickReport> {
    await this.ensureStarted();
    const now = this.options.clock.now();
    const saleId = this.sale.id;
    const skipped = now < this.sale.opensAt ? 'NOT_OPEN' : this.paused ? 'PAUSED' : undefined;
    const report: TickReport = { admitted: [], evicted: [], lapsed: [], servedUpTo: 0, active: 0 };
    if (!skipped || skipped === 'PAUSED') {
      // the opening happens even while paused: the order is fixed at opensAt, whatever the rate
      const opened = await this.options.store.openPreQueue({ saleId, now });
      if (opened.opened) {
        report.openedPreQueue = {
          shuffled: opened.shuffled,
          firstTicket: opened.firstTicket,
          lastTicket: opened.lastTicket,
        };
      }
    }
    if (skipped) {
      const stats = await this.options.store.stats({ saleId, now });
      this.meter.record(now, stats.servedUpTo);
      this.seen(stats.lastTicket, stats.servedUpTo);
      return { ...report, skipped, servedUpTo: stats.servedUpTo, active: stats.active };
    }
    const silentSince = now - this.graceMs;
    const step = await this.options.store.admitNext({
      saleId,
      max: this.usersPerInterval,
      maxActive: this.maxActive,
      sessionMs: this.sale.admission.sessionMs,
      now,
      silentSince,
    });
    this.meter.record(now, step.servedUpTo);
    this.seen(0, step.servedUpTo);
    report.lapsed = step.lapsed;
    report.evicted = await this.options.store.evictSilent({
      saleId,
      silentSince,
      limit: this.options.evictBatch ?? 1_000,
    });
    report.servedUpTo = step.servedUpTo;
    report.active = step.active;
    report.admitted = step.admitted.map((entry) => this.withToken(entry, now));
    if (report.admitted.length > 0 && this.options.publisher) {
      try {
        await this.options.publisher.publish(report.admitted.map((entry) => this.userAdmitted(entry, now)));
      } catch (error) {
        // the admissions stand; the report says the events are missing
        report.publishError = error;
      }
    }
    if (
      report.admitted.length > 0 ||
      report.evicted.length > 0 ||
      report.lapsed.length > 0 ||
      report.openedPreQueue
    ) {
      await this.broadcast();
    }
    return report;
  }

  /** Reads the room's counters and sends them to every subscriber; returns what was sent. */
  async broadcast(): Promise<QueueBroadcast> {
    const now = this.options.clock.now();
    const stats = await this.options.store.stats({ saleId: this.sale.id, now });
    this.meter.record(now, stats.servedUpTo);
    this.seen(stats.lastTicket, stats.servedUpTo);
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

  private async admitted(entries: QueueEntry[], now: number): Promise<AdmittedUser[]> {
    const users = entries.map((entry) => this.withToken(entry, now));
    if (users.length > 0 && this.options.publisher) {
      // the admission stands even when the event cannot be published; the tick's report says so
      await this.options.publisher
        .publish(users.map((entry) => this.userAdmitted(entry, now)))
        .catch(() => {});
    }
    return users;
  }

  private withToken(entry: QueueEntry, now: number): AdmittedUser {
    return {
      ...entry,
      admissionToken: this.options.tokens.issue({
        saleId: this.sale.id,
        userId: entry.userId,
        until: entry.admittedUntil ?? now + this.sale.admission.sessionMs,
      }),
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
