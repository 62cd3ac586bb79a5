import { RedisIdempotencyStore, RedisRateLimiter, RedisWaitingRoomStore } from '@seatrush/redis-adapter';
import { describe, expect, it } from 'vitest';
import { onConnections } from './helpers';

describe('waiting room, rate limits and idempotency under hundreds of concurrent clients', () => {
  it('hands 1,000 concurrent joiners distinct tickets 1…1000, and a second join keeps the place', async () => {
    await onConnections(10, async (clients, keyPrefix) => {
      const rooms = clients.map((c) => new RedisWaitingRoomStore(c, { keyPrefix }));
      const joins = await Promise.all(
        Array.from({ length: 1_000 }, (_, i) =>
          rooms[i % rooms.length]!.join({ saleId: 's', userId: `u${i}`, now: 1 }),
        ),
      );
      expect(joins.map((j) => j.entry.ticket).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 1_000 }, (_, i) => i + 1),
      );
      const again = await Promise.all(
        Array.from({ length: 1_000 }, (_, i) =>
          rooms[(i + 1) % rooms.length]!.join({ saleId: 's', userId: `u${i}`, now: 2 }),
        ),
      );
      expect(again.every((j, i) => j.alreadyJoined && j.entry.ticket === joins[i]!.entry.ticket)).toBe(true);
    });
  });

  it('never admits more than maxActive when many admission ticks run at once', async () => {
    await onConnections(8, async (clients, keyPrefix) => {
      const rooms = clients.map((c) => new RedisWaitingRoomStore(c, { keyPrefix }));
      await Promise.all(
        Array.from({ length: 500 }, (_, i) => rooms[0]!.join({ saleId: 's', userId: `u${i}`, now: 1 })),
      );
      const ticks = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          rooms[i % rooms.length]!.admit({
            saleId: 's',
            max: 10,
            maxActive: 120,
            sessionMs: 60_000,
            now: 10,
          }),
        ),
      );
      const admitted = ticks.flatMap((t) => t.admitted.map((e) => e.ticket));
      expect(admitted).toHaveLength(120);
      expect(new Set(admitted).size).toBe(120);
      // strictly first come, first served: exactly the first 120 tickets
      expect(Math.max(...admitted)).toBe(120);
      expect(await rooms[0]!.stats({ saleId: 's', now: 10 })).toEqual({
        waiting: 380,
        active: 120,
        servedUpTo: 120,
        lastTicket: 500,
      });
    });
  });

  it('allows exactly the limit of 1,000 concurrent requests through a sliding window and a token bucket', async () => {
    await onConnections(10, async (clients, keyPrefix) => {
      const limiters = clients.map((c) => new RedisRateLimiter(c, { keyPrefix }));
      const window = { kind: 'sliding-window' as const, limit: 100, windowMs: 60_000 };
      const bucket = { kind: 'token-bucket' as const, capacity: 50, refillPerSecond: 1 };
      const [windowed, bucketed] = await Promise.all(
        [window, bucket].map((policy) =>
          Promise.all(
            Array.from({ length: 1_000 }, (_, i) =>
              limiters[i % limiters.length]!.consume({ key: 'global', policy, now: 5_000 }),
            ),
          ),
        ),
      );
      expect(windowed!.filter((d) => d.allowed)).toHaveLength(100);
      expect(windowed!.filter((d) => !d.allowed).every((d) => d.retryAfterMs === 60_000)).toBe(true);
      expect(bucketed!.filter((d) => d.allowed)).toHaveLength(50);
      expect(bucketed!.filter((d) => !d.allowed).every((d) => d.retryAfterMs === 1_000)).toBe(true);
    });
  });

  it('lets exactly one of 300 concurrent claims of one idempotency key do the work', async () => {
    await onConnections(10, async (clients, keyPrefix) => {
      const stores = clients.map((c) => new RedisIdempotencyStore(c, { keyPrefix }));
      const claims = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          stores[i % stores.length]!.claim({
            scope: 'pay',
            key: 'order-1',
            fingerprint: 'f',
            ttlMs: 60_000,
            now: 1,
          }),
        ),
      );
      expect(claims.filter((c) => c.state === 'claimed')).toHaveLength(1);
      expect(claims.filter((c) => c.state === 'in-progress')).toHaveLength(299);
    });
  });
});
