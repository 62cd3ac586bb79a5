import type { HoldRecord, ReserveOutcome } from '@seatrush/core';
import { KeySpace, RedisInventoryStore } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { generalSale, isolatedPrefix, keysUnder } from './helpers';
import { buyerRequest } from './inventory-data';
import { startRedis } from './redis-process';

/** Clients that fail at once when the server is gone, so a crash is not papered over by retries. */
function crashAwareClient(url: string): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => {}); // the crash is the point of the test
  return client;
}

describe('durability: SIGKILL in the middle of a spike (appendonly yes, appendfsync always)', () => {
  it('keeps every acknowledged hold and a consistent stock after the restart', async () => {
    const server = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    try {
      const keyPrefix = isolatedPrefix();
      const clients = Array.from({ length: 4 }, () => crashAwareClient(server.url));
      await Promise.all(clients.map((c) => c.connect()));
      const stores = clients.map((c) => new RedisInventoryStore(c, { keyPrefix }));
      await stores[0]!.load(generalSale('crash', 2_000, 2));

      const acknowledged: HoldRecord[] = [];
      let killing: Promise<void> | undefined;
      const requests = Array.from({ length: 3_000 }, (_, i) =>
        stores[i % stores.length]!.reserve(
          buyerRequest('crash', i, {
            holdMs: 600_000,
            now: 1_000,
            selection: { kind: 'quantity', quantity: 1 + (i % 2) },
          }),
        ).then(
          (outcome: ReserveOutcome) => {
            if (outcome.ok) acknowledged.push(outcome.hold);
            // crash once some holds are acknowledged and many requests are still in flight
            if (acknowledged.length === 300) killing = server.kill();
          },
          () => undefined, // lost with the connection: neither acknowledged nor counted
        ),
      );
      await Promise.all(requests);
      await killing;
      expect(acknowledged.length).toBeGreaterThanOrEqual(300);
      expect(acknowledged.length).toBeLessThan(3_000);
      for (const c of clients) c.disconnect();

      await server.restart();
      const after = new Redis(server.url);
      try {
        const store = new RedisInventoryStore(after, { keyPrefix });
        for (const hold of acknowledged) {
          expect(await store.getHold('crash', hold.reservationId)).toEqual(hold);
        }
        // every hold that survived (acknowledged or applied just before the crash) is counted once
        const holdKeys = (await keysUnder(after, keyPrefix)).filter((k) => k.includes(':hold:'));
        const survivors = await Promise.all(holdKeys.map((k) => after.hgetall(k)));
        const heldUnits = survivors.reduce((sum, h) => sum + Number(h.quantity), 0);
        const counts = await store.counts('crash');
        expect(counts.held).toBe(heldUnits);
        expect(counts.available + counts.held + counts.confirmed).toBe(2_000);
        expect(counts.available).toBeGreaterThanOrEqual(0);
        expect(await after.zcard(new KeySpace(keyPrefix).sale('crash').expiry)).toBe(survivors.length);
      } finally {
        await after.quit();
      }
    } finally {
      await server.destroy();
    }
  });
});
