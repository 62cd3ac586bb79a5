import type { Checkout, CheckoutFailureReason } from '../checkout/checkout';
import { ConfigurationError, InfrastructureError } from '../common/errors';
import type { DomainEvent, EventOf } from '../events/events';
import type { AlertSink } from '../ports/alert-sink';
import type { Clock } from '../ports/clock';
import type { DeadLetter, EventHandler } from '../ports/event-consumer';
import type { EventPublisher } from '../ports/event-publisher';
import type { HoldRecord, InventoryStore } from '../ports/inventory-store';
import type { PaymentGateway } from '../ports/payment-gateway';
import type { ReservationRepository, ReservationRow } from '../ports/reservation-repository';
import { keepConfirmedInStore, notWarm } from './confirmed-in-store';
import { describeError } from './describe-error';
import { compensateFailed, publishConfirmed, requestedRow } from './settlement';

/** Options of {@link ReservationProcessor}. */
export interface ReservationProcessorOptions {
  inventory: InventoryStore;
  repository: ReservationRepository;
  /**
   * The auto-pay mode (`checkout: 'auto'`): the worker charges each hold at once through this
   * one-step gateway, with no buyer action (the demo's and the older tests' mode). Give exactly one
   * of `payments` and `checkout`.
   */
  payments?: PaymentGateway;
  /**
   * The buyer-driven mode: the worker records each hold and leaves its payment to the buyer's
   * checkout (payment, 3-D Secure, the provider's webhook). It fails the holds that end unpaid:
   * a hold found gone, and the `HoldExpired` and released `StockChanged` events it is given.
   */
  checkout?: Checkout;
  publisher: EventPublisher;
  alerts: AlertSink;
  clock: Clock;
  /**
   * Before charging, a hold that would expire within this many ms is extended to now + this, so a
   * slow payment does not lose the seat (docs/design.md §Checkout). Default 30 s; 0 disables.
   */
  paymentGraceMs?: number;
  /** handleBatch settles this many reservations at once; default 16. */
  batchConcurrency?: number;
}

/** What {@link ReservationProcessor.handleBatch} could not finish: retry those events. */
export interface BatchReport {
  settled: number;
  failed: Array<{ event: EventOf<'ReservationRequested'>; error: unknown }>;
}

/** Why a reservation failed, as stored in `failureReason` and sent in ReservationFailed. */
export type ReservationFailureReason =
  | 'PAYMENT_DECLINED'
  | 'PAYMENT_INSUFFICIENT_FUNDS'
  | 'HOLD_EXPIRED'
  | 'HOLD_RELEASED'
  | 'HOLD_NOT_FOUND'
  | 'DUPLICATE_IDEMPOTENCY_KEY'
  | 'PROCESSING_FAILED';

type RequestedEvent = EventOf<'ReservationRequested'>;

/** Why a hold the store does not have ended (see `ReservationProcessor.holdOf`). */
type MissingHold = 'HOLD_NOT_FOUND' | 'HOLD_EXPIRED' | 'HOLD_RELEASED';

/**
 * Why the hold `found` is over, or null while it stands: missing, released or compensated, or
 * expired. Given `now`, a HELD hold whose time has run out by then counts as expired too (a charge
 * must not start on it); without it, only what the store already recorded.
 */
function goneOf(found: { hold: HoldRecord } | { gone: MissingHold }, now?: number): MissingHold | null {
  if ('gone' in found) return found.gone;
  const { status, expiresAt } = found.hold;
  if (status === 'RELEASED' || status === 'COMPENSATED') return 'HOLD_RELEASED';
  if (status === 'EXPIRED' || (status === 'HELD' && now !== undefined && expiresAt <= now))
    return 'HOLD_EXPIRED';
  return null;
}

/** The events the buyer-driven worker consumes: holds recorded, holds that ended unpaid. */
export const CHECKOUT_WORKER_EVENT_TYPES = ['ReservationRequested', 'HoldExpired', 'StockChanged'] as const;

/** A reservation loop never needs more rounds than its states; more means someone else races. */
const MAX_ROUNDS = 6;

