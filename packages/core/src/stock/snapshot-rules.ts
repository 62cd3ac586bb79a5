import { ValidationError, type ValidationIssue } from '../common/errors';
import type { InventorySnapshot } from '../ports/inventory-store';

/**
 * Checks the rules of an inventory snapshot that its schema cannot state alone: numbers and seats
 * that agree with each other, and restored holds that fit the stock and the seat map. Every
 * `InventoryStore`'s `load` and `restore` check a parsed snapshot with it, so each adapter refuses
 * the same snapshots with the same issues.
 * @throws ValidationError listing every issue.
 */
export function checkSnapshotRules(snapshot: InventorySnapshot): void {
  const issues = snapshotIssues(snapshot);
  if (issues.length > 0) throw new ValidationError('inventory snapshot', issues);
}

/** What zod cannot see: a snapshot whose numbers and seats do not agree with each other. */
function snapshotIssues(snapshot: InventorySnapshot): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (snapshot.available > snapshot.initialStock) {
    issues.push({ path: 'available', message: 'is more than initialStock' });
  }
  const seats = new Set(snapshot.seatIds);
  if (seats.size !== snapshot.seatIds.length) issues.push({ path: 'seatIds', message: 'seat ids repeat' });
  if (snapshot.seatIds.length > 0) {
    if (snapshot.initialStock !== seats.size) {
      issues.push({ path: 'initialStock', message: 'must equal the number of seats' });
    }
    const unknown = snapshot.confirmedSeatIds.filter((id) => !seats.has(id));
    if (unknown.length > 0) {
      issues.push({ path: 'confirmedSeatIds', message: `not in the seat map: ${unknown.join(', ')}` });
    }
    if (snapshot.available > seats.size - new Set(snapshot.confirmedSeatIds).size) {
      issues.push({ path: 'available', message: 'is more than the seats not confirmed' });
    }
  } else if (snapshot.confirmedSeatIds.length > 0) {
    issues.push({ path: 'confirmedSeatIds', message: 'a general-admission sale has no seats' });
  }
  issues.push(...restoredHoldIssues(snapshot));
  return issues;
}

/** A snapshot's restored holds must fit it: units, seats, ids. */
function restoredHoldIssues(snapshot: InventorySnapshot): ValidationIssue[] {
  const holds = snapshot.holds ?? [];
  const issues: ValidationIssue[] = [];
  if (holds.length === 0) return issues;
  const units = holds.reduce((sum, hold) => sum + hold.quantity, 0);
  if (units > snapshot.initialStock - snapshot.available) {
    issues.push({ path: 'holds', message: 'hold more units than are not available' });
  }
  const seats = new Set(snapshot.seatIds);
  const sold = new Set(snapshot.confirmedSeatIds);
  const taken = new Set<string>();
  const ids = new Set<string>();
  for (const hold of holds) {
    if (ids.has(hold.reservationId)) issues.push({ path: 'holds', message: `${hold.reservationId} repeats` });
    ids.add(hold.reservationId);
    if (seats.size > 0 && hold.seatIds.length !== hold.quantity) {
      issues.push({
        path: 'holds',
        message: `${hold.reservationId} holds ${hold.seatIds.length} seats for ${hold.quantity} units`,
      });
    }
    if (seats.size === 0 && hold.seatIds.length > 0) {
      issues.push({ path: 'holds', message: 'a general-admission sale has no seats' });
    }
    for (const id of hold.seatIds) {
      if (seats.size > 0 && (!seats.has(id) || sold.has(id) || taken.has(id))) {
        issues.push({
          path: 'holds',
          message: `seat ${id} of ${hold.reservationId} is unknown, sold or held twice`,
        });
      }
      taken.add(id);
    }
  }
  return issues;
}
