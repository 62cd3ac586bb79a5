import type { ReservationStatus } from '../ports/reservation-repository';
import {
  accept,
  eventsOf,
  type InvalidTransition,
  refuse,
  type TransitionResult,
  type TransitionTable,
  targetOf,
} from './machine';

/** Every state of a reservation (the statuses the source of truth stores). */
export const RESERVATION_STATES = [
  'REQUESTED',
  'PAYMENT_PENDING',
  'CONFIRMED',
  'FAILED',
  'COMPENSATED',
] as const satisfies readonly ReservationStatus[];
/** Where a reservation stands; the same values as the repository's `ReservationStatus`. */
export type ReservationState = (typeof RESERVATION_STATES)[number];

/** What can happen to a reservation on the consumer side (docs/design.md §Reservation and hold). */
export type ReservationEvent =
  /** Persisted; the payment is being charged. */
  | { type: 'START_PAYMENT' }
  | { type: 'PAYMENT_APPROVED'; paymentId: string }
  | { type: 'PAYMENT_DECLINED'; reason: string }
  /** Processing gave up (last retry failed, the hold expired first, a poison message). */
  | { type: 'FAIL'; reason: string }
  /** The reservation's stock and seats were given back (docs/design.md §Failure handling). */
  | { type: 'COMPENSATE' };
/** The type tags of `ReservationEvent`. */
export type ReservationEventType = ReservationEvent['type'];

/**
 * REQUESTED → PAYMENT_PENDING → CONFIRMED | FAILED; COMPENSATED once the stock was returned.
 * FAILED is not terminal: it waits for its compensation. REQUESTED and PAYMENT_PENDING may go
 * straight to COMPENSATED when the stock was returned before the failure was recorded (a failed
 * publish, an expired hold swept first). CONFIRMED is reached only through PAYMENT_PENDING.
 * CONFIRMED and COMPENSATED are terminal.
 */
export const RESERVATION_TRANSITIONS: TransitionTable<ReservationState, ReservationEventType> = {
  REQUESTED: { START_PAYMENT: 'PAYMENT_PENDING', FAIL: 'FAILED', COMPENSATE: 'COMPENSATED' },
  PAYMENT_PENDING: {
    PAYMENT_APPROVED: 'CONFIRMED',
    PAYMENT_DECLINED: 'FAILED',
    FAIL: 'FAILED',
    COMPENSATE: 'COMPENSATED',
  },
  CONFIRMED: {},
  FAILED: { COMPENSATE: 'COMPENSATED' },
  COMPENSATED: {},
};

/** Every reservation event type, for enumeration: the events its table knows. */
export const RESERVATION_EVENT_TYPES: readonly ReservationEventType[] = eventsOf(RESERVATION_TRANSITIONS);

/** Why a reservation event was refused. */
export type ReservationRefusal = InvalidTransition;

/** What the caller must do after an accepted reservation transition. */
export type ReservationEffect =
  | 'CHARGE_PAYMENT'
  /** Turn the hold into a sale (owner-only confirm in the store). */
  | 'CONFIRM_HOLD'
  | 'PUBLISH_CONFIRMED'
  /** Give the stock and seats back (the store's idempotent `compensate`), then send COMPENSATE. */
  | 'RETURN_STOCK'
  | 'PUBLISH_FAILED';

/** The result of `transitionReservation`. */
export type ReservationTransition = TransitionResult<
  ReservationState,
  ReservationEvent,
  ReservationEffect,
  ReservationRefusal
>;

const RESERVATION_EFFECTS: Record<ReservationEventType, readonly ReservationEffect[]> = {
  START_PAYMENT: ['CHARGE_PAYMENT'],
  PAYMENT_APPROVED: ['CONFIRM_HOLD', 'PUBLISH_CONFIRMED'],
  PAYMENT_DECLINED: ['RETURN_STOCK'],
  FAIL: ['RETURN_STOCK'],
  COMPENSATE: ['PUBLISH_FAILED'],
};

/** Applies `event` to a reservation in `state`. Pure: it decides, the caller performs the effects. */
export function transitionReservation(
  state: ReservationState,
  event: ReservationEvent,
): ReservationTransition {
  const to = targetOf(RESERVATION_TRANSITIONS, state, event.type);
  if (to === undefined) return refuse('INVALID_TRANSITION', state, event);
  return accept(to, RESERVATION_EFFECTS[event.type]);
}
