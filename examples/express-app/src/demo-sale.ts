import type { SaleDefinitionInput } from '@seatrush/core';

/**
 * The sale the demo creates on start. `seated`: a small hall with three sections and three price
 * tiers (a seat map to click on); `general`: 200 standing tickets.
 */
export function demoSale(options: {
  id: string;
  kind: 'seated' | 'general';
  now: number;
  /** Users admitted per second. */
  admitPerSecond: number;
  admissionIntervalMs?: number;
  holdMs?: number;
}): SaleDefinitionInput {
  const intervalMs = options.admissionIntervalMs ?? 1_000;
  const tiers = [
    { id: 'vip', name: 'VIP', priceCents: 15_000 },
    { id: 'r', name: 'R', priceCents: 9_000 },
    { id: 's', name: 'S', priceCents: 5_000 },
  ];
  const admission = {
    usersPerInterval: Math.max(1, Math.round((options.admitPerSecond * intervalMs) / 1_000)),
    intervalMs,
    maxActive: 200,
    sessionMs: 600_000,
    heartbeatTimeoutMs: 60_000,
  };
  const base = {
    id: options.id,
    name: 'SeatRush Live — Demo Night',
    tiers,
    opensAt: options.now,
    holdMs: options.holdMs ?? 120_000,
    admission,
    limits: { ticketsPerUser: 4 },
    rateLimits: {
      perUser: { kind: 'token-bucket' as const, capacity: 20, refillPerSecond: 5 },
      perIp: { kind: 'token-bucket' as const, capacity: 60, refillPerSecond: 20 },
    },
  };
  if (options.kind === 'general') {
    return { ...base, inventory: { kind: 'general', capacity: 200, tier: 's' } };
  }
  const section = (id: string, name: string, rows: string[], perRow: number, tier: string) => ({
    id,
    name,
    rows: rows.map((row) => ({
      id: row,
      seats: Array.from({ length: perRow }, (_, i) => ({
        id: `${id}-${row}${i + 1}`,
        label: `${row}${i + 1}`,
        tier,
      })),
    })),
  });
  return {
    ...base,
    inventory: {
      kind: 'assigned',
      sections: [
        section('floor', 'Floor', ['A', 'B'], 12, 'vip'),
        section('lower', 'Lower tier', ['C', 'D', 'E'], 16, 'r'),
        section('balcony', 'Balcony', ['F', 'G', 'H'], 20, 's'),
      ],
    },
  };
}