/**
 * The consumer side of a reservation (docs/design.md §Reservation and hold). It runs in one of two
 * modes:
 *
 * - buyer-driven (`checkout`): it persists each reservation (idempotently) and leaves the payment
 *   to the buyer's {@link Checkout}; it fails, through the checkout, holds that ended unpaid.
 * - auto-pay (`payments`, the runtime's `checkout: 'auto'`): for each ReservationRequested it
 *   persists the reservation, charges the buyer at once, confirms the hold and publishes the
 *   result. The rest of this comment is about this mode. Every step is idempotent, so a crash anywhere and the at-least-once replay that follows
 * never inserts twice, charges twice or confirms twice; a replay continues from the stored status.
 *
 * - payment declined → FAILED, stock and seats given back (→ COMPENSATED), ReservationFailed;
 * - hold expired before payment → FAILED HOLD_EXPIRED without charging; expired during payment →
 *   refunded, then FAILED HOLD_EXPIRED;
 * - gateway or database unreachable → the error is rethrown so the consumer retries with backoff;
 * - the store lost the sale (a wiped Redis, issue 20) → `SaleNotWarmError`, retried the same way:
 *   the hold is not "not found", it comes back with the rebuild from the row just recorded;
 * - the hold is missing from a sale the store rebuilt (it was lost before its row was written, so
 *   the rebuild could not restore it) → held again from the event, as one atomic reserve, unless
 *   its time has run out (HOLD_EXPIRED), its units went to others since (HOLD_NOT_FOUND) or its
 *   buyer released it (HOLD_RELEASED, recorded in the source of truth before it was answered);
 * - retries exhausted → {@link onDeadLetter}: compensation, FAILED, and an operator alert.
 */
export class ReservationProcessor implements EventHandler {
  private readonly graceMs: number;

  constructor(private readonly options: ReservationProcessorOptions) {
    this.graceMs = options.paymentGraceMs ?? 30_000;
    if ((options.payments === undefined) === (options.checkout === undefined)) {
      throw new ConfigurationError(
        'the reservation processor takes exactly one of `payments` (auto-pay) and `checkout` (buyer-driven)',
      );
    }
  }

  /** Handles one event; other event types are ignored. Throws to ask the consumer for a retry. */
  async handle(event: DomainEvent): Promise<void> {
    const { checkout } = this.options;
    if (event.type === 'ReservationRequested') {
      await this.options.repository.insertMany([requestedRow(event, this.options.clock.now())]);
      await (checkout ? this.awaitBuyer(event, checkout) : this.settle(event));
      return;
    }
    if (!checkout) return;
    if (event.type === 'HoldExpired') {
      await checkout.holdEnded(event.saleId, event.payload.reservationId, 'HOLD_EXPIRED');
    } else if (
      event.type === 'StockChanged' &&
      event.payload.reason === 'RELEASED' &&
      event.payload.reservationId
    ) {
      await checkout.holdEnded(event.saleId, event.payload.reservationId, 'HOLD_RELEASED');
    }
  }

  /**
   * Handles many events with ONE insert for all of them (docs/design.md §Database write path), then
   * settles each. A failed insert throws (retry the batch); a reservation that fails later is
   * reported in `failed` so the caller retries only those.
   */
  async handleBatch(events: DomainEvent[]): Promise<BatchReport> {
    const byId = new Map<string, RequestedEvent>();
    for (const event of events) {
      if (event.type === 'ReservationRequested' && !byId.has(event.payload.reservationId)) {
        byId.set(event.payload.reservationId, event);
      }
    }
    const requested = [...byId.values()];
    // in the buyer-driven mode, holds that ended come after the holds they end (one partition's order)
    const ended = this.options.checkout
      ? events.filter((event) => event.type !== 'ReservationRequested')
      : [];
    if (requested.length === 0 && ended.length === 0) return { settled: 0, failed: [] };
    if (requested.length > 0) {
      await this.options.repository.insertMany(
        requested.map((event) => requestedRow(event, this.options.clock.now())),
      );
    }
    const { checkout } = this.options;
    const failed: BatchReport['failed'] = [];
    const run = async (list: DomainEvent[], each: (event: DomainEvent) => Promise<void>) => {
      let next = 0;
      const worker = async () => {
        while (next < list.length) {
          const event = list[next++]!;
          try {
            await each(event);
          } catch (error) {
            failed.push({ event: event as RequestedEvent, error });
          }
        }
      };
      const workers = Math.min(this.options.batchConcurrency ?? 16, list.length);
      await Promise.all(Array.from({ length: workers }, worker));
    };
    await run(requested, (event) =>
      checkout ? this.awaitBuyer(event as RequestedEvent, checkout) : this.settle(event as RequestedEvent),
    );
    await run(ended, (event) => this.handle(event));
    return { settled: requested.length + ended.length - failed.length, failed };
  }

