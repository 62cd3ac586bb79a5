import { z } from 'zod';
import { ConfigurationError } from '../common/errors';
import { IdempotencyKey, ReservationId, SAFE_ID_PATTERN, UserId } from '../common/ids';
import { positiveInteger } from '../common/settings';
import { validate, vouch } from '../common/validate';
import type { DomainEvent } from '../events/events';
import { newHold } from '../hold/new-hold';
import { reserveFingerprint } from '../memory/fingerprint';
import type { DistributedLock, Lease } from '../ports/distributed-lock';
import {
  type HoldChangeOutcome,
  type HoldRecord,
  type InventorySteps,
  type ReserveOutcome,
  type ReserveRefusal,
  ReserveRequest,
  Selection,
} from '../ports/inventory-store';
import type { ReservationRepository } from '../ports/reservation-repository';
import type { WaitingRoomStore } from '../ports/waiting-room-store';
import type { AdmissionTokenRefusal } from '../queue/admission-tokens';
import { SaleDefinition } from '../sale/definition';
import { holdStockChanged, publishAudit } from '../stock/audit';
import { describeError as describe } from './describe-error';
import { reservationEventId } from './events';
import { type AcceptedHold, type HoldRelay, relayFor } from './hold-relay';
import { admittedBuyer, type HoldServiceOptions, holdMsOf } from './hold-service';
import {
  DEFAULT_ANSWER_WITHIN_MS,
  defaultRelayLagLimitMs,
  storeAnswer,
  UnknownOutcome,
} from './store-answer';

/** The parts of a store request that come from a service's set-up, checked once. */
const RequestSetUp = ReserveRequest.pick({
  saleId: true,
  holdMs: true,
  requireAdmission: true,
  relayLagLimitMs: true,
});

/** How the hot path is made safe under concurrency. */
export type ReserveStrategy = 'atomic' | 'lock';

/** Input of {@link Reservations.reserve}. */
export const ReserveInput = z
  .object({
    userId: UserId,
    /**
     * Required: a retry with the same key answers the original outcome, also once that hold has
     * ended (released, expired, failed). Use a fresh key for a new attempt: a key stays spent.
     */
    idempotencyKey: IdempotencyKey,
    selection: Selection,
    /** Chosen by the caller to make a retry reuse it; a fresh id otherwise. */
    reservationId: ReservationId.optional(),
    /** The signed admission token, checked when the service was given `tokens`. */
    admissionToken: z.string().max(2048).optional(),
  })
  .superRefine((input, ctx) => {
    if (input.selection.kind !== 'seats') return;
    const repeated = input.selection.seatIds.filter((id, i, all) => all.indexOf(id) !== i);
    if (repeated.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['selection', 'seatIds'],
        message: `seat ids repeat: ${[...new Set(repeated)].join(', ')}`,
      });
    }
  });
export type ReserveInput = z.input<typeof ReserveInput>;

/** Why a reserve was refused. Every refusal leaves the store as it was. */
export type ReserveFailureCode =
  | ReserveRefusal
  /** Lock strategy: the sale's lock could not be taken (or was lost) in time; retry. */
  | 'BUSY'
  /** The sale is not open (not yet, paused or closed): see `ReservationsOptions.isOpen`. */
  | 'SALE_NOT_OPEN';

/** The answer of {@link Reservations.reserve}. */
export type ReserveResult =
  | AcceptedHold
  | {
      ok: false;
      /**
       * The store did not answer within `answerWithinMs` (or the connection failed mid-call): the
       * hold may or may not have been made. Not a failure: retry with the SAME idempotency key to
       * learn the outcome, or poll `reservationId`. A hold made meanwhile is in the outbox and is
       * processed like any other.
       */
      code: 'OUTCOME_UNKNOWN';
      reservationId: string;
    }
  | {
      ok: false;
      code: ReserveFailureCode;
      /** For SEAT_TAKEN / UNKNOWN_SEAT: the seats concerned. */
      seatIds?: string[];
      /** For NOT_ADMITTED because of the token: what was wrong with it. */
      tokenRefusal?: AdmissionTokenRefusal;
    };

