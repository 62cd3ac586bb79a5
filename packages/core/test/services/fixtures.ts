import type { EventPublisher, SaleDefinitionInput } from '../../src';
import { seatedTestSale, testSale } from '../../src/testing/sales';
import { seatRow } from '../../src/testing/seats';

/** 32+ bytes: the minimum an admission token secret may have. */
export const SECRET = 'test-secret-0123456789-abcdefghijklmnop';

/** The general sale's admission: 2 users a second, sessions of 10 minutes, heartbeats every 30 s. */
export const GENERAL_ADMISSION = {
  usersPerInterval: 2,
  intervalMs: 1_000,
  maxActive: 100,
  sessionMs: 600_000,
  heartbeatTimeoutMs: 30_000,
};

/** A general-admission sale of `capacity` units at 5,000 cents each, open at `opensAt`. */
export function generalSale(
  overrides: Partial<SaleDefinitionInput> & { capacity?: number } = {},
): SaleDefinitionInput {
  return testSale({ admission: GENERAL_ADMISSION, ...overrides });
}

/** An assigned-seating sale: section A, row 1, seats A1..A4 (vip, 9,000) and A5..A8 (std, 4,000). */
export function seatedSale(overrides: Partial<SaleDefinitionInput> = {}): SaleDefinitionInput {
  return seatedTestSale({
    rows: [
      seatRow('1', 8, {
        seatPrefix: 'A',
        label: (n) => `A-1-${n}`,
        tier: (n) => (n <= 4 ? 'vip' : 'std'),
      }),
    ],
    tiers: [
      { id: 'vip', name: 'VIP', priceCents: 9_000 },
      { id: 'std', name: 'Standard', priceCents: 4_000 },
    ],
    ...overrides,
  });
}

/**
 * An adaptive admission policy between `minUsersPerInterval` (10 unless given) and 100 users a
 * tick: a consumer lag of 1,000 events or an API p99 of 500 ms slows it, 10,000 events or 3 s
 * pause it.
 */
export function adaptivePolicy(overrides: { minUsersPerInterval?: number } = {}) {
  return {
    minUsersPerInterval: 10,
    maxUsersPerInterval: 100,
    targetConsumerLag: 1_000,
    pauseConsumerLag: 10_000,
    minHoldSuccessRate: 0.5,
    targetApiP99Ms: 500,
    pauseApiP99Ms: 3_000,
    increaseStep: 10,
    decreaseFactor: 0.5,
    ...overrides,
  };
}

/** A publisher whose every publish fails, as when Kafka is down. */
export const kafkaDown: EventPublisher = {
  publish: async () => Promise.reject(new Error('kafka down')),
  close: async () => {},
};
