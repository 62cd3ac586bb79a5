import type { SaleDefinition } from '@seatrush/core';
import { seatsOf } from '@seatrush/core/ports';
import type { SeatMap } from '@seatrush/http';
import type { PgReadModel } from '@seatrush/pg-adapter';
import type { Platform } from '../platform/platform';

/** The live part of a seat map: only the seats that are not available, plus the counts. */
export interface SeatSnapshot extends SeatMap {
  states: Record<string, 'HELD' | 'CONFIRMED'>;
  now: number;
}

/**
 * The seat map a buyer sees (`@seatrush/http` caches it for 250 ms). On the real servers it is
 * served by the read side (`ReadSide.serve`: PostgreSQL through the replica pool, no hot-store
 * read) while the views are within its staleness bound (5 s); past it, or when PostgreSQL fails,
 * from the hot store, counted as a `seat-map` fallback. In memory it is read from the store.
 */
export async function loadSeats(platform: Platform, saleId: string): Promise<SeatSnapshot> {
  const readSide = platform.readSide;
  const sale = platform.runtime.sale(saleId)?.sale;
  if (!readSide || !sale) return loadSeatsFromStore(platform, saleId);
  const served = await readSide.serve(
    'seat-map',
    (views) => loadSeatsFromReadSide(views, sale, platform.now()),
    () => loadSeatsFromStore(platform, saleId),
  );
  return served.value;
}

/**
 * The seat map from the read side's views: seats no event touched are available, a hold past its
 * expiry counts as available (its HoldExpired event may not be applied yet); general admission's
 * counts come from the sale's stats (units held and sold).
 */
export async function loadSeatsFromReadSide(
  model: PgReadModel,
  sale: SaleDefinition,
  now: number,
): Promise<SeatSnapshot> {
  const states: SeatSnapshot['states'] = {};
  let held = 0;
  let confirmed = 0;
  if (sale.inventory.kind === 'assigned') {
    for (const seat of await model.seatMap({ saleId: sale.id })) {
      if (seat.state === 'SOLD') {
        states[seat.seatId] = 'CONFIRMED';
        confirmed += 1;
      } else if (seat.state === 'HELD' && (seat.expiresAt === null || seat.expiresAt > now)) {
        states[seat.seatId] = 'HELD';
        held += 1;
      }
    }
  } else {
    const stats = await model.saleStats({ saleId: sale.id });
    held = stats.unitsHeld;
    confirmed = stats.totals.unitsSold;
  }
  return { states, counts: stockCounts(sale, held, confirmed), now };
}

/**
 * A sale's stock counts from the units held and sold (the read side keeps no count of what is
 * available: it is what the sale put on sale less those).
 */
export function stockCounts(sale: SaleDefinition, held: number, confirmed: number): SeatMap['counts'] {
  const initialStock = sale.inventory.kind === 'assigned' ? seatsOf(sale).length : sale.inventory.capacity;
  return { initialStock, available: Math.max(0, initialStock - held - confirmed), held, confirmed };
}

/** Reads the live seat map from the hot store. */
export async function loadSeatsFromStore(platform: Platform, saleId: string): Promise<SeatSnapshot> {
  const [all, counts] = await Promise.all([
    platform.runtime.ports.inventory.seatStates(saleId),
    platform.runtime.ports.inventory.counts(saleId),
  ]);
  const states: SeatSnapshot['states'] = {};
  for (const [id, state] of Object.entries(all)) if (state !== 'AVAILABLE') states[id] = state;
  return {
    states,
    counts: {
      initialStock: counts.initialStock,
      available: counts.available,
      held: counts.held,
      confirmed: counts.confirmed,
    },
    now: platform.now(),
  };
}
