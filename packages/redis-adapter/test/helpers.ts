import type { Clock } from '@seatrush/core';
import { AdmissionTokens, WaitingRoom } from '@seatrush/core/services';
import type { RedisWaitingRoomStore } from '@seatrush/redis-adapter';
import { uniqueName } from '@seatrush/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, inject } from 'vitest';
import { type RedisProcess, startRedis } from './redis-process';

export { generalSale, seatedSale } from './inventory-data';

/** Opens `count` independent connections; `closeAll` quits them. */
export function connections(url: string, count: number): { clients: Redis[]; closeAll: () => Promise<void> } {
  const clients = Array.from({ length: count }, () => new Redis(url, { maxRetriesPerRequest: 3 }));
  return {
    clients,
    closeAll: async () => {
      await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

/** A key prefix of its own for one test. */
export const isolatedPrefix = () => `${uniqueName('ra')}:`;

/** Runs `body` on `count` connections to the test server under a fresh key prefix, then quits them. */
export async function onConnections(
  count: number,
  body: (clients: Redis[], keyPrefix: string) => Promise<void>,
): Promise<void> {
  const keyPrefix = isolatedPrefix();
  const { clients, closeAll } = connections(inject('services').redisUrl, count);
  try {
    await body(clients, keyPrefix);
  } finally {
    await closeAll();
  }
}

/**
 * Core's waiting room over `store` for a general sale of 10 (`id`, named `name`), admitting
 * `usersPerInterval` a second up to `maxActive` for `sessionMs` (30 s heartbeat timeout), its
 * tokens signed with `secret`.
 */
export function waitingRoomOver(
  store: RedisWaitingRoomStore,
  clock: Clock,
  sale: {
    id: string;
    name: string;
    secret: string;
    usersPerInterval: number;
    maxActive: number;
    sessionMs: number;
  },
): WaitingRoom {
  const { id, name, secret, usersPerInterval, maxActive, sessionMs } = sale;
  return new WaitingRoom({
    sale: {
      id,
      name,
      inventory: { kind: 'general', capacity: 10, tier: 'std' },
      tiers: [{ id: 'std', name: 'Standard', priceCents: 5_000 }],
      opensAt: 0,
      holdMs: 60_000,
      admission: { usersPerInterval, intervalMs: 1_000, maxActive, sessionMs, heartbeatTimeoutMs: 30_000 },
      limits: { ticketsPerUser: 4 },
    },
    store,
    tokens: new AdmissionTokens({ secret }),
    clock,
  });
}

/** Every key under `prefix` (SCAN, never KEYS). */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found.sort();
}

/**
 * Redlock's independent nodes for one test file: `count` servers started before its tests and
 * destroyed after, with one client each (quit after); `clients()` answers them once started.
 */
export function lockNodesOfFile(count: number): { clients: () => Redis[] } {
  let nodes: RedisProcess[] = [];
  let clients: Redis[] = [];
  beforeAll(async () => {
    nodes = await Promise.all(Array.from({ length: count }, () => startRedis()));
    clients = nodes.map((node) => new Redis(node.url));
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit()));
    await Promise.all(nodes.map((node) => node.destroy()));
  });
  return { clients: () => clients };
}
