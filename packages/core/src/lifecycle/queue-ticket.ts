import {
  accept,
  eventsOf,
  type InvalidTransition,
  refuse,
  type TransitionResult,
  type TransitionTable,
  targetOf,
} from './machine';

/** Every state of a waiting-room ticket. */
export const TICKET_STATES = ['WAITING', 'ADMITTED', 'USED', 'EXPIRED', 'LEFT'] as const;
/** Where a user's place in the waiting room stands. */
export type TicketState = (typeof TICKET_STATES)[number];

/** What can happen to a ticket. */
export type TicketEvent =
  /** The admission tick let the user in (docs/design.md §Waiting room). */
  | { type: 'ADMIT' }
  /** The client is still there (a heartbeat; docs/design.md §Waiting room). */
  | { type: 'HEARTBEAT' }
  /** The admission was spent: the user finished reserving. */
  | { type: 'USE' }
  /** Evicted while waiting (no heartbeat for too long), or the admission session ran out. */
  | { type: 'EXPIRE' }
  /** The user left on purpose (closed the page, pressed "leave"). */
  | { type: 'LEAVE' };
/** The type tags of `TicketEvent`. */
export type TicketEventType = TicketEvent['type'];

/**
 * WAITING → ADMITTED → USED | EXPIRED | LEFT, and WAITING → LEFT | EXPIRED when a waiting user
 * leaves or is evicted. A heartbeat keeps either live state as it is. USED, EXPIRED and LEFT are
 * terminal: a user who comes back joins again and gets a new ticket at the back.
 */
export const TICKET_TRANSITIONS: TransitionTable<TicketState, TicketEventType> = {
  WAITING: { ADMIT: 'ADMITTED', HEARTBEAT: 'WAITING', EXPIRE: 'EXPIRED', LEAVE: 'LEFT' },
  ADMITTED: { HEARTBEAT: 'ADMITTED', USE: 'USED', EXPIRE: 'EXPIRED', LEAVE: 'LEFT' },
  USED: {},
  EXPIRED: {},
  LEFT: {},
};

/** Every ticket event type, for enumeration: the events its table knows. */
export const TICKET_EVENT_TYPES: readonly TicketEventType[] = eventsOf(TICKET_TRANSITIONS);

/** Why a ticket event was refused. */
export type TicketRefusal = InvalidTransition;

/** What the caller must do after an accepted ticket transition. */
export type TicketEffect =
  /** Hand the user a signed, user- and sale-bound admission token. */
  | 'ISSUE_ADMISSION_TOKEN'
  /** Record the heartbeat's time, so eviction leaves this user alone. */
  | 'TOUCH'
  /** Take the ticket out of the waiting line (positions behind it move up). */
  | 'REMOVE_FROM_QUEUE'
  /** An admitted user is gone: the slot counts no more against the maximum of active users. */
  | 'FREE_ADMISSION_SLOT';

/** The result of `transitionTicket`. */
export type TicketTransition = TransitionResult<TicketState, TicketEvent, TicketEffect, TicketRefusal>;

/** Applies `event` to a ticket in `state`. Pure: it decides, the caller performs the effects. */
export function transitionTicket(state: TicketState, event: TicketEvent): TicketTransition {
  const to = targetOf(TICKET_TRANSITIONS, state, event.type);
  if (to === undefined) return refuse('INVALID_TRANSITION', state, event);
  switch (event.type) {
    case 'ADMIT':
      return accept(to, ['ISSUE_ADMISSION_TOKEN']);
    case 'HEARTBEAT':
      return accept(to, ['TOUCH']);
    default:
      return accept(to, [state === 'WAITING' ? 'REMOVE_FROM_QUEUE' : 'FREE_ADMISSION_SLOT']);
  }
}