/** An owner's request about one of their reservations. */
export const OwnerRequest = z.object({ userId: UserId, reservationId: ReservationId });
export type OwnerRequest = z.infer<typeof OwnerRequest>;

/** The answer of {@link Reservations.cancel}. */
export type CancelOutcome =
  | { ok: true; code: 'RELEASED'; hold: HoldRecord }
  /** ALREADY_CANCELLED: released, expired or compensated before; NOT_CANCELLABLE: confirmed (paid). */
  | { ok: false; code: 'NOT_FOUND' | 'NOT_OWNER' | 'ALREADY_CANCELLED' | 'NOT_CANCELLABLE' };

/** Options of {@link Reservations}: those of every hold service, and the lock strategy's. */
export interface ReservationsOptions extends HoldServiceOptions {
  /**
   * `atomic` (default): one store operation. `lock`: lock → check → DECR → SET NX PX
   * (docs/design.md §Holds and stock).
   */
  strategy?: ReserveStrategy;
  /**
   * The source of truth, where a buyer's release is recorded before it is answered
   * (`ReservationRepository.recordRelease`, when it has one), so that a rebuild of a wiped store
   * never holds it again (issue 20). Without it a release lives in the store and its event only.
   */
  repository?: Pick<ReservationRepository, 'recordRelease'>;
  /** Lock strategy: the distributed lock (Redlock in production). */
  lock?: DistributedLock;
  /** Lock strategy: the store's building blocks. */
  steps?: InventorySteps;
  /** Lock strategy: where admission is checked (the atomic operation checks it itself). */
  waitingRoom?: WaitingRoomStore;
  /** Lock strategy: the lock's time to live; default 2 s (a reserve takes milliseconds). */
  lockTtlMs?: number;
  /** Lock strategy: how many times to try the lock before answering BUSY; default 200. */
  lockAttempts?: number;
}

/**
 * The buyer-facing side of a reservation: the hot path (reserve), then hold management (extend,
 * release, cancel).
 *
 * `reserve` holds the units in the store (atomically, or under a lock with the `lock` strategy)
 * together with an outbox entry, in one step; the {@link HoldRelay} then publishes
 * `ReservationRequested`, and payment and confirmation happen in the {@link ReservationProcessor}.
 * So "accepted" is said only of a hold that is durable and cannot be undone by a failed publish;
 * while the pipeline is stalled new holds are refused (PIPELINE_STALLED) instead of piling up.
 */
export class Reservations {
  /** The validated sale. */
  readonly sale: SaleDefinition;
  /** The strategy in use. */
  readonly strategy: ReserveStrategy;
  /** Hands new holds to the pipeline; the loop relays what a hand-over left behind. */
  readonly relay: HoldRelay;
  private readonly holdMs: number;
  private readonly answerWithinMs: number;
  private readonly relayLagLimitMs: number;
  /** Lock strategy: the end of this process's queue of requests waiting for the sale's lock. */
  private localTurn: Promise<unknown> = Promise.resolve();
  private readonly requireAdmission: boolean;
  /**
   * Whether the parts of every store request that come from this service's set-up (sale id,
   * hold time, admission, outbox gate) are valid: checked once, so a reserve checks only the parts
   * that change per call before vouching for the request it built.
   */
  private readonly setUpValid: boolean;

  constructor(private readonly options: ReservationsOptions) {
    this.sale = validate('sale', SaleDefinition, options.sale);
    this.strategy = options.strategy ?? 'atomic';
    this.holdMs = holdMsOf(this.sale, options);
    this.requireAdmission = options.requireAdmission ?? true;
    this.answerWithinMs = positiveInteger(
      'answerWithinMs',
      options.answerWithinMs ?? DEFAULT_ANSWER_WITHIN_MS,
    );
    this.relayLagLimitMs = positiveInteger(
      'relayLagLimitMs',
      options.relayLagLimitMs ?? defaultRelayLagLimitMs(this.holdMs),
    );
    this.setUpValid = RequestSetUp.safeParse({
      saleId: this.sale.id,
      holdMs: this.holdMs,
      requireAdmission: this.requireAdmission,
      relayLagLimitMs: this.relayLagLimitMs,
    }).success;
    this.relay = relayFor(this.sale, options);
    if (this.strategy === 'lock') {
      if (!options.lock || !options.steps) {
        throw new ConfigurationError('the lock strategy needs `lock` and `steps`');
      }
      if (this.requireAdmission && !options.waitingRoom) {
        throw new ConfigurationError('the lock strategy needs `waitingRoom` to check admission');
      }
    } else if (this.strategy !== 'atomic') {
      throw new ConfigurationError(`unknown strategy ${String(this.strategy)}`);
    }
  }

