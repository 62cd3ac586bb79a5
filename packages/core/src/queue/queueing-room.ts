import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ChallengeAnswer } from '../commands/commands';
import { ConfigurationError } from '../common/errors';
import { UserId } from '../common/ids';
import { validate } from '../common/validate';
import type { EventOf } from '../events/events';
import type { EventHandler } from '../ports/event-consumer';
import { type QueueConfig, QueueingMethod, type QueueingStore } from '../ports/queueing-store';
import type { SaleControlStore } from '../ports/sale-control-store';
import type { QueueEntry } from '../ports/waiting-room-store';
import type { AdmissionTokenVerdict } from './admission-tokens';
import type { InvitationRefusal, Invitations } from './invitations';
import {
  type AdmittedUser,
  JoinContext,
  type JoinOutcome,
  type QueueBroadcast,
  type TickReport,
  WaitingRoom,
  type WaitingRoomOptions,
  type WaitingStatus,
} from './waiting-room';

/** Options of {@link QueueingRoom}: a {@link WaitingRoom}'s, over a {@link QueueingStore}. */
export interface QueueingRoomOptions extends Omit<WaitingRoomOptions, 'store'> {
  store: QueueingStore;
  /**
   * The method {@link QueueingRoom.start} sets when the room has none yet (a method switched live
   * by the operator is kept); omitted: whatever the room has (FIFO by default).
   */
  method?: QueueingMethod;
  /**
   * Arrivals before `opensAt` wait in a pre-queue and are shuffled into a random order at the
   * opening (default false: they queue FIFO, as the base waiting room does).
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
}

/** Input of {@link QueueingRoom.join}: a base join plus an optional lane invitation. */
export const QueueingJoinInput = z.object({
  userId: UserId,
  context: JoinContext.optional(),
  challenge: ChallengeAnswer.optional(),
  /** A signed invitation for the bypass or priority lane (see `Invitations`). */
  invitation: z.string().min(1).max(2048).optional(),
});
export type QueueingJoinInput = z.infer<typeof QueueingJoinInput>;

/** The answer of {@link QueueingRoom.join}: the base outcomes, plus the room's own refusals. */
export type QueueingJoinOutcome =
  | JoinOutcome
  | { ok: false; code: 'SOLD_OUT' | 'SALE_CLOSED'; message: string }
  | { ok: false; code: 'INVITATION_REFUSED'; reason: InvitationRefusal; message: string };

/** Why a session ended on purpose. */
export const SessionEndReason = z.enum(['CHECKOUT', 'CANCEL', 'LEAVE']);
export type SessionEndReason = z.infer<typeof SessionEndReason>;
const EndSessionInput = z.object({ userId: UserId, reason: SessionEndReason });

/** A {@link QueueingRoom.tick} report: the base one plus the pre-queue opening and lapsed places. */
export interface QueueingTickReport extends TickReport {
  /** Set on the tick that opened the pre-queue: how many were shuffled into tickets. */
  openedPreQueue?: { shuffled: number; firstTicket: number; lastTicket: number };
  /** Users who lost their place: silent past the grace period when their turn came. */
  lapsed: string[];
}

/**
 * A waiting room with the operator's controls: queueing method (FIFO, random, passthrough,
 * reject) switchable while the sale runs, a scheduled opening with a fairly shuffled pre-queue,
 * sessions that end at once on checkout or cancel (the next buyer gets the place), a grace period
 * for buyers who disappear, and bypass/priority lanes opened only by signed invitations.
 *
 * Positions, ETAs, admission tokens, heartbeats, broadcasts and the admission rate are the base
 * {@link WaitingRoom}'s (exposed as {@link room}); the store is shared, so every API instance sees
 * the same method and pre-queue.
 */
export class QueueingRoom {
  /** The base room over the same store: status, heartbeat, tokens, broadcasts, rate, pause. */
  readonly room: WaitingRoom;
  private readonly graceMs: number;
  private started: Promise<QueueConfig> | undefined;

  constructor(private readonly options: QueueingRoomOptions) {
    this.room = new WaitingRoom(options);
    this.graceMs = options.graceMs ?? this.room.sale.admission.heartbeatTimeoutMs;
    if (!Number.isInteger(this.graceMs) || this.graceMs <= 0) {
      throw new ConfigurationError('graceMs must be a positive whole number of milliseconds');
    }
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
    const preQueue = this.options.preQueue === true && now < this.room.sale.opensAt ? true : undefined;
    if (this.options.method === undefined && preQueue === undefined) {
      return this.options.store.queueConfig({ saleId: this.room.sale.id });
    }
    return this.options.store.configure({
      saleId: this.room.sale.id,
      // an instance starting later (scale-out, restart) must not undo an operator's live switch
      ...(this.options.method === undefined ? {} : { method: this.options.method, keepExistingMethod: true }),
      ...(preQueue === undefined ? {} : { preQueue }),
    });
  }

  /** The room's method and pre-queue state, as every instance sees them. */
  config(): Promise<QueueConfig> {
    return this.options.store.queueConfig({ saleId: this.room.sale.id });
  }

  /** Switches the queueing method while the sale runs: the next join and the next tick use it. */
  async setMethod(method: QueueingMethod): Promise<QueueConfig> {
    const parsed = validate('queueing method', QueueingMethod, method);
    return this.options.store.configure({ saleId: this.room.sale.id, method: parsed });
  }

