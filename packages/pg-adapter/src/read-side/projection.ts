import type { DomainEvent, DomainEventType, ReadReservationState, StockChangeReason } from '@seatrush/core';

/**
 * What one event contributes to the read tables, worked out in memory so a batch's SQL is a few
 * set-based statements (the per-minute counters are summed in SQL, over the events recorded).
 * Every contribution merges commutatively (ranks, sums, least/greatest), so the views depend on
 * which events were applied, never on their order; a reservation's merge is also idempotent, so
 * merging an event again changes nothing.
 */

/** Every event type the projector reads. */
export const PROJECTED_EVENT_TYPES = [
  'ReservationRequested',
  'ReservationConfirmed',
  'ReservationFailed',
  'StockChanged',
  'HoldExpired',
  'UserAdmitted',
] as const satisfies readonly DomainEventType[];

/** The row of `read_events`: the idempotency gate and the audit. */
export interface EventRow {
  eventId: string;
  saleId: string;
  type: DomainEventType;
  reason: string | null;
  reservationId: string | null;
  userId: string | null;
  seatIds: string[];
  delta: number;
  confirmedDelta: number;
  occurredAt: number;
}

/** What an event says about its reservation (merged into `read_reservations`). */
export interface ReservationContribution {
  saleId: string;
  reservationId: string;
  userId: string | null;
  quantity: number;
  seatIds: string[];
  amountCents: number;
  state: ReadReservationState;
  heldAt: number;
  expiresAt: number | null;
  settledAt: number | null;
  reason: string | null;
}

/** How far a state is along the reservation's life: the furthest one any event reached wins. */
export const STATE_RANK: Record<ReadReservationState, number> = {
  HELD: 1,
  EXPIRED: 2,
  RELEASED: 2,
  FAILED: 3,
  CONFIRMED: 4,
};

/** The width of a `read_sale_minutes` bucket: counters are kept per sale and minute of event time. */
export const MINUTE_MS = 60_000;

export function eventRowOf(event: DomainEvent): EventRow {
  const base = {
    eventId: event.eventId,
    saleId: event.saleId,
    type: event.type,
    reason: null,
    reservationId: null,
    userId: null,
    seatIds: [] as string[],
    delta: 0,
    confirmedDelta: 0,
    occurredAt: event.occurredAt,
  };
  switch (event.type) {
    case 'StockChanged':
      return {
        ...base,
        reason: event.payload.reason,
        reservationId: event.payload.reservationId ?? null,
        seatIds: event.payload.seatIds,
        delta: event.payload.delta,
        confirmedDelta: event.payload.confirmedDelta,
      };
    case 'UserAdmitted':
      return { ...base, userId: event.payload.userId };
    case 'ReservationFailed':
      return {
        ...base,
        reason: event.payload.reason,
        reservationId: event.payload.reservationId,
        userId: event.payload.userId,
        seatIds: event.payload.seatIds,
      };
    default:
      return {
        ...base,
        reservationId: event.payload.reservationId,
        userId: event.payload.userId,
        seatIds: event.payload.seatIds,
      };
  }
}

const STOCK_STATE: Partial<Record<StockChangeReason, ReadReservationState>> = {
  HELD: 'HELD',
  RELEASED: 'RELEASED',
  EXPIRED: 'EXPIRED',
  // the units came back; a ReservationFailed (rank 3) says why, when there is one
  COMPENSATED: 'RELEASED',
  CONFIRMED: 'CONFIRMED',
};

/** The event's word on its reservation, or null when it concerns none (admission, warm-up, repair). */
export function reservationContributionOf(event: DomainEvent): ReservationContribution | null {
  const at = event.occurredAt;
  const settled = (state: ReadReservationState) => (state === 'HELD' ? null : at);
  switch (event.type) {
    case 'UserAdmitted':
      return null;
    case 'StockChanged': {
      const state = STOCK_STATE[event.payload.reason];
      const reservationId = event.payload.reservationId;
      if (state === undefined || reservationId === undefined) return null;
      return {
        saleId: event.saleId,
        reservationId,
        userId: null,
        quantity: Math.max(Math.abs(event.payload.delta), event.payload.confirmedDelta, 1),
        seatIds: event.payload.seatIds,
        amountCents: 0,
        state,
        heldAt: at,
        expiresAt: null,
        settledAt: settled(state),
        reason: null,
      };
    }
    default: {
      const p = event.payload;
      const common = {
        saleId: event.saleId,
        reservationId: p.reservationId,
        userId: p.userId,
        quantity: p.quantity,
        seatIds: p.seatIds,
        heldAt: at,
        expiresAt: null,
        reason: null,
      };
      if (event.type === 'ReservationRequested') {
        return {
          ...common,
          amountCents: event.payload.amountCents,
          state: 'HELD',
          heldAt: event.payload.heldAt,
          expiresAt: event.payload.expiresAt,
          settledAt: null,
        };
      }
      if (event.type === 'ReservationConfirmed') {
        return { ...common, amountCents: event.payload.amountCents, state: 'CONFIRMED', settledAt: at };
      }
      if (event.type === 'ReservationFailed') {
        return { ...common, amountCents: 0, state: 'FAILED', settledAt: at, reason: event.payload.reason };
      }
      return { ...common, amountCents: 0, state: 'EXPIRED', settledAt: at };
    }
  }
}

/** Whether `a` outranks `b`: further along, then the greater state name, then the earlier settling. */
function outranks(a: ReservationContribution, b: ReservationContribution): boolean {
  if (STATE_RANK[a.state] !== STATE_RANK[b.state]) return STATE_RANK[a.state] > STATE_RANK[b.state];
  if (a.state !== b.state) return a.state > b.state;
  return (a.settledAt ?? 0) < (b.settledAt ?? 0);
}

/**
 * Merges two contributions to one reservation, the same way the SQL upsert does: commutative and
 * associative, so any grouping of a reservation's events gives the same row.
 */
export function mergeContributions(
  a: ReservationContribution,
  b: ReservationContribution,
): ReservationContribution {
  const [winner, loser] = outranks(b, a) ? [b, a] : [a, b];
  return {
    saleId: a.saleId,
    reservationId: a.reservationId,
    userId: a.userId ?? b.userId,
    quantity: Math.max(a.quantity, b.quantity),
    seatIds: a.seatIds.length >= b.seatIds.length ? a.seatIds : b.seatIds,
    amountCents: Math.max(a.amountCents, b.amountCents),
    state: winner.state,
    heldAt: Math.min(a.heldAt, b.heldAt),
    expiresAt:
      a.expiresAt === null
        ? b.expiresAt
        : b.expiresAt === null
          ? a.expiresAt
          : Math.max(a.expiresAt, b.expiresAt),
    settledAt: winner.settledAt,
    reason: winner.reason ?? (loser.state === winner.state ? loser.reason : null),
  };
}

/** The events' reservation contributions, one per reservation (merged). */
export function reservationContributions(events: DomainEvent[]): ReservationContribution[] {
  const byReservation = new Map<string, ReservationContribution>();
  for (const event of events) {
    const contribution = reservationContributionOf(event);
    if (contribution === null) continue;
    const key = `${contribution.saleId}\u0000${contribution.reservationId}`;
    const known = byReservation.get(key);
    byReservation.set(key, known ? mergeContributions(known, contribution) : contribution);
  }
  return [...byReservation.values()];
}