  /**
   * Reserves units for a user: validate → (token) → hold → publish → accepted. Bad input throws
   * `ValidationError` and changes nothing; every expected outcome is a value.
   */
  async reserve(input: ReserveInput): Promise<ReserveResult> {
    const command = validate('reserve', ReserveInput, input);
    if (this.options.isOpen && !this.options.isOpen()) return { ok: false, code: 'SALE_NOT_OPEN' };
    const now = this.options.clock.now();
    const admitted = admittedBuyer(this.options, this.sale.id, command, now);
    if (!admitted.ok) return admitted;
    const { reservationId } = admitted.buyer;
    const built: ReserveRequest = {
      ...admitted.buyer,
      selection: command.selection,
      holdMs: this.holdMs,
      requireAdmission: this.requireAdmission,
      now,
      relayLagLimitMs: this.relayLagLimitMs,
    };
    // The user's parts were validated above and the set-up's once; only a generated id and the
    // clock's time are new. Vouched for, the request is not parsed again, here or by the store.
    // Anything off is parsed in full, for the same ValidationError as ever.
    // (The two checks are ReservationId's and EpochMs's rules written out: a zod parse of each
    // was a measurable part of a reserve's CPU. A random UUID needs none.)
    const trusted =
      this.setUpValid &&
      (command.reservationId !== undefined ||
        this.options.newReservationId === undefined ||
        (typeof reservationId === 'string' && SAFE_ID_PATTERN.test(reservationId))) &&
      Number.isSafeInteger(now) &&
      now >= 0;
    const request = trusted
      ? vouch(ReserveRequest, built)
      : validate('reserve request', ReserveRequest, built);
    // a real-time bound, not the Clock: it bounds a real wait even while a test holds the clock
    // still. The lock strategy gives up a little before the answer's bound, so that a request
    // still waiting for its turn or the lock answers BUSY (true: nothing held) rather than unknown.
    const deadline = performance.now() + this.answerWithinMs * 0.9;
    const outcome = await storeAnswer(
      this.strategy === 'atomic'
        ? this.options.inventory.reserve(request)
        : this.reserveUnderLock(request, deadline),
      this.answerWithinMs,
    );
    if (outcome instanceof UnknownOutcome) {
      await this.alertUnknown(request.reservationId, outcome);
      return { ok: false, code: 'OUTCOME_UNKNOWN', reservationId: request.reservationId };
    }
    if (!outcome.ok) return outcome.code === 'BUSY' ? { ok: false, code: 'BUSY' } : withSeats(outcome);
    return this.relay.accept(outcome, now);
  }

  /** Owner only: pushes a live hold's expiry to now + holdMs (e.g. while the buyer pays). */
  async extendHold(input: OwnerRequest): Promise<HoldChangeOutcome> {
    const { userId, reservationId } = validate('extend hold', OwnerRequest, input);
    return this.options.inventory.extend({
      saleId: this.sale.id,
      reservationId,
      userId,
      holdMs: this.holdMs,
      now: this.options.clock.now(),
    });
  }

