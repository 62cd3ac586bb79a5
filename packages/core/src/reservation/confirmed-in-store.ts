import type { AlertSink } from '../ports/alert-sink';
import type { Clock } from '../ports/clock';
import type { InventoryStore } from '../ports/inventory-store';
import type { ReservationRow } from '../ports/reservation-repository';
import { SaleNotWarmError } from '../stock/warm-up';

/**
 * Makes sure the store keeps a CONFIRMED reservation as sold. The store is confirmed a moment
 * before the source of truth (the worker after the charge, the checkout on the paid webhook); a
 * store wiped and rebuilt in that moment read the row in flight and brought it back as a HELD hold,
 * whose expiry would free a sold unit for another buyer. Such a hold is confirmed again. A sale
 * not warm yet throws `SaleNotWarmError`: the retry (the worker's, the provider's next delivery of
 * the webhook), which finds the row CONFIRMED, looks again once the rebuild is done (a rebuild that
 * reads the row CONFIRMED counts it sold and restores no hold). A hold that cannot be confirmed
 * again (expired meanwhile) is alerted `CONFIRMED_HOLD_LOST` for the reconciler.
 */
export async function keepConfirmedInStore(
  ports: { inventory: InventoryStore; clock: Clock; alerts: AlertSink },
  row: ReservationRow,
): Promise<void> {
  const { inventory, clock, alerts } = ports;
  const hold = await inventory.getHold(row.saleId, row.reservationId);
  if (hold?.status === 'CONFIRMED') return;
  if (!hold && !(await inventory.isWarm(row.saleId))) throw notWarm(row.saleId);
  if (hold?.status !== 'HELD') return;
  const again = await inventory.confirm({
    saleId: row.saleId,
    reservationId: row.reservationId,
    userId: row.userId,
    now: clock.now(),
  });
  if (!again.ok && again.code === 'SALE_NOT_WARM') throw notWarm(row.saleId);
  if (!again.ok) {
    await alerts.alert({
      severity: 'critical',
      code: 'CONFIRMED_HOLD_LOST',
      message: `reservation ${row.reservationId} is CONFIRMED but the store's hold of it could not be confirmed again (${again.code}); the reconciler counts it sold`,
      context: { saleId: row.saleId, reservationId: row.reservationId, code: again.code },
    });
  }
}

/** The retriable error of a reservation met while the store does not hold its sale. */
export function notWarm(saleId: string): SaleNotWarmError {
  return new SaleNotWarmError(saleId, ['the store lost the sale; retried once it is rebuilt']);
}
