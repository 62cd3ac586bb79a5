import {
  MAX_SEATS_PER_SALE,
  parseSaleDefinition,
  type SaleDefinitionInput,
  ValidationError,
} from '@seatrush/core';
import { initialStock, seatsOf } from '@seatrush/core/ports';
import { describe, expect, it } from 'vitest';

const general = (): SaleDefinitionInput => ({
  id: 'concert-1',
  name: 'Concert',
  inventory: { kind: 'general', capacity: 2000, tier: 'std' },
  tiers: [{ id: 'std', name: 'Standard', priceCents: 5000 }],
  opensAt: 1_700_000_000_000,
  admission: { usersPerInterval: 100, maxActive: 1000 },
});

const assigned = (): SaleDefinitionInput => ({
  ...general(),
  inventory: {
    kind: 'assigned',
    sections: [
      {
        id: 'A',
        name: 'Floor',
        rows: [
          {
            id: '1',
            seats: [
              { id: 'A-1-1', label: '1', tier: 'std' },
              { id: 'A-1-2', label: '2', tier: 'vip' },
            ],
          },
        ],
      },
    ],
  },
  tiers: [
    { id: 'std', name: 'Standard', priceCents: 5000 },
    { id: 'vip', name: 'VIP', priceCents: 15000 },
  ],
});

