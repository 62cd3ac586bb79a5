import {
  accept,
  eventsOf,
  type InvalidTransition,
  refuse,
  type TransitionResult,
  type TransitionTable,
  targetOf,
} from './machine';

/** Every status of a unit of stock (a seat, or one general-admission unit). */
export const UNIT_STATES = ['AVAILABLE', 'HELD', 'CONFIRMED'] as const;
/** The status of a unit: the same values as the store's `SeatState`. */
export type UnitStatus = (typeof UNIT_STATES)[number];

/**
 * A unit with what its guards need: who holds it and until when. A hold is live while
 * `at < expiresAt`; from `expiresAt` on it is expired, even before a sweeper has noticed.
 */
export type UnitHold =
  | { status: 'AVAILABLE' }
  | { status: 'HELD'; owner: string; heldAt: number; expiresAt: number }
  | { status: 'CONFIRMED'; owner: string; confirmedAt: number };

/**
 * What can happen to a unit. Every event carries its time `at` (from the Clock port) and, when a
 * user sends it, the acting user `actor`; `EXPIRE` and `COMPENSATE` come from the system.
 */
export type UnitEvent =
  /** Take the unit for `holdMs` (docs/design.md §Holds and stock). */
  | { type: 'HOLD'; actor: string; at: number; holdMs: number }
  /** Owner only, live holds only: expiry becomes `max(expiresAt, at + holdMs)`. */
  | { type: 'EXTEND'; actor: string; at: number; holdMs: number }
  /** Owner only, live holds only: give the unit back (the user cancels). */
  | { type: 'RELEASE'; actor: string; at: number }
  /** Owner only, live holds only: the payment went through. */
  | { type: 'CONFIRM'; actor: string; at: number }
  /** The sweeper returns a hold whose time has passed. */
  | { type: 'EXPIRE'; at: number }
  /** Undo whatever the unit's state (failed publish, failed payment, refund). */
  | { type: 'COMPENSATE'; at: number };
/** The type tags of `UnitEvent`. */
export type UnitEventType = UnitEvent['type'];

/**
 * AVAILABLE → HELD → CONFIRMED, and HELD → AVAILABLE on expiry, cancel (release) or
 * compensation. HELD → HELD is an extension by the owner, or a new hold of a unit whose previous
 * hold has expired but was not swept yet. CONFIRMED → AVAILABLE only by compensation (a refund).
 * No status is terminal: a unit goes back on sale whenever it is given back.
 */
export const UNIT_TRANSITIONS: TransitionTable<UnitStatus, UnitEventType> = {
  AVAILABLE: { HOLD: 'HELD' },
  HELD: {
    HOLD: 'HELD',
    EXTEND: 'HELD',
    RELEASE: 'AVAILABLE',
    CONFIRM: 'CONFIRMED',
    EXPIRE: 'AVAILABLE',
    COMPENSATE: 'AVAILABLE',
  },
  CONFIRMED: { COMPENSATE: 'AVAILABLE' },
};

/** Every unit event type, for enumeration: the events its table knows. */
export const UNIT_EVENT_TYPES: readonly UnitEventType[] = eventsOf(UNIT_TRANSITIONS);

/**
 * Why a unit event was refused:
 * - `INVALID_TRANSITION`: not legal in this status at all;
 * - `NOT_OWNER`: another user tried to extend, release or confirm the hold;
 * - `EXPIRED`: the owner was too late (`at >= expiresAt`);
 * - `SEAT_TAKEN`: a hold on a unit whose live hold belongs to someone (the owner included);
 * - `NOT_DUE`: an expiry before the hold's time;
 * - `INVALID_DURATION`: `holdMs` is not a positive integer.
 */
export type UnitRefusal =
  | InvalidTransition
  | 'NOT_OWNER'
  | 'EXPIRED'
  | 'SEAT_TAKEN'
  | 'NOT_DUE'
  | 'INVALID_DURATION';

/** Stock bookkeeping the caller must do after an accepted unit transition (in order). */
export type UnitEffect =
  /** One unit less available (DECR). */
  | 'TAKE_STOCK'
  /** One unit available again (INCR). */
  | 'RETURN_STOCK'
  /** Announce the expiry (`HoldExpired`). */
  | 'PUBLISH_HOLD_EXPIRED';

/** The result of `transitionUnit`. */
export type UnitTransition = TransitionResult<UnitHold, UnitEvent, UnitEffect, UnitRefusal>;

const isLive = (hold: { expiresAt: number }, at: number) => at < hold.expiresAt;
const validDuration = (ms: number) => Number.isSafeInteger(ms) && ms > 0;

/**
 * Applies `event` to a unit. Pure: it decides, the caller performs the effects. The owner is
 * checked before the time, so another user learns nothing about a hold's expiry.
 */
export function transitionUnit(unit: UnitHold, event: UnitEvent): UnitTransition {
  const to = targetOf(UNIT_TRANSITIONS, unit.status, event.type);
  if (to === undefined) return refuse('INVALID_TRANSITION', unit, event);
  switch (event.type) {
    case 'HOLD': {
      if (!validDuration(event.holdMs)) return refuse('INVALID_DURATION', unit, event);
      const held: UnitHold = {
        status: 'HELD',
        owner: event.actor,
        heldAt: event.at,
        expiresAt: event.at + event.holdMs,
      };
      if (unit.status === 'AVAILABLE') return accept(held, ['TAKE_STOCK']);
      if (unit.status === 'HELD' && !isLive(unit, event.at))
        // the old hold expired but was not swept: its unit comes back and is taken again at once
        return accept(held, ['RETURN_STOCK', 'PUBLISH_HOLD_EXPIRED', 'TAKE_STOCK']);
      return refuse('SEAT_TAKEN', unit, event);
    }
    case 'EXTEND':
    case 'RELEASE':
    case 'CONFIRM': {
      if (unit.status !== 'HELD') return refuse('INVALID_TRANSITION', unit, event);
      if (unit.owner !== event.actor) return refuse('NOT_OWNER', unit, event);
      if (!isLive(unit, event.at)) return refuse('EXPIRED', unit, event);
      if (event.type === 'RELEASE') return accept({ status: 'AVAILABLE' }, ['RETURN_STOCK']);
      if (event.type === 'CONFIRM')
        return accept({ status: 'CONFIRMED', owner: unit.owner, confirmedAt: event.at }, []);
      if (!validDuration(event.holdMs)) return refuse('INVALID_DURATION', unit, event);
      // an extension never shortens a hold: a late, shorter request must not cut the owner's time
      return accept({ ...unit, expiresAt: Math.max(unit.expiresAt, event.at + event.holdMs) }, []);
    }
    case 'EXPIRE':
      if (unit.status === 'HELD' && isLive(unit, event.at)) return refuse('NOT_DUE', unit, event);
      return accept({ status: 'AVAILABLE' }, ['RETURN_STOCK', 'PUBLISH_HOLD_EXPIRED']);
    case 'COMPENSATE':
      return accept({ status: 'AVAILABLE' }, ['RETURN_STOCK']);
  }
}
