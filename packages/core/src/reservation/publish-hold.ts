import type { AlertSink } from '../ports/alert-sink';
import type { EventPublisher } from '../ports/event-publisher';
import type { HoldRecord, InventoryStore } from '../ports/inventory-store';
import { holdStockChanged } from '../stock/audit';
import { describeError } from './describe-error';
import { reservationRequested } from './events';

/** The ports a new hold is published and, on failure, compensated through. */
export interface HoldPublishing {
  publisher: EventPublisher;
  inventory: InventoryStore;
  alerts: AlertSink;
}

/**
 * Publishes a new hold's ReservationRequested (and its HELD audit) so the processor takes payment.
 * When the publish fails the hold is compensated at once (stock back, seats free, idempotency key
 * cleared), so nothing stays held for a request nobody will process, and the answer is false.
 * `what` names the hold in the operator's alert ("reservation", "group reservation", …).
 */
export async function publishHoldOrCompensate(
  ports: HoldPublishing,
  hold: HoldRecord,
  amountCents: number,
  now: number,
  what: string,
): Promise<boolean> {
  try {
    await ports.publisher.publish([
      reservationRequested(hold, amountCents, now),
      holdStockChanged(hold, 'HELD', now),
    ]);
    return true;
  } catch (publishError) {
    try {
      await ports.inventory.compensate({ saleId: hold.saleId, reservationId: hold.reservationId });
    } catch (error) {
      // the hold will still expire and the sweeper will return its stock; an operator should know
      await ports.alerts.alert({
        severity: 'critical',
        code: 'COMPENSATION_FAILED',
        message: `could not compensate ${what} ${hold.reservationId} after a failed publish`,
        context: {
          reservationId: hold.reservationId,
          saleId: hold.saleId,
          publishError: describeError(publishError),
          error: describeError(error),
        },
      });
    }
    return false;
  }
}