  /**
   * The buyer-driven mode's step: the reservation is recorded (HELD, the row's REQUESTED) and waits
   * for its buyer's payment; only a hold already gone is failed here (the units go back).
   */
  private async awaitBuyer(event: RequestedEvent, checkout: Checkout): Promise<void> {
    const { reservationId } = event.payload;
    const row = await this.options.repository.get(reservationId);
    if (!row) return this.refuseDuplicateKey(event);
    if (row.status !== 'REQUESTED' && row.status !== 'PAYMENT_PENDING') return;
    const gone: CheckoutFailureReason | null = goneOf(await this.holdOf(event));
    if (gone) await checkout.holdEnded(event.saleId, reservationId, gone);
  }

  /**
   * After the last retry (or at once for a poison message): gives the units back unless the
   * reservation was paid and confirmed, marks it FAILED, publishes ReservationFailed and alerts an
   * operator. Never throws: what it cannot do is in the alert.
   */
  async onDeadLetter(letter: DeadLetter): Promise<void> {
    const event = letter.event;
    const context: Record<string, unknown> = {
      source: letter.source,
      attempts: letter.attempts,
      error: letter.error,
      eventId: event?.eventId ?? null,
    };
    if (event?.type !== 'ReservationRequested') {
      await this.alert('DEAD_LETTER', `an event was dead-lettered: ${letter.error.message}`, context);
      return;
    }
    const { reservationId, userId } = event.payload;
    context.reservationId = reservationId;
    context.userId = userId;
    // the units go back first, on their own: the usual reason for a dead letter is that the
    // database is down, and the stock must not wait for it (docs/design.md §Failure handling, 2)
    try {
      const hold = await this.options.inventory.getHold(event.saleId, reservationId);
      if (hold?.status === 'CONFIRMED') {
        // paid and confirmed, only the bookkeeping failed: giving the seat back would sell it twice
        await this.alert(
          'DEAD_LETTER_CONFIRMED',
          `reservation ${reservationId} is confirmed in the store but its processing was dead-lettered; check payment and records`,
          context,
        );
        return;
      }
      const compensation = await this.options.inventory.compensate({ saleId: event.saleId, reservationId });
      context.compensated = compensation.ok;
    } catch (error) {
      context.compensated = false;
      context.compensationError = describeError(error);
    }
    try {
      const row = await this.ensureRow(event);
      // an attempt reached the payment: whether the gateway charged is for the operator to check
      context.paymentAttempted = row.status === 'PAYMENT_PENDING';
      await this.fail(row, 'PROCESSING_FAILED');
      context.recorded = true;
    } catch (error) {
      // the source of truth is unreachable: the reconciler repairs the counts once it is back
      context.recorded = false;
      context.recordError = describeError(error);
    }
    await this.alert(
      'DEAD_LETTER',
      `reservation ${reservationId} was dead-lettered after ${letter.attempts} attempts: ${letter.error.message}`,
      context,
    );
  }

