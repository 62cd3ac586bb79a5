import { randomUUID } from 'node:crypto';
import type { DomainEvent, EventOf, StockChangeReason } from '../events/events';
import type { AlertSink } from '../ports/alert-sink';
import type { EventPublisher } from '../ports/event-publisher';
import type { HoldRecord } from '../ports/inventory-store';
import { describeError } from '../reservation/describe-error';

/**
 * The audit event of one stock change. Every change of a sale's stock is published as one, so
 * replaying the topic rebuilds the sale's inventory and an operator can trace every unit.
 */
export function stockChanged(input: {
  saleId: string;
  reason: StockChangeReason;
  /** Change of available units: negative when units were taken. */
  delta: number;
  confirmedDelta: number;
  reservationId?: string;
  seatIds: string[];
  /** The partitioning key; the reservation id when there is one, so its events stay in order. */
  key?: string;
  /** A fixed id lets a replayed handler republish the same event instead of a second one. */
  eventId?: string;
  now: number;
}): EventOf<'StockChanged'> {
  return {
    eventId: input.eventId ?? randomUUID(),
    type: 'StockChanged',
    version: 1,
    saleId: input.saleId,
    key: input.key ?? input.reservationId ?? input.saleId,
    occurredAt: input.now,
    payload: {
      reason: input.reason,
      delta: input.delta,
      confirmedDelta: input.confirmedDelta,
      ...(input.reservationId === undefined ? {} : { reservationId: input.reservationId }),
      seatIds: input.seatIds,
    },
  };
}

/** The audit event of a hold's units changing hands (held, released, expired, compensated, confirmed). */
export function holdStockChanged(
  hold: Pick<HoldRecord, 'saleId' | 'reservationId' | 'quantity' | 'seatIds'>,
  reason: Exclude<StockChangeReason, 'REPAIRED' | 'WARMED'>,
  now: number,
  eventId?: string,
): EventOf<'StockChanged'> {
  const delta = reason === 'HELD' ? -hold.quantity : reason === 'CONFIRMED' ? 0 : hold.quantity;
  return stockChanged({
    saleId: hold.saleId,
    reason,
    delta,
    confirmedDelta: reason === 'CONFIRMED' ? hold.quantity : 0,
    reservationId: hold.reservationId,
    seatIds: hold.seatIds,
    now,
    ...(eventId === undefined ? {} : { eventId }),
  });
}

/**
 * Publishes audit events. A failure is an AUDIT_PUBLISH_FAILED warning (`message`, `context` and
 * the error), never thrown: the change itself stands. Without a publisher there is nothing to do.
 */
export async function publishAudit(
  ports: { publisher?: EventPublisher | undefined; alerts?: AlertSink | undefined },
  events: DomainEvent[],
  failure: { message: string; context: Record<string, unknown> },
): Promise<void> {
  if (!ports.publisher) return;
  try {
    await ports.publisher.publish(events);
  } catch (error) {
    await ports.alerts?.alert({
      severity: 'warning',
      code: 'AUDIT_PUBLISH_FAILED',
      message: failure.message,
      context: { ...failure.context, error: describeError(error) },
    });
  }
}
