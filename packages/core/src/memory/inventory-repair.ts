import type { InventoryTruth } from '../ports/inventory-store';

/**
 * The confirmed units a repair leaves in the store (the rule of `InventoryStore.repair`), from
 * the store's confirmed units at the repair (`confirmedNow`) and the most it may confirm beside
 * its live holds (`roomBesideHolds`, initial − held):
 *
 * - never below the truth's confirmed units (the store lost sales: it would oversell);
 * - never above the truth's confirmed + pending units (nobody bought them: it would undersell),
 *   a ceiling raised by what the store confirmed since `observedConfirmed` was read: the truth,
 *   read after that, may not know those reservations yet, and lowering them would free sold units;
 * - otherwise unchanged (a pending reservation may be confirmed in the store already);
 * - and never more than `roomBesideHolds`: a unit held stays held.
 *
 * The stores apply it inside their one atomic repair step (the Redis scripts repeat it in Lua).
 */
export function repairedConfirmed(
  truth: Pick<InventoryTruth, 'confirmedUnits' | 'pendingUnits' | 'observedConfirmed'>,
  confirmedNow: number,
  roomBesideHolds: number,
): number {
  const confirmedSince = Math.max(0, confirmedNow - (truth.observedConfirmed ?? confirmedNow));
  const ceiling = truth.confirmedUnits + truth.pendingUnits + confirmedSince;
  const kept = Math.min(Math.max(confirmedNow, truth.confirmedUnits), ceiling);
  return Math.max(0, Math.min(kept, roomBesideHolds));
}
