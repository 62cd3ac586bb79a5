import {
  accept,
  eventsOf,
  type InvalidTransition,
  refuse,
  type TransitionResult,
  type TransitionTable,
  targetOf,
} from './machine';

/** Every state of a sale, in lifecycle order. */
export const SALE_STATES = ['DRAFT', 'WARMING', 'READY', 'OPEN', 'PAUSED', 'CLOSED'] as const;
/** Where a sale is in its lifecycle. */
export type SaleState = (typeof SALE_STATES)[number];

/** What can happen to a sale; the operator (or a scheduler) sends these. */
export type SaleEvent =
  /** Load the sale from the source of truth into the store (docs/design.md §Cache warming). */
  | { type: 'START_WARMUP' }
  /** The store holds the sale and verification matched the source of truth. */
  | { type: 'WARMUP_SUCCEEDED' }
  /** Loading or verification failed; `reason` is for the operator alert. */
  | { type: 'WARMUP_FAILED'; reason: string }
  /** Start selling. `warm` is the store's answer right now; `at` the clock's time. */
  | { type: 'OPEN'; at: number; opensAt: number; warm: boolean }
  /** Stop admitting and reserving for a while (an incident, a store repair). */
  | { type: 'PAUSE' }
  /** Sell again after a pause; refused unless the store is warm. */
  | { type: 'RESUME'; warm: boolean }
  /** End the sale for good: sold out, over, or cancelled before it opened. */
  | { type: 'CLOSE' };
/** The type tags of `SaleEvent`. */
export type SaleEventType = SaleEvent['type'];

/**
 * The sale lifecycle: DRAFT → WARMING → READY → OPEN ⇄ PAUSED → CLOSED. Decisions beyond the
 * happy path, and why:
 * - WARMING → DRAFT on a failed warm-up: the sale is not warm, so it must not open (the opening
 *   is delayed: docs/design.md §Cache warming); the operator fixes the cause and warms again.
 * - READY → WARMING and PAUSED → WARMING: re-warm after the definition changed or the store lost
 *   its data (a Redis restart). A paused sale that was re-warmed goes through READY and OPEN again.
 * - Any state but CLOSED → CLOSED: a sale may be cancelled before it opens. CLOSED is terminal.
 */
export const SALE_TRANSITIONS: TransitionTable<SaleState, SaleEventType> = {
  DRAFT: { START_WARMUP: 'WARMING', CLOSE: 'CLOSED' },
  WARMING: { WARMUP_SUCCEEDED: 'READY', WARMUP_FAILED: 'DRAFT', CLOSE: 'CLOSED' },
  READY: { OPEN: 'OPEN', START_WARMUP: 'WARMING', CLOSE: 'CLOSED' },
  OPEN: { PAUSE: 'PAUSED', CLOSE: 'CLOSED' },
  PAUSED: { RESUME: 'OPEN', START_WARMUP: 'WARMING', CLOSE: 'CLOSED' },
  CLOSED: {},
};

/** Every sale event type, for enumeration: the events its table knows. */
export const SALE_EVENT_TYPES: readonly SaleEventType[] = eventsOf(SALE_TRANSITIONS);

/**
 * Why a sale event was refused: not legal in this state (`INVALID_TRANSITION`), the store has not
 * loaded the sale (`SALE_NOT_WARM`, the store's own code), or the opening time has not come
 * (`TOO_EARLY`). Codes of the SDK's one vocabulary (`RefusalCode`), answered as they are.
 */
export type SaleRefusal = InvalidTransition | 'SALE_NOT_WARM' | 'TOO_EARLY';

/** What the caller must do after an accepted sale transition. */
export type SaleEffect =
  | 'LOAD_INVENTORY'
  | 'ALERT_OPERATOR'
  | 'START_ADMISSION'
  | 'STOP_ADMISSION'
  | 'CLOSE_WAITING_ROOM';

/** The result of `transitionSale`. */
export type SaleTransition = TransitionResult<SaleState, SaleEvent, SaleEffect, SaleRefusal>;

function saleEffects(from: SaleState, event: SaleEvent): SaleEffect[] {
  switch (event.type) {
    case 'START_WARMUP':
      // a re-warm of a READY sale stops nothing; a PAUSED one has admission stopped already
      return ['LOAD_INVENTORY'];
    case 'WARMUP_FAILED':
      return ['ALERT_OPERATOR'];
    case 'OPEN':
    case 'RESUME':
      return ['START_ADMISSION'];
    case 'PAUSE':
      return ['STOP_ADMISSION'];
    case 'CLOSE':
      if (from === 'OPEN') return ['STOP_ADMISSION', 'CLOSE_WAITING_ROOM'];
      // a waiting room may be open before the sale is (users queue up ahead of opening time)
      return from === 'READY' || from === 'PAUSED' ? ['CLOSE_WAITING_ROOM'] : [];
    case 'WARMUP_SUCCEEDED':
      return [];
  }
}

/**
 * Applies `event` to a sale in `state`. Pure: it decides, the caller performs the effects.
 * OPEN is refused with SALE_NOT_WARM when the store is not warm and TOO_EARLY before `opensAt`;
 * RESUME with SALE_NOT_WARM.
 */
export function transitionSale(state: SaleState, event: SaleEvent): SaleTransition {
  const to = targetOf(SALE_TRANSITIONS, state, event.type);
  if (to === undefined) return refuse('INVALID_TRANSITION', state, event);
  if ((event.type === 'OPEN' || event.type === 'RESUME') && !event.warm)
    return refuse('SALE_NOT_WARM', state, event);
  if (event.type === 'OPEN' && event.at < event.opensAt) return refuse('TOO_EARLY', state, event);
  return accept(to, saleEffects(state, event));
}