/** The issues a definition is rejected with, as `path: message` strings. */
function issuesOf(input: unknown): string[] {
  try {
    parseSaleDefinition(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('INVALID_INPUT');
    return (error as ValidationError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('the definition was accepted');
}

describe('sale definition', () => {
  it('accepts a general-admission sale and fills in the defaults', () => {
    const sale = parseSaleDefinition(general());
    expect(sale.holdMs).toBe(300_000);
    expect(sale.limits.ticketsPerUser).toBe(4);
    expect(sale.admission.intervalMs).toBe(1_000);
    expect(sale.admission.sessionMs).toBe(600_000);
    expect(sale.admission.heartbeatTimeoutMs).toBe(60_000);
    expect(sale.rateLimits).toEqual({});
    expect(initialStock(sale)).toBe(2000);
    expect(seatsOf(sale)).toEqual([]);
  });

  it('accepts an assigned-seating sale with rate-limit policies', () => {
    const sale = parseSaleDefinition({
      ...assigned(),
      rateLimits: {
        perUser: { kind: 'token-bucket', capacity: 5, refillPerSecond: 1 },
        perIp: { kind: 'sliding-window', limit: 50, windowMs: 10_000 },
      },
    });
    expect(initialStock(sale)).toBe(2);
    expect(seatsOf(sale).map((s) => s.id)).toEqual(['A-1-1', 'A-1-2']);
    expect(sale.rateLimits.perIp).toEqual({ kind: 'sliding-window', limit: 50, windowMs: 10_000 });
  });

  it('lists every problem of an invalid definition at once, cross-field ones included', () => {
    const input = {
      ...assigned(),
      id: 'bad id',
      name: '',
      holdMs: 10,
      opensAt: -1,
      admission: { usersPerInterval: 0, maxActive: 1.5 },
      limits: { ticketsPerUser: 101 },
      tiers: [
        { id: 'std', name: 'Standard', priceCents: -1 },
        { id: 'std', name: 'Again', priceCents: 1 },
      ],
      inventory: {
        kind: 'assigned',
        sections: [
          {
            id: 'A',
            name: 'Floor',
            rows: [
              {
                id: '1',
                seats: [
                  { id: 'A{1}', label: '1', tier: 'std' },
                  { id: 'A-2', label: '2', tier: 'gold' },
                  { id: 'A-2', label: '3', tier: 'std' },
                ],
              },
              { id: '1', seats: [{ id: 'A-9', label: '9', tier: 'std' }] },
            ],
          },
          { id: 'A', name: 'Copy', rows: [{ id: '1', seats: [{ id: 'B-1', label: '1', tier: 'std' }] }] },
        ],
      },
    };
    const issues = issuesOf(input);
    const paths = issues.map((i) => i.split(':')[0]);
    expect(paths).toEqual(
      expect.arrayContaining([
        'id',
        'name',
        'holdMs',
        'opensAt',
        'admission.usersPerInterval',
        'admission.maxActive',
        'limits.ticketsPerUser',
        'tiers.0.priceCents',
        'tiers',
        'inventory.sections.0.rows.0.seats.0.id',
        'inventory.sections.0.rows.0.seats.1.tier',
        'inventory.sections.0.rows.0.seats.2.id',
        'inventory.sections.0.rows.1.id',
        'inventory.sections.1.id',
      ]),
    );
    expect(issues).toContain('tiers: tier ids repeat: std');
    expect(issues).toContain('inventory.sections.0.rows.0.seats.1.tier: unknown tier gold');
    expect(issues).toContain('inventory.sections.0.rows.0.seats.2.id: seat id A-2 repeats');
    expect(issues).toHaveLength(14);
  });

  it('still checks tier references when other fields have the wrong type', () => {
    const issues = issuesOf({
      ...general(),
      name: 42,
      opensAt: 'soon',
      inventory: { kind: 'general', capacity: 10, tier: 'gold' },
    });
    expect(issues).toEqual([
      'name: Invalid input: expected string, received number',
      'opensAt: Invalid input: expected number, received string',
      'inventory.tier: unknown tier gold',
    ]);
  });

  it('does not report unknown tiers when the tier list itself is unreadable', () => {
    const issues = issuesOf({ ...general(), tiers: 'std' });
    expect(issues).toEqual(['tiers: Invalid input: expected array, received string']);
  });

  it('refuses unknown keys, so a misspelt setting never falls back to its default silently', () => {
    const issues = issuesOf({
      ...general(),
      holdMS: 60_000,
      admission: { usersPerInterval: 1, maxActive: 1, maxActiv: 2 },
    });
    expect(issues.map((i) => i.split(':')[0]).sort()).toEqual(['', 'admission']);
    expect(issues.join(' ')).toContain('holdMS');
    expect(issues.join(' ')).toContain('maxActiv');
  });

  it('refuses an unknown inventory kind and bad rate-limit policies', () => {
    expect(
      issuesOf({ ...general(), inventory: { kind: 'lottery', capacity: 1 } }).map((i) => i.split(':')[0]),
    ).toEqual(['inventory.kind']);
    const issues = issuesOf({
      ...general(),
      rateLimits: {
        perUser: { kind: 'token-bucket', capacity: 0, refillPerSecond: -1 },
        global: { kind: 'sliding-window', limit: 10 },
      },
    });
    expect(issues.map((i) => i.split(':')[0])).toEqual([
      'rateLimits.perUser.capacity',
      'rateLimits.perUser.refillPerSecond',
      'rateLimits.global.windowMs',
    ]);
  });

  it('refuses a general-admission capacity that is not a positive integer', () => {
    for (const capacity of [0, -5, 1.5, 10_000_001]) {
      expect(issuesOf({ ...general(), inventory: { kind: 'general', capacity, tier: 'std' } })).toHaveLength(
        1,
      );
    }
  });

  it('refuses a seat map larger than the maximum, with the other problems', () => {
    const seats = Array.from({ length: MAX_SEATS_PER_SALE + 1 }, (_, i) => ({
      id: `s${i}`,
      label: 'x',
      tier: 'std',
    }));
    const issues = issuesOf({
      ...general(),
      name: '',
      tiers: [...(general().tiers as object[]), { id: 'std', name: 'Again', priceCents: 1 }],
      inventory: { kind: 'assigned', sections: [{ id: 'A', name: 'A', rows: [{ id: '1', seats }] }] },
    });
    expect(issues).toEqual([
      'name: Too small: expected string to have >=1 characters',
      'tiers: tier ids repeat: std',
      `inventory.sections: the seat map has ${MAX_SEATS_PER_SALE + 1} seats; at most ${MAX_SEATS_PER_SALE} are allowed`,
    ]);
  });

  it('refuses input that is not an object', () => {
    for (const input of [null, undefined, 'sale', 7, []]) expect(issuesOf(input)).toHaveLength(1);
  });
});
