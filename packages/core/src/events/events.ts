import { z } from 'zod';
import { EpochMs, IdempotencyKey, ReservationId, SaleId, SeatId, UserId } from '../common/ids';

/**
 * Domain events. They are the Kafka message bodies too, so every one is versioned: a consumer
 * validates the envelope and sends what it cannot read to the dead-letter topic.
 */
const envelope = <T extends string, P extends z.ZodType>(type: T, payload: P) =>
  z.object({
    /** Unique per event; consumers deduplicate on it. */
    eventId: z.string().min(1).max(64),
    type: z.literal(type),
    version: z.literal(1),
    saleId: SaleId,
    /** Partitioning key: the reservation id by default, so one reservation's events stay ordered. */
    key: z.string().min(1).max(128),
    occurredAt: EpochMs,
    traceId: z.string().max(128).optional(),
    idempotencyKey: IdempotencyKey.optional(),
    payload,
  });

const reservationRef = {
  reservationId: ReservationId,
  userId: UserId,
  quantity: z.number().int().positive(),
  seatIds: z.array(SeatId),
};

export const ReservationRequested = envelope(
  'ReservationRequested',
  z.object({
    ...reservationRef,
    idempotencyKey: IdempotencyKey,
    amountCents: z.number().int().nonnegative(),
    heldAt: EpochMs,
    expiresAt: EpochMs,
  }),
);
export const ReservationConfirmed = envelope(
  'ReservationConfirmed',
  z.object({
    ...reservationRef,
    paymentId: z.string().min(1).max(128),
    amountCents: z.number().int().nonnegative(),
  }),
);
export const ReservationFailed = envelope(
  'ReservationFailed',
  z.object({
    ...reservationRef,
    /** A stable code: PAYMENT_DECLINED, HOLD_EXPIRED, PUBLISH_FAILED, PROCESSING_FAILED, … */
    reason: z.string().min(1).max(64),
    /** Whether the stock and seats were given back. */
    compensated: z.boolean(),
  }),
);
export const StockChangeReason = z.enum([
  'HELD',
  'RELEASED',
  'EXPIRED',
  'COMPENSATED',
  'CONFIRMED',
  'REPAIRED',
  'WARMED',
]);
export type StockChangeReason = z.infer<typeof StockChangeReason>;
/** Audit of every stock change: replaying them rebuilds a sale's inventory (event sourcing). */
export const StockChanged = envelope(
  'StockChanged',
  z.object({
    reason: StockChangeReason,
    /** Change of available units (negative when units were taken). */
    delta: z.number().int(),
    /** Change of confirmed units. */
    confirmedDelta: z.number().int(),
    reservationId: ReservationId.optional(),
    seatIds: z.array(SeatId),
  }),
);
export const HoldExpired = envelope('HoldExpired', z.object(reservationRef));
export const UserAdmitted = envelope(
  'UserAdmitted',
  z.object({ userId: UserId, ticket: z.number().int().positive(), until: EpochMs }),
);

export const DomainEvent = z.discriminatedUnion('type', [
  ReservationRequested,
  ReservationConfirmed,
  ReservationFailed,
  StockChanged,
  HoldExpired,
  UserAdmitted,
]);
export type DomainEvent = z.infer<typeof DomainEvent>;
export type DomainEventType = DomainEvent['type'];
/** The event of one type, e.g. `EventOf<'ReservationRequested'>`. */
export type EventOf<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;