  /**
   * Owner only: gives a live hold back at once (stock returned, seats free; its idempotency key
   * answers the released hold), with a StockChanged audit event. If the reservation was already
   * handed to the processor, its confirmation will find the hold gone and fail it without charging.
   * With `repository`, the release is recorded in the source of truth before it is answered; when
   * that fails the error is thrown (the hold is released in the store all the same), and the
   * buyer's retry records it and answers the released hold (not NOT_HELD).
   */
  async releaseHold(input: OwnerRequest): Promise<HoldChangeOutcome> {
    const { userId, reservationId } = validate('release hold', OwnerRequest, input);
    const now = this.options.clock.now();
    const outcome = await this.options.inventory.release({
      saleId: this.sale.id,
      reservationId,
      userId,
      now,
    });
    if (!outcome.ok) return this.releasedBefore(outcome, userId, reservationId, now);
    // the id derived from the reservation: the sweeper's check of rows in flight publishes this
    // event again when it was lost (the buyer-driven worker fails the reservation on it)
    const eventId = reservationEventId(outcome.hold.reservationId, 'stock-released');
    await this.publishAudit([holdStockChanged(outcome.hold, 'RELEASED', now, eventId)]);
    await this.recordRelease(outcome.hold, now);
    return outcome;
  }

  /**
   * A release refused because its owner released the hold before (a retry, after an answer that
   * was an error because the release could not be recorded): with `repository` the release is
   * recorded now and answered as the released hold. Any other refusal stands.
   */
  private async releasedBefore(
    refusal: HoldChangeOutcome & { ok: false },
    userId: string,
    reservationId: string,
    now: number,
  ): Promise<HoldChangeOutcome> {
    if (refusal.code !== 'NOT_HELD' || !this.options.repository?.recordRelease) return refusal;
    const hold = await this.options.inventory.getHold(this.sale.id, reservationId);
    if (hold?.status !== 'RELEASED' || hold.userId !== userId) return refusal;
    await this.recordRelease(hold, now);
    return { ok: true, hold };
  }

  /**
   * Records a release in the source of truth (docs/design.md §Rebuild of a lost sale). Its other
   * records, the store and a best-effort event, go with a wiped store while the row may still be
   * in flight, and the rebuild restores rows in flight as holds. A store lost and rebuilt between
   * the release and its record (or a worker that held the hold again from its event meanwhile)
   * may hold it again: it is looked at once recorded, and released again.
   */
  private async recordRelease(hold: HoldRecord, at: number): Promise<void> {
    const { repository, inventory, clock } = this.options;
    if (!repository?.recordRelease) return;
    const ref = { saleId: this.sale.id, reservationId: hold.reservationId };
    await repository.recordRelease({ ...ref, at });
    if ((await inventory.getHold(ref.saleId, ref.reservationId))?.status !== 'HELD') return;
    await inventory.release({ ...ref, userId: hold.userId, now: clock.now() });
  }

  /**
   * Owner only: cancels a reservation before it is paid, by releasing its live hold. A confirmed
   * reservation is final (refunds are the host's business, outside the sale's stock).
   */
  async cancel(input: OwnerRequest): Promise<CancelOutcome> {
    const { userId, reservationId } = validate('cancel', OwnerRequest, input);
    const hold = await this.options.inventory.getHold(this.sale.id, reservationId);
    if (!hold) return { ok: false, code: 'NOT_FOUND' };
    if (hold.userId !== userId) return { ok: false, code: 'NOT_OWNER' };
    if (hold.status === 'CONFIRMED') return { ok: false, code: 'NOT_CANCELLABLE' };
    if (hold.status === 'RELEASED') {
      // a retry after a cancel whose record failed: recorded now (see releaseHold)
      await this.recordRelease(hold, this.options.clock.now());
    }
    if (hold.status !== 'HELD') return { ok: false, code: 'ALREADY_CANCELLED' };
    const released = await this.releaseHold({ userId, reservationId });
    if (released.ok) return { ok: true, code: 'RELEASED', hold: released.hold };
    if (released.code === 'NOT_OWNER' || released.code === 'NOT_FOUND')
      return { ok: false, code: released.code };
    // it expired or was confirmed between the two reads
    return { ok: false, code: released.code === 'EXPIRED' ? 'ALREADY_CANCELLED' : 'NOT_CANCELLABLE' };
  }

