import { z } from 'zod';
import { ConfigurationError } from '../common/errors';
import { EpochMs, IdempotencyKey, ReservationId, UserId } from '../common/ids';
import { validate, vouch } from '../common/validate';
import type { EventPublisher } from '../ports/event-publisher';
import { GroupFallback, type GroupReserveRefusal, GroupReserveRequest } from '../ports/group-reservation';
import type { InventoryStore } from '../ports/inventory-store';
import type { AdmissionTokenRefusal } from '../queue/admission-tokens';
import { SaleDefinition } from '../sale/definition';
import { type AcceptedHold, type HoldRelay, relayFor } from './hold-relay';
import { admittedBuyer, type HoldServiceOptions, holdMsOf } from './hold-service';
import {
  DEFAULT_ANSWER_WITHIN_MS,
  defaultRelayLagLimitMs,
  storeAnswer,
  UnknownOutcome,
} from './store-answer';

/** Input of {@link GroupReservations.reserveGroup}. */
export const GroupReserveInput = z.object({
  userId: UserId,
  /** The client's key: a retry with the same key answers the original group. */
  idempotencyKey: IdempotencyKey,
  /** Seats wanted together (the tickets-per-user limit applies to the whole group). */
  size: z.number().int().positive().max(100),
  /** Only this section's rows; every section, in seat-map order, when omitted. */
  section: z.string().min(1).max(32).optional(),
  /** `split` (default): fall back to the closest free seats when no row has them side by side. */
  fallback: GroupFallback.default('split'),
  admissionToken: z.string().max(2_048).optional(),
  reservationId: ReservationId.optional(),
});
export type GroupReserveInput = z.input<typeof GroupReserveInput>;

/** The answer of {@link GroupReservations.reserveGroup}. */
export type GroupReserveResult =
  | (AcceptedHold & {
      /** Whether the seats sit side by side in one row. */
      adjacent: boolean;
    })
  /** As for `Reservations.reserve`: retry with the same key, or poll `reservationId`. */
  | { ok: false; code: 'OUTCOME_UNKNOWN'; reservationId: string }
  | {
      ok: false;
      code: GroupReserveRefusal | 'SALE_NOT_OPEN' | 'UNKNOWN_SECTION';
      seatIds?: string[];
      tokenRefusal?: AdmissionTokenRefusal;
    };

/** Options of {@link GroupReservations}: those of every hold service. */
export interface GroupReservationsOptions extends HoldServiceOptions {
  /** A store implementing `reserveGroup` (the memory and Redis stores do). */
  inventory: InventoryStore;
  /** Pass the sale's hooked publisher (`new HookedPublisher(…)`) for `held` hooks on groups too. */
  publisher: EventPublisher;
}

/**
 * Group allocation for buyers: "four seats together". The candidate rows come from the sale's
 * seat map (one section, or all, in map order); the store picks and holds the seats in ONE
 * atomic operation — adjacent in a row when some row has them — so a party never ends up with
 * half its seats held, its outbox entry written in the same step. Then, as
 * {@link Reservations.reserve} does, the relay hands it to the pipeline (the processor takes
 * payment).
 */
export class GroupReservations {
  readonly sale: SaleDefinition;
  private readonly relay: HoldRelay;
  private readonly holdMs: number;
  /** Section id → its rows' seat ids in map order; `*` → every section's rows. */
  private readonly rows = new Map<string, string[][]>();
  /**
   * Rows key → whether a store request with those rows and this service's set-up is valid:
   * checked once per key (the rows can be thousands of seat ids), so a group reserve checks only
   * the parts that change per call before vouching for the request it built.
   */
  private readonly setUpValid = new Map<string, boolean>();

  constructor(private readonly options: GroupReservationsOptions) {
    this.sale = validate('sale', SaleDefinition, options.sale);
    if (!options.inventory.reserveGroup) {
      throw new ConfigurationError('group allocation needs a store implementing reserveGroup');
    }
    this.relay = relayFor(this.sale, options);
    this.holdMs = holdMsOf(this.sale, options);
    if (this.sale.inventory.kind === 'assigned') {
      const all: string[][] = [];
      for (const section of this.sale.inventory.sections) {
        const rows = section.rows.map((row) => row.seats.map((seat) => seat.id));
        this.rows.set(section.id, rows);
        all.push(...rows);
      }
      this.rows.set('*', all);
    }
  }

  /**
   * Holds `size` seats together for a user, or nothing. Bad input throws `ValidationError`;
   * every expected outcome (SOLD_OUT, NO_ADJACENT_SEATS, LIMIT_EXCEEDED, …) is a value.
   */
  async reserveGroup(input: GroupReserveInput): Promise<GroupReserveResult> {
    const command = validate('group reserve', GroupReserveInput, input);
    if (this.options.isOpen && !this.options.isOpen()) return { ok: false, code: 'SALE_NOT_OPEN' };
    if (this.sale.inventory.kind !== 'assigned') return { ok: false, code: 'WRONG_SELECTION' };
    const rows = this.rows.get(command.section ?? '*');
    if (!rows) return { ok: false, code: 'UNKNOWN_SECTION' };
    const now = this.options.clock.now();
    const admitted = admittedBuyer(this.options, this.sale.id, command, now);
    if (!admitted.ok) return admitted;
    const { reservationId } = admitted.buyer;
    const built: GroupReserveRequest = {
      ...admitted.buyer,
      size: command.size,
      rows,
      fallback: command.fallback,
      holdMs: this.holdMs,
      requireAdmission: this.options.requireAdmission ?? true,
      now,
      relayLagLimitMs: this.options.relayLagLimitMs ?? defaultRelayLagLimitMs(this.holdMs),
    };
    // As Reservations.reserve: the user's parts are validated above, the set-up's once per rows;
    // anything off is parsed in full, for the same ValidationError as ever.
    const trusted =
      this.setUpIsValid(built, command.section ?? '*') &&
      (command.reservationId !== undefined || ReservationId.safeParse(reservationId).success) &&
      EpochMs.safeParse(now).success;
    const request = trusted
      ? vouch(GroupReserveRequest, built)
      : validate('group reserve request', GroupReserveRequest, built);
    // checked in the constructor
    const outcome = await storeAnswer(
      this.options.inventory.reserveGroup!(request),
      this.options.answerWithinMs ?? DEFAULT_ANSWER_WITHIN_MS,
    );
    if (outcome instanceof UnknownOutcome) {
      return { ok: false, code: 'OUTCOME_UNKNOWN', reservationId: request.reservationId };
    }
    if (!outcome.ok) {
      return outcome.seatIds
        ? { ok: false, code: outcome.code, seatIds: outcome.seatIds }
        : { ok: false, code: outcome.code };
    }
    return { ...(await this.relay.accept(outcome, now)), adjacent: outcome.adjacent };
  }

  /** Whether `request` is valid with its per-call parts set to known-good values; cached by rows. */
  private setUpIsValid(request: GroupReserveRequest, rows: string): boolean {
    // the options are read per call, so they are part of the key
    const key = `${request.requireAdmission}|${request.relayLagLimitMs}|${rows}`;
    let valid = this.setUpValid.get(key);
    if (valid === undefined) {
      valid = GroupReserveRequest.safeParse({
        ...request,
        userId: 'u',
        reservationId: 'r',
        idempotencyKey: 'k',
        size: 1,
        fallback: 'split',
        now: 0,
      }).success;
      this.setUpValid.set(key, valid);
    }
    return valid;
  }
}