  /**
   * Joins under the room's method: the guard first, then the invitation (if any) picks the lane.
   * A refused invitation is answered as such rather than silently queued, so the buyer knows.
   * A passthrough or bypass join is admitted at once only while admission runs (the sale has
   * opened and the room is not paused); otherwise it queues, and an at-once admission publishes
   * its UserAdmitted event as a tick's admissions do.
   */
  async join(input: QueueingJoinInput): Promise<QueueingJoinOutcome> {
    const request = validate('join', QueueingJoinInput, input);
    await this.ensureStarted();
    const now = this.options.clock.now();
    const saleId = this.room.sale.id;
    if (this.options.guard) {
      const { invitation: _, ...guarded } = request;
      const verdict = await this.options.guard({ ...guarded, saleId, now });
      if (!verdict.allowed) {
        const { allowed: __, ...refusal } = verdict;
        return { ok: false, ...refusal };
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
    const { maxActive, paused } = this.room.admissionRate;
    const result = await this.options.store.enter({
      saleId,
      userId: request.userId,
      now,
      lane,
      maxActive,
      sessionMs: this.room.sale.admission.sessionMs,
      // a passthrough or bypass join is admitted at once only while admission runs, as a tick is
      admit: !paused && now >= this.room.sale.opensAt,
    });
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
    const status = await this.room.status({ userId: request.userId });
    if (!status) return { ok: false, code: 'NOT_IN_ROOM', message: 'left the room while joining' };
    return { ok: true, alreadyJoined: result.alreadyJoined, status };
  }

  /** Where a user stands (see {@link WaitingRoom.status}). */
  status(input: { userId: string; exact?: boolean }): Promise<WaitingStatus | null> {
    return this.room.status(input);
  }

  /**
   * Keeps the session: a waiting user's heartbeat, or an admitted user's renewal to a full
   * `sessionMs` from now. A lapsed session cannot be renewed (the place went to someone else).
   */
  renew(input: { userId: string }) {
    return this.room.heartbeat(input);
  }

  /** Checks an admission token (see {@link WaitingRoom.verifyToken}). */
  verifyToken(input: { userId: string; token: unknown }): AdmissionTokenVerdict {
    return this.room.verifyToken(input);
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
    const ended = await this.options.store.leave({ saleId: this.room.sale.id, userId });
    const rate = this.room.admissionRate;
    if (!ended || rate.paused || now < this.room.sale.opensAt) return { ended, reason, next: [] };
    const step = await this.options.store.admitNext({
      saleId: this.room.sale.id,
      max: 1,
      maxActive: rate.maxActive,
      sessionMs: this.room.sale.admission.sessionMs,
      now,
      silentSince: now - this.graceMs,
    });
    const next = await this.admitted(step.admitted, now);
    if (next.length > 0) await this.room.broadcast();
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
        if (event.type !== 'ReservationConfirmed' || event.saleId !== this.room.sale.id) return;
        await this.endSession({ userId: event.payload.userId, reason: 'CHECKOUT' });
      },
    };
  }

  /**
   * One admission tick: at the opening, shuffles the pre-queue into tickets (atomically, in the
   * store); then admits the next `usersPerInterval` under the room's method (bounded by
   * `maxActive`), dropping users silent past the grace period when their turn comes, evicts other
   * silent users, publishes UserAdmitted events and broadcasts. Run it from one place per sale.
   */
  async tick(): Promise<QueueingTickReport> {
    await this.ensureStarted();
    const now = this.options.clock.now();
    const saleId = this.room.sale.id;
    const rate = this.room.admissionRate;
    const skipped = now < this.room.sale.opensAt ? 'NOT_OPEN' : rate.paused ? 'PAUSED' : undefined;
    const report: QueueingTickReport = { admitted: [], evicted: [], lapsed: [], servedUpTo: 0, active: 0 };
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
      return { ...report, skipped, servedUpTo: stats.servedUpTo, active: stats.active };
    }
    const silentSince = now - this.graceMs;
    const step = await this.options.store.admitNext({
      saleId,
      max: rate.usersPerInterval,
      maxActive: rate.maxActive,
      sessionMs: this.room.sale.admission.sessionMs,
      now,
      silentSince,
    });
    report.lapsed = step.lapsed;
    report.evicted = await this.options.store.evictSilent({ saleId, silentSince, limit: 1_000 });
    report.servedUpTo = step.servedUpTo;
    report.active = step.active;
    report.admitted = step.admitted.map((entry) => this.withToken(entry, now));
    if (report.admitted.length > 0 && this.options.publisher) {
      try {
        await this.options.publisher.publish(report.admitted.map((entry) => this.userAdmitted(entry, now)));
      } catch (error) {
        report.publishError = error;
      }
    }
    if (
      report.admitted.length > 0 ||
      report.evicted.length > 0 ||
      report.lapsed.length > 0 ||
      report.openedPreQueue
    ) {
      await this.room.broadcast();
    }
    return report;
  }

  /** Sends every watcher the room's counters (see {@link WaitingRoom.subscribe}). */
  subscribe(listener: (update: QueueBroadcast) => void): () => void {
    return this.room.subscribe(listener);
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
        saleId: this.room.sale.id,
        userId: entry.userId,
        until: entry.admittedUntil ?? now + this.room.sale.admission.sessionMs,
      }),
    };
  }

  private userAdmitted(entry: QueueEntry, now: number): EventOf<'UserAdmitted'> {
    return {
      eventId: randomUUID(),
      type: 'UserAdmitted',
      version: 1,
      saleId: this.room.sale.id,
      key: entry.userId,
      occurredAt: now,
      payload: {
        userId: entry.userId,
        ticket: entry.ticket,
        until: entry.admittedUntil ?? now + this.room.sale.admission.sessionMs,
      },
    };
  }
}
