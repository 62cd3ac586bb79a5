import type { SaleDefinitionInput } from '../sale/definition';
import { seatRow } from './seats';

/**
 * A sale definition for tests: general admission of `capacity` units (10 unless said) of one tier,
 * `std` at 5,000 cents, open from 0, holds of a minute, 4 tickets a buyer, admitting 10 users a
 * second and 100 at a time. `overrides` replace any field, so a test writes only what it is about.
 */
export function testSale(
  overrides: Partial<SaleDefinitionInput> & { capacity?: number } = {},
): SaleDefinitionInput {
  const { capacity = 10, ...rest } = overrides;
  return {
    id: 'sale-ga',
    name: 'General admission',
    inventory: { kind: 'general', capacity, tier: 'std' },
    tiers: [{ id: 'std', name: 'Standard', priceCents: 5_000 }],
    opensAt: 0,
    holdMs: 60_000,
    admission: { usersPerInterval: 10, intervalMs: 1_000, maxActive: 100 },
    limits: { ticketsPerUser: 4 },
    ...rest,
  };
}

/**
 * An assigned-seating `testSale`: one section, `A` ("Section A"), of `rows` (row 1, seats A1…A8,
 * unless said), its seats of the tier `std` at 4,000 cents unless `tiers` says otherwise.
 */
export function seatedTestSale(
  overrides: Partial<SaleDefinitionInput> & { rows?: ReturnType<typeof seatRow>[] } = {},
): SaleDefinitionInput {
  const { rows = [seatRow('1', 8, { seatPrefix: 'A' })], ...rest } = overrides;
  return testSale({
    id: 'sale-seated',
    name: 'Seated concert',
    inventory: { kind: 'assigned', sections: [{ id: 'A', name: 'Section A', rows }] },
    tiers: [{ id: 'std', name: 'Standard', priceCents: 4_000 }],
    ...rest,
  });
}