  /**
   * The lock strategy (docs/design.md §Holds and stock): admission → lock → idempotency → checks →
   * DECR → SET NX PX → unlock.
   * Every write carries the lease's fencing token, so a holder paused past its lease cannot
   * write late; the outcomes are the same values the atomic operation answers.
   */
  private async reserveUnderLock(
    request: ReserveRequest,
    deadline: number,
  ): Promise<ReserveOutcome | { ok: false; code: 'BUSY' }> {
    const steps = this.options.steps!;
    const lock = this.options.lock!;
    const { saleId } = request;
    if (!(await steps.isWarm(saleId))) return { ok: false, code: 'SALE_NOT_WARM' };
    const fingerprint = reserveFingerprint(request);
    const earlier = await steps.findOutcome(saleId, request.idempotencyKey);
    if (earlier) return replayOf(earlier, fingerprint);
    // the outbox gate, as the atomic operation checks it (here a read before the lock)
    if (request.relayLagLimitMs !== undefined) {
      const stale = await this.options.inventory.unrelayed({
        saleId,
        enqueuedUpTo: request.now - request.relayLagLimitMs - 1,
        limit: 1,
      });
      if (stale.length > 0) return { ok: false, code: 'PIPELINE_STALLED' };
    }
    if (this.requireAdmission) {
      const admission = await this.options.waitingRoom!.admission({
        saleId,
        userId: request.userId,
        now: request.now,
      });
      if (!admission.admitted) return { ok: false, code: 'NOT_ADMITTED' };
    }
    // The sale's lock admits one request at a time across every process, so a process sends one
    // contender at a time: its other callers wait their turn here instead of thousands spinning
    // on the distributed lock and drowning the lock's nodes (and the holder's own commands).
    return this.inLocalTurn(async () => {
      // its turn came too late to answer in time: give up before touching the store, so the
      // answer (BUSY) is true — nothing was held — instead of a hold nobody hears about
      if (performance.now() >= deadline) return { ok: false, code: 'BUSY' } as const;
      // a request with this key may have held while this one waited (a double submit): its
      // answer is the replay, never a sold-out it caused itself
      const held = await steps.findOutcome(saleId, request.idempotencyKey);
      if (held) return replayOf(held, fingerprint);
      // Sold-out short-circuit: once the stock cannot cover a quantity the answer is SOLD_OUT with
      // or without the lock, so those who arrive after the sell-out leave at once. Only for
      // quantities: a seat request keeps its SEAT_TAKEN answer with the seats named.
      const { selection } = request;
      const soldOut =
        selection.kind === 'quantity'
          ? async () => (await this.options.inventory.counts(saleId)).available < selection.quantity
          : async () => false;
      if (await soldOut()) return { ok: false, code: 'SOLD_OUT' } as const;
      const lease = await this.acquireLock(`sale:${saleId}`, soldOut, deadline);
      if (lease === 'GAVE_UP') {
        const meanwhile = await steps.findOutcome(saleId, request.idempotencyKey);
        return meanwhile ? replayOf(meanwhile, fingerprint) : ({ ok: false, code: 'SOLD_OUT' } as const);
      }
      if (!lease) return { ok: false, code: 'BUSY' } as const;
      try {
        return await this.holdUnderLease(request, fingerprint, lease);
      } finally {
        await lock.release(lease);
      }
    });
  }

