import type { DomainEvent, EventOf } from '../events/events';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import type { InventoryStore } from '../ports/inventory-store';
import type { ReservationRepository, ReservationRow } from '../ports/reservation-repository';
import { holdStockChanged } from '../stock/audit';
import { type ReservationRef, reservationConfirmed, reservationEventId, reservationFailed } from './events';

/** What ends a reservation: the store, the source of truth, the pipeline and the time. */
export interface SettlementPorts {
  inventory: InventoryStore;
  repository: ReservationRepository;
  publisher: EventPublisher;
  clock: Clock;
}

/**
 * The end of failing a reservation, shared by the worker and the buyer-driven checkout: its units
 * back in the store (idempotent), COMPENSATED once they are back when it has a row recorded FAILED
 * (`recorded`), then its ReservationFailed, with the StockChanged(COMPENSATED) when this call gave
 * the units back. Each step may be replayed: the events' ids are derived from the reservation.
 */
export async function compensateFailed(
  ports: SettlementPorts,
  reservation: ReservationRef,
  reason: string,
  recorded: boolean,
): Promise<void> {
  const { inventory, repository, publisher, clock } = ports;
  const { saleId, reservationId } = reservation;
  const compensation = await inventory.compensate({ saleId, reservationId });
  if (compensation.ok && recorded) {
    await repository.transition({ reservationId, from: ['FAILED'], to: 'COMPENSATED', now: clock.now() });
  }
  const events: DomainEvent[] = [reservationFailed(reservation, reason, compensation.ok, clock.now())];
  if (compensation.ok && compensation.restored) {
    events.push(
      holdStockChanged(
        reservation,
        'COMPENSATED',
        clock.now(),
        reservationEventId(reservationId, 'stock-compensated'),
      ),
    );
  }
  await publisher.publish(events);
}

/** Publishes a confirmed reservation's ReservationConfirmed and StockChanged(CONFIRMED). */
export async function publishConfirmed(
  ports: Pick<SettlementPorts, 'publisher' | 'clock'>,
  row: ReservationRow,
  paymentId: string,
): Promise<void> {
  const now = ports.clock.now();
  await ports.publisher.publish([
    reservationConfirmed(row, paymentId, row.amountCents, now),
    holdStockChanged(row, 'CONFIRMED', now, reservationEventId(row.reservationId, 'stock-confirmed')),
  ]);
}

/** The row the worker records for a hold's `ReservationRequested`: REQUESTED, written at `now`. */
export function requestedRow(event: EventOf<'ReservationRequested'>, now: number): ReservationRow {
  const { payload } = event;
  return {
    reservationId: payload.reservationId,
    saleId: event.saleId,
    userId: payload.userId,
    idempotencyKey: payload.idempotencyKey,
    quantity: payload.quantity,
    seatIds: payload.seatIds,
    amountCents: payload.amountCents,
    status: 'REQUESTED',
    paymentId: null,
    failureReason: null,
    createdAt: event.occurredAt,
    updatedAt: now,
  };
}
