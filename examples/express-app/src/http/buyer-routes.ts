import type { SaleDefinition } from '@seatrush/core';
import { seatsOf, z } from '@seatrush/core/ports';
import type { PgReadModel } from '@seatrush/pg-adapter';
import type { Platform } from '../platform/platform';
import type { TtlCache } from './cache';

/** Hot read data kept in the in-process cache. */
export interface BuyerCaches {
  saleInfo: TtlCache<SaleInfo>;
  seats: TtlCache<SeatSnapshot>;
}

/** What the client needs to draw a sale (static for the sale's life, so it is cached). */
export interface SaleInfo {
  id: string;
  name: string;
  kind: 'general' | 'assigned';
  tier: string | null;
  tiers: SaleDefinition['tiers'];
  holdMs: number;
  ticketsPerUser: number;
  opensAt: number;
  sections: Array<{
    id: string;
    name: string;
    rows: Array<{ id: string; seats: Array<{ id: string; label: string; tier: string }> }>;
  }>;
}

/** The live part of a seat map: only the seats that are not available, plus the counts. */
export interface SeatSnapshot {
  states: Record<string, 'HELD' | 'CONFIRMED'>;
  counts: { initialStock: number; available: number; held: number; confirmed: number };
  now: number;
}

const _JoinBody = z
  .object({
    challengeId: z.string().min(1).max(128),
    answer: z.string().min(1).max(512),
    /** A signed invitation to the bypass or priority lane (from the operator's join link). */
    invitation: z.string().min(1).max(2048).optional(),
  })
  .strict();
/** Builds the static description of a sale for clients. */
export function saleInfoOf(sale: SaleDefinition): SaleInfo {
  return {
    id: sale.id,
    name: sale.name,
    kind: sale.inventory.kind,
    tier: sale.inventory.kind === 'general' ? sale.inventory.tier : null,
    tiers: sale.tiers,
    holdMs: sale.holdMs,
    ticketsPerUser: sale.limits.ticketsPerUser,
    opensAt: sale.opensAt,
    sections:
      sale.inventory.kind === 'assigned'
        ? sale.inventory.sections.map((s) => ({
            id: s.id,
            name: s.name,
            rows: s.rows.map((r) => ({
              id: r.id,
              seats: r.seats.map((x) => ({ id: x.id, label: x.label, tier: x.tier })),
            })),
          }))
        : [],
  };
}

/**
 * The seat map a buyer sees (the caller caches it for 250 ms). On the real servers it is read
 * from the read side (PostgreSQL, through the replica pool: no hot-store read), as stale as
 * `readSide.stalenessMs()` and never more than MAX_STALENESS_MS (5 s): beyond that it is read
 * from the hot store and counted as a fallback. In memory it is read from the store.
 */
export async function loadSeats(platform: Platform, saleId: string): Promise<SeatSnapshot> {
  const readSide = platform.readSide;
  const sale = platform.runtime.sale(saleId)?.sale;
  if (readSide && sale) {
    if (readSide.fresh()) return loadSeatsFromReadSide(readSide.model, sale, platform.now());
    readSide.countFallback();
  }
  return loadSeatsFromStore(platform, saleId);
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
  let initialStock: number;
  if (sale.inventory.kind === 'assigned') {
    initialStock = seatsOf(sale).length;
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
    initialStock = sale.inventory.capacity;
    const stats = await model.saleStats({ saleId: sale.id });
    held = stats.unitsHeld;
    confirmed = stats.totals.unitsSold;
  }
  const available = Math.max(0, initialStock - held - confirmed);
  return { states, counts: { initialStock, available, held, confirmed }, now };
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