  /** Runs `work` after every earlier lock-strategy request of this process has finished. */
  private inLocalTurn<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.localTurn.then(work, work);
    this.localTurn = turn.catch(() => undefined);
    return turn;
  }

  /**
   * Takes the sale's lock, trying again after a short random pause while another request holds
   * it (the port's implementations differ in how long they retry themselves). Between tries it
   * asks `giveUp`, and answers GAVE_UP when that says waiting has become pointless; past the
   * answer's deadline it stops trying (null: BUSY).
   */
  private async acquireLock(
    resource: string,
    giveUp: () => Promise<boolean>,
    deadline: number,
  ): Promise<Lease | null | 'GAVE_UP'> {
    const attempts = this.options.lockAttempts ?? 200;
    for (let attempt = 1; ; attempt++) {
      const lease = await this.options.lock!.acquire(resource, this.options.lockTtlMs ?? 2_000);
      if (lease || attempt >= attempts) return lease;
      if (performance.now() >= deadline) return null; // BUSY: answered in time, nothing held
      await new Promise((resolve) => setTimeout(resolve, 1 + Math.floor(Math.random() * 5)));
      if (await giveUp()) return 'GAVE_UP';
    }
  }

  private async holdUnderLease(
    request: ReserveRequest,
    fingerprint: string,
    lease: Lease,
  ): Promise<ReserveOutcome | { ok: false; code: 'BUSY' }> {
    const steps = this.options.steps!;
    const { saleId, selection } = request;
    // another request with this key may have finished between the first look and the lock
    const earlier = await steps.findOutcome(saleId, request.idempotencyKey);
    if (earlier) return replayOf(earlier, fingerprint);
    const seated = this.sale.inventory.kind === 'assigned';
    if (seated !== (selection.kind === 'seats')) return { ok: false, code: 'WRONG_SELECTION' };
    const seatIds = selection.kind === 'seats' ? selection.seatIds : [];
    const quantity = selection.kind === 'seats' ? seatIds.length : selection.quantity;
    // the same order of checks as the atomic operation, so both strategies answer alike
    const states = seatIds.length > 0 ? await steps.seatStatesOf(saleId, seatIds) : [];
    const unknown = seatIds.filter((_, i) => states[i] === undefined);
    if (unknown.length > 0) return { ok: false, code: 'UNKNOWN_SEAT', seatIds: unknown };
    const owned = await steps.unitsOfUser(saleId, request.userId);
    if (owned + quantity > this.sale.limits.ticketsPerUser) return { ok: false, code: 'LIMIT_EXCEEDED' };
    const takenSeats = seatIds.filter((_, i) => states[i] !== 'AVAILABLE');
    if (takenSeats.length > 0) return { ok: false, code: 'SEAT_TAKEN', seatIds: takenSeats };
    if (this.options.clock.now() > lease.validUntil) return { ok: false, code: 'BUSY' };
    const taken = await steps.takeStock(saleId, quantity, lease.fencingToken);
    if (taken === 'SOLD_OUT') return { ok: false, code: 'SOLD_OUT' };
    if (taken === 'STALE_TOKEN') return { ok: false, code: 'BUSY' };
    const hold = newHold(request, quantity, seatIds);
    const written = await steps.writeHold(hold, fingerprint, lease.fencingToken);
    if (written === 'HELD') return { ok: true, code: 'HELD', hold, replayed: false };
    await steps.returnStock(saleId, quantity);
    return written === 'SEAT_TAKEN'
      ? { ok: false, code: 'SEAT_TAKEN', seatIds }
      : { ok: false, code: 'BUSY' };
  }

  private async alertUnknown(reservationId: string, outcome: UnknownOutcome): Promise<void> {
    await this.options.alerts
      .alert({
        severity: 'warning',
        code: 'RESERVE_OUTCOME_UNKNOWN',
        message:
          outcome.cause === undefined
            ? `the store did not answer a reserve within ${this.answerWithinMs} ms`
            : 'the store failed during a reserve; the hold may have been made',
        context: {
          saleId: this.sale.id,
          reservationId,
          ...(outcome.cause === undefined ? {} : { error: describe(outcome.cause) }),
        },
      })
      .catch(() => undefined); // the alert sink itself is down: the answer still goes out
  }

  /** Publishes audit events; a failure is alerted, never thrown, because the change itself stands. */
  private async publishAudit(events: DomainEvent[]): Promise<void> {
    await publishAudit(this.options, events, {
      message: 'a stock change could not be published to the audit log',
      context: { saleId: this.sale.id, eventIds: events.map((e) => e.eventId) },
    });
  }
}

function replayOf(earlier: { fingerprint: string; hold: HoldRecord }, fingerprint: string): ReserveOutcome {
  if (earlier.fingerprint !== fingerprint) return { ok: false, code: 'IDEMPOTENCY_KEY_REUSED' };
  return { ok: true, code: 'HELD', hold: earlier.hold, replayed: true };
}

function withSeats(outcome: { ok: false; code: ReserveRefusal; seatIds?: string[] }): ReserveResult {
  return outcome.seatIds
    ? { ok: false, code: outcome.code, seatIds: outcome.seatIds }
    : { ok: false, code: outcome.code };
}