  /** Moves one persisted reservation to its final state, continuing from wherever it stands. */
  private async settle(event: RequestedEvent): Promise<void> {
    const { reservationId } = event.payload;
    // a reservation found already PAYMENT_PENDING was being paid by an attempt that did not
    // finish: that attempt may have charged the buyer before it crashed
    let mayHaveCharged = false;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const row = await this.options.repository.get(reservationId);
      if (!row) return this.refuseDuplicateKey(event);
      switch (row.status) {
        case 'CONFIRMED':
          // a replay after a crash: the result may not have been published yet (same event id)
          await keepConfirmedInStore(this.options, row);
          await publishConfirmed(this.options, row, row.paymentId ?? '');
          return;
        case 'FAILED':
        case 'COMPENSATED':
          // a replay: finish the compensation if it was cut short, publish the result again
          await this.fail(row, 'PROCESSING_FAILED');
          return;
        case 'REQUESTED':
          await this.options.repository.transition({
            reservationId,
            from: ['REQUESTED'],
            to: 'PAYMENT_PENDING',
            now: this.options.clock.now(),
          });
          continue; // look again: moved by us or by a concurrent duplicate
        case 'PAYMENT_PENDING':
          if (round === 0) mayHaveCharged = true;
          if (await this.payAndConfirm(row, event, mayHaveCharged)) return;
          continue;
      }
    }
    throw new InfrastructureError(`reservation ${reservationId} kept changing under its processor`);
  }

  /** Charges and confirms; false when the repository moved under us and the caller must look again. */
  private async payAndConfirm(
    row: ReservationRow,
    event: RequestedEvent,
    mayHaveCharged: boolean,
  ): Promise<boolean> {
    const { inventory, clock } = this.options;
    const payments = this.gateway();
    const ref = { saleId: row.saleId, reservationId: row.reservationId, userId: row.userId };
    const found = await this.holdOf(event);
    const gone: ReservationFailureReason | null = goneOf(found, clock.now());
    if (gone || !('hold' in found)) {
      const reason = gone ?? 'HOLD_NOT_FOUND';
      // confirmed meanwhile by a duplicate of this event: a rebuilt store keeps it as sold units,
      // not as a hold, so "gone" is no answer; its one payment is never refunded (look again)
      if (await this.confirmedMeanwhile(row)) return false;
      if (mayHaveCharged) await this.refundIfCharged(row, reason);
      return this.fail(row, reason);
    }
    const { hold } = found;
    const alreadyConfirmed = hold!.status === 'CONFIRMED';
    if (!alreadyConfirmed) {
      const now = clock.now();
      if (this.graceMs > 0 && hold!.expiresAt - now < this.graceMs) {
        // if this fails the hold has just expired, and the confirm below says so
        const extended = await inventory.extend({ ...ref, holdMs: this.graceMs, now });
        // the store lost the sale: retry after the rebuild rather than charge a hold not there now
        if (!extended.ok && extended.code === 'SALE_NOT_WARM') throw notWarm(row.saleId);
      }
    }
    // idempotent by reservation id: a replay (or a retry after a timeout) is charged once
    const charge = await payments.charge({
      reservationId: row.reservationId,
      userId: row.userId,
      amountCents: row.amountCents,
      idempotencyKey: row.reservationId,
    });
    if (!charge.ok) {
      return this.fail(row, charge.code === 'DECLINED' ? 'PAYMENT_DECLINED' : 'PAYMENT_INSUFFICIENT_FUNDS');
    }
    if (!alreadyConfirmed) {
      const confirmed = await inventory.confirm({ ...ref, now: clock.now() });
      // the store lost the sale after the charge: the retry charges under the same key (the
      // gateway answers this charge again) and confirms the hold the rebuild brought back
      if (!confirmed.ok && confirmed.code === 'SALE_NOT_WARM') throw notWarm(row.saleId);
      if (!confirmed.ok) {
        const now = await inventory.getHold(row.saleId, row.reservationId);
        // a concurrent duplicate of this event confirmed it first: that is success
        if (now?.status !== 'CONFIRMED') {
          if (await this.confirmedMeanwhile(row)) return false;
          await payments.refund({
            paymentId: charge.paymentId,
            reason: 'HOLD_EXPIRED',
            idempotencyKey: `refund-${row.reservationId}`,
          });
          return this.fail(row, confirmed.code === 'EXPIRED' ? 'HOLD_EXPIRED' : 'HOLD_RELEASED');
        }
      }
    }
    const moved = await this.options.repository.transition({
      reservationId: row.reservationId,
      from: ['PAYMENT_PENDING'],
      to: 'CONFIRMED',
      paymentId: charge.paymentId,
      now: clock.now(),
    });
    if (!moved) return false;
    await keepConfirmedInStore(this.options, row);
    await publishConfirmed(this.options, row, charge.paymentId);
    return true;
  }

  /**
   * The store's hold of a reservation recorded in the source of truth, or why there is none.
   *
   * - Missing from a sale the store does not hold (wiped, not yet rebuilt): not gone;
   *   `SaleNotWarmError` asks the consumer to retry once the rebuild has brought it back from the
   *   row. A rebuild may end between the two reads, so a warm sale is asked once more.
   * - Missing from a sale the store REBUILT ({@link InventoryStore.wasRebuilt}): the store lost it
   *   (a hold's record stays at least until its expiry, so one missing before then went with the
   *   store, and the rebuild, which reads PostgreSQL, came before this row was written). It is
   *   held again from its event ({@link holdAgain}), or ends as it would have had its time run out.
   * - Missing otherwise: HOLD_NOT_FOUND.
   */
  private async holdOf(event: RequestedEvent): Promise<{ hold: HoldRecord } | { gone: MissingHold }> {
    const { inventory } = this.options;
    const { saleId } = event;
    const { reservationId } = event.payload;
    const hold = await inventory.getHold(saleId, reservationId);
    if (hold) return { hold };
    if (!(await inventory.isWarm(saleId))) throw notWarm(saleId);
    const again = await inventory.getHold(saleId, reservationId);
    if (again) return { hold: again };
    if (!inventory.wasRebuilt || !(await inventory.wasRebuilt(saleId))) return { gone: 'HOLD_NOT_FOUND' };
    return this.holdAgain(event);
  }

  /**
   * Holds again, from its event, a hold a wiped store lost before this worker wrote its row (so
   * the rebuild could not restore it): ONE atomic reserve with the hold's reservation id, buyer,
   * units or seats and idempotency key, until the event's expiry, without the admission check (the
   * buyer was admitted when it was made; the room may have lost them too). It takes only free
   * units, so it cannot oversell. Its outcomes:
   *
   * - held: the hold is back (its outbox entry is dropped: its events are the ones being handled);
   * - replayed for this reservation: a duplicate of the event, or another worker, held it first;
   * - the event's expiry has passed: HOLD_EXPIRED, as the sweeper would have ended it (a hold is
   *   extended only once its row exists, and then the rebuild restores it);
   * - its units, seats or the buyer's limit went to other holds since the rebuild, or its key now
   *   names another hold (the buyer's retry after the wipe): HOLD_NOT_FOUND, it cannot come back;
   * - its buyer released it before the store was lost (`ReservationRepository.recordRelease`):
   *   HOLD_RELEASED, a release answered is never undone.
   */
  private async holdAgain(event: RequestedEvent): Promise<{ hold: HoldRecord } | { gone: MissingHold }> {
    const { inventory, clock } = this.options;
    const { saleId, payload } = event;
    const now = clock.now();
    if (payload.expiresAt <= now) return { gone: 'HOLD_EXPIRED' };
    // a reservation no longer in flight (a duplicate of this event confirmed it: a rebuilt store
    // keeps it as sold units, not as a hold) is never held again: its units would count twice
    const current = await this.options.repository.get(payload.reservationId);
    if (current && current.status !== 'REQUESTED' && current.status !== 'PAYMENT_PENDING') {
      return { gone: 'HOLD_NOT_FOUND' };
    }
    if (await this.releasedByBuyer(saleId, payload.reservationId)) return { gone: 'HOLD_RELEASED' };
    const outcome = await inventory.reserve({
      saleId,
      userId: payload.userId,
      reservationId: payload.reservationId,
      idempotencyKey: payload.idempotencyKey,
      selection:
        payload.seatIds.length > 0
          ? { kind: 'seats', seatIds: payload.seatIds }
          : { kind: 'quantity', quantity: payload.quantity },
      holdMs: payload.expiresAt - now,
      requireAdmission: false,
      now,
    });
    if (!outcome.ok) {
      if (outcome.code === 'SALE_NOT_WARM') throw notWarm(saleId);
      return { gone: 'HOLD_NOT_FOUND' };
    }
    if (outcome.hold.reservationId !== payload.reservationId) return { gone: 'HOLD_NOT_FOUND' };
    if (!outcome.replayed) {
      // the relay would publish this reservation's events again: they are the ones being handled
      await inventory.markRelayed({ saleId, reservationIds: [payload.reservationId] }).catch(() => undefined);
    }
    // its buyer's release recorded while it was held again: that release looked at the store before
    // the hold was back, and was answered; it is released again, never undone
    if (await this.releasedByBuyer(saleId, payload.reservationId)) {
      const ref = { saleId, reservationId: payload.reservationId, userId: payload.userId };
      const again = await inventory.release({ ...ref, now: clock.now() });
      if (!again.ok && again.code === 'SALE_NOT_WARM') throw notWarm(saleId);
      return { gone: 'HOLD_RELEASED' };
    }
    return { hold: outcome.hold };
  }

  /** Whether the buyer released the reservation's hold (recorded in the source of truth, issue 20). */
  private async releasedByBuyer(saleId: string, reservationId: string): Promise<boolean> {
    const released = await this.options.repository.listReleased?.(saleId, [reservationId]);
    return released !== undefined && released.length > 0;
  }

  /** Whether the source of truth has the reservation CONFIRMED, whatever `row` said when read. */
  private async confirmedMeanwhile(row: ReservationRow): Promise<boolean> {
    return (await this.options.repository.get(row.reservationId))?.status === 'CONFIRMED';
  }

  /**
   * Gives back what an earlier, unfinished attempt may have charged. The port has no lookup, so
   * the charge is asked again under the same idempotency key: the gateway answers the earlier
   * charge if there was one (and charges now if there was not), and either way it is refunded.
   */
  private async refundIfCharged(row: ReservationRow, reason: ReservationFailureReason): Promise<void> {
    const payments = this.gateway();
    const charge = await payments.charge({
      reservationId: row.reservationId,
      userId: row.userId,
      amountCents: row.amountCents,
      idempotencyKey: row.reservationId,
    });
    if (!charge.ok) return;
    await payments.refund({
      paymentId: charge.paymentId,
      reason,
      idempotencyKey: `refund-${row.reservationId}`,
    });
  }

  /**
   * Fails a reservation, in the order of the reservation state machine: FAILED with its reason
   * (guarded), units back (idempotent), COMPENSATED once they are back, then ReservationFailed.
   * Each step may be replayed. Answers true (the reservation is final) so callers can `return` it.
   */
  private async fail(row: ReservationRow, reason: ReservationFailureReason): Promise<true> {
    const { repository, clock } = this.options;
    let recordedReason: string = reason;
    if (row.status === 'REQUESTED' || row.status === 'PAYMENT_PENDING') {
      const moved = await repository.transition({
        reservationId: row.reservationId,
        from: ['REQUESTED', 'PAYMENT_PENDING'],
        to: 'FAILED',
        failureReason: reason,
        now: clock.now(),
      });
      if (!moved) {
        const current = await repository.get(row.reservationId);
        if (current?.status !== 'FAILED' && current?.status !== 'COMPENSATED') {
          throw new InfrastructureError(
            `reservation ${row.reservationId} became ${current?.status ?? 'absent'} while it was being failed`,
          );
        }
        recordedReason = current.failureReason ?? reason;
      }
    } else {
      recordedReason = row.failureReason ?? reason;
    }
    await compensateFailed(this.options, row, recordedReason, true);
    return true;
  }

  /**
   * The insert found another reservation with the same idempotency key (the key was reused after
   * its first hold was released): the source of truth refuses a second row, so this hold is given
   * back and reported failed without a row of its own.
   */
  private async refuseDuplicateKey(event: RequestedEvent): Promise<void> {
    const ref = { ...event.payload, saleId: event.saleId };
    // no row of its own: nothing to record COMPENSATED
    await compensateFailed(this.options, ref, 'DUPLICATE_IDEMPOTENCY_KEY', false);
  }

  private async ensureRow(event: RequestedEvent): Promise<ReservationRow> {
    await this.options.repository.insertMany([requestedRow(event, this.options.clock.now())]);
    const row = await this.options.repository.get(event.payload.reservationId);
    if (!row) throw new InfrastructureError(`reservation ${event.payload.reservationId} could not be stored`);
    return row;
  }

  /** The auto-pay gateway; the constructor made sure that one exists in the auto-pay mode. */
  private gateway(): PaymentGateway {
    if (!this.options.payments) throw new ConfigurationError('the buyer-driven worker does not charge');
    return this.options.payments;
  }

  private async alert(code: string, message: string, context: Record<string, unknown>): Promise<void> {
    await this.options.alerts.alert({ severity: 'critical', code, message, context });
  }
}
