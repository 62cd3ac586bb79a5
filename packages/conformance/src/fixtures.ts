import type {
  HoldRecord,
  InventorySnapshot,
  InventoryStore,
  ReserveOutcome,
  ReserveRequest,
  SaleDefinitionInput,
  Selection,
} from '@seatrush/core';
import { seatRow } from '@seatrush/core/testing';
import { expect } from 'vitest';

let sequence = 0;

/**
 * A fresh id in the safe alphabet, unique within the process and across runs (a random part), so
 * suites never collide even when factories share a server, a key prefix or a topic.
 */
export function freshId(prefix: string): string {
  sequence += 1;
  return `${prefix}-${sequence.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * The instant a check starts from: the real time rounded to the second, so a store that also sets
 * real TTLs for garbage collection (beyond the logical expiry) keeps its keys for the test.
 */
export function startOfTest(): number {
  return Math.floor(Date.now() / 1_000) * 1_000;
}

/** A small general-admission sale: `stock` identical units, `ticketsPerUser` per user. */
export function generalSnapshot(
  saleId: string,
  options: { stock?: number; ticketsPerUser?: number; confirmedPerUser?: Record<string, number> } = {},
): InventorySnapshot {
  const stock = options.stock ?? 10;
  const confirmed = Object.values(options.confirmedPerUser ?? {}).reduce((a, b) => a + b, 0);
  return {
    saleId,
    initialStock: stock,
    available: stock - confirmed,
    seatIds: [],
    confirmedSeatIds: [],
    ticketsPerUser: options.ticketsPerUser ?? 4,
    confirmedPerUser: options.confirmedPerUser ?? {},
  };
}

/** A fresh sale (`<prefix>-…`) of `snapshot(saleId)` loaded into `inventory`: its id. */
async function loadSale(
  inventory: InventoryStore,
  prefix: string,
  snapshot: (saleId: string) => InventorySnapshot,
): Promise<string> {
  const saleId = freshId(prefix);
  await inventory.load(snapshot(saleId));
  return saleId;
}

/** A fresh general-admission sale (`<prefix>-…`, see `generalSnapshot`) loaded into `inventory`: its id. */
export function loadGeneralSale(
  inventory: InventoryStore,
  options: Parameters<typeof generalSnapshot>[1] = {},
  prefix = 'ga',
): Promise<string> {
  return loadSale(inventory, prefix, (saleId) => generalSnapshot(saleId, options));
}

/** Seat ids `A1…A<perRow>`, `B1…` for `rows` rows. */
export function seatIds(rows = 2, perRow = 5): string[] {
  return Array.from({ length: rows }, (_, r) =>
    Array.from({ length: perRow }, (_, s) => `${String.fromCharCode(65 + r)}${s + 1}`),
  ).flat();
}

/** A small assigned-seat sale (rows A and B of five seats by default), some seats already sold. */
export function assignedSnapshot(
  saleId: string,
  options: { rows?: number; perRow?: number; ticketsPerUser?: number; confirmedSeatIds?: string[] } = {},
): InventorySnapshot {
  const seats = seatIds(options.rows ?? 2, options.perRow ?? 5);
  const sold = options.confirmedSeatIds ?? [];
  return {
    saleId,
    initialStock: seats.length,
    available: seats.length - sold.length,
    seatIds: seats,
    confirmedSeatIds: sold,
    ticketsPerUser: options.ticketsPerUser ?? 4,
    confirmedPerUser: {},
  };
}

/** A fresh assigned-seat sale (`<prefix>-…`, see `assignedSnapshot`) loaded into `inventory`: its id. */
export function loadAssignedSale(
  inventory: InventoryStore,
  options: Parameters<typeof assignedSnapshot>[1] = {},
  prefix = 'as',
): Promise<string> {
  return loadSale(inventory, prefix, (saleId) => assignedSnapshot(saleId, options));
}

/** A new reservation's identity: the buyer, the sale, a fresh reservation id (`<prefix>-…`) and key. */
export function freshReservation(saleId: string, userId: string, prefix = 'r') {
  return { saleId, userId, reservationId: freshId(prefix), idempotencyKey: freshId('k') };
}

/** A reserve request with fresh reservation id and idempotency key unless given. */
export function reserveRequest(
  saleId: string,
  userId: string,
  selection: Selection,
  now: number,
  overrides: Partial<ReserveRequest> = {},
): ReserveRequest {
  return {
    ...freshReservation(saleId, userId),
    selection,
    holdMs: 60_000,
    requireAdmission: false,
    now,
    ...overrides,
  };
}

/** `quantity` general-admission units. */
export const units = (quantity: number): Selection => ({ kind: 'quantity', quantity });
/** The named seats. */
export const seats = (...ids: string[]): Selection => ({ kind: 'seats', seatIds: ids });

/** A general-admission sale definition (for repositories and the pipeline). */
export function generalSaleDefinition(
  saleId: string,
  options: { capacity?: number; ticketsPerUser?: number; opensAt?: number; holdMs?: number } = {},
): SaleDefinitionInput {
  return {
    id: saleId,
    name: `General admission ${saleId}`,
    inventory: { kind: 'general', capacity: options.capacity ?? 10, tier: 'std' },
    tiers: [{ id: 'std', name: 'Standard', priceCents: 5_000 }],
    opensAt: options.opensAt ?? 0,
    holdMs: options.holdMs ?? 60_000,
    admission: { usersPerInterval: 10, intervalMs: 1_000, maxActive: 50, sessionMs: 600_000 },
    limits: { ticketsPerUser: options.ticketsPerUser ?? 4 },
  };
}

// the seat rows of the suites' sales, and of the adapters' tests that import them from here
export { seatRow };

/** An assigned-seating inventory of one section, `main`, holding `rows` (see {@link seatRow}). */
export function assignedInventory(...rows: ReturnType<typeof seatRow>[]) {
  return { kind: 'assigned' as const, sections: [{ id: 'main', name: 'Main', rows }] };
}

/** An assigned-seat sale definition: rows A and B of five seats, row A premium. */
export function assignedSaleDefinition(
  saleId: string,
  options: { ticketsPerUser?: number; opensAt?: number; holdMs?: number } = {},
): SaleDefinitionInput {
  return {
    id: saleId,
    name: `Assigned seating ${saleId}`,
    inventory: assignedInventory(seatRow('A', 5, { tier: 'vip' }), seatRow('B', 5)),
    tiers: [
      { id: 'vip', name: 'Premium', priceCents: 12_000 },
      { id: 'std', name: 'Standard', priceCents: 6_000 },
    ],
    opensAt: options.opensAt ?? 0,
    holdMs: options.holdMs ?? 60_000,
    admission: { usersPerInterval: 10, intervalMs: 1_000, maxActive: 50, sessionMs: 600_000 },
    limits: { ticketsPerUser: options.ticketsPerUser ?? 4 },
  };
}

/** The hold's buyer acting on it at `now`: the request of a confirm or a release (add `holdMs` to extend). */
export function asOwner(hold: Pick<HoldRecord, 'saleId' | 'reservationId' | 'userId'>, now: number) {
  return { saleId: hold.saleId, reservationId: hold.reservationId, userId: hold.userId, now };
}

/** A successful reserve's hold, or a failed assertion. */
export function heldOf(outcome: ReserveOutcome): HoldRecord {
  expect(outcome, 'expected the reserve to hold').toMatchObject({ ok: true, code: 'HELD' });
  if (!outcome.ok) throw new Error('unreachable');
  return outcome.hold;
}
