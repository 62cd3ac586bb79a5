import { describe, expect, it } from 'vitest';
import type { GuardLimit, RequestGuard } from '../../src';

/** A guard under test: `connect` makes another instance over the same store (another server). */
export interface GuardFixture {
  guard: RequestGuard;
  connect(): RequestGuard;
  dispose(): Promise<void>;
}

const bucket = (key: string, capacity: number, refillPerSecond = 1): GuardLimit => ({
  scope: key.split(':')[0] as string,
  key,
  capacity,
  refillPerSecond,
});

/**
 * What every request guard does, run on the in-memory guard (the specification) and on Redis
 * (single node and Cluster): limits, refill, atomic charging, blocks, and concurrency across
 * instances. Time is the `now` each call carries, so nothing sleeps.
 */
export function describeRequestGuard(name: string, fixture: () => Promise<GuardFixture>): void {
  describe(name, () => {
    const t0 = Date.now();

    async function withGuard(test: (f: GuardFixture) => Promise<void>): Promise<void> {
      const f = await fixture();
      try {
        await test(f);
      } finally {
        await f.dispose();
      }
    }

    it('allows a bucket’s capacity, then refuses with its scope and when to retry', () =>
      withGuard(async ({ guard }) => {
        const limits = [bucket('ip:203.0.113.7', 3, 2)];
        for (let i = 0; i < 3; i++) {
          expect(await guard.check({ subjects: [], limits, now: t0 })).toEqual({ ok: true });
        }
        expect(await guard.check({ subjects: [], limits, now: t0 })).toEqual({
          ok: false,
          code: 'RATE_LIMITED',
          scope: 'ip',
          retryAfterMs: 500, // one token at 2 per second
        });
      }));

    it('refills at its rate, never above its capacity', () =>
      withGuard(async ({ guard }) => {
        const limits = [bucket('user:u1', 2, 1)];
        await guard.check({ subjects: [], limits, now: t0 });
        await guard.check({ subjects: [], limits, now: t0 });
        expect((await guard.check({ subjects: [], limits, now: t0 + 999 })).ok).toBe(false);
        expect((await guard.check({ subjects: [], limits, now: t0 + 1_000 })).ok).toBe(true);
        // an hour later the bucket holds its capacity, not 3,600 tokens
        const later = t0 + 3_600_000;
        expect((await guard.check({ subjects: [], limits, now: later })).ok).toBe(true);
        expect((await guard.check({ subjects: [], limits, now: later })).ok).toBe(true);
        expect((await guard.check({ subjects: [], limits, now: later })).ok).toBe(false);
      }));

    it('charges every bucket of a request or none: a refusal by one bucket spends nothing from the others', () =>
      withGuard(async ({ guard }) => {
        const tight = bucket('joins:u1', 1, 0.001);
        const roomy = bucket('user:u1', 3, 0.001);
        expect((await guard.check({ subjects: [], limits: [roomy, tight], now: t0 })).ok).toBe(true);
        for (let i = 0; i < 5; i++) {
          const refused = await guard.check({ subjects: [], limits: [roomy, tight], now: t0 });
          expect(refused).toMatchObject({ ok: false, code: 'RATE_LIMITED', scope: 'joins' });
        }
        // the roomy bucket lost one token (the allowed request), not six
        expect((await guard.check({ subjects: [], limits: [roomy], now: t0 })).ok).toBe(true);
        expect((await guard.check({ subjects: [], limits: [roomy], now: t0 })).ok).toBe(true);
        expect((await guard.check({ subjects: [], limits: [roomy], now: t0 })).ok).toBe(false);
      }));

    it('refuses a blocked subject until the block ends, charging nothing, on every instance', () =>
      withGuard(async ({ guard, connect }) => {
        const other = connect();
        const limits = [bucket('ip:198.51.100.1', 1, 0.001)];
        await guard.block({ subject: 'session:s1', reason: 'SIGNED_OUT', ttlMs: 60_000, now: t0 });
        const refused = await other.check({ subjects: ['ip:198.51.100.1', 'session:s1'], limits, now: t0 });
        expect(refused).toEqual({
          ok: false,
          code: 'BLOCKED',
          subject: 'session:s1',
          reason: 'SIGNED_OUT',
          until: t0 + 60_000,
        });
        // the block ends by its time; the bucket was never charged by the refusal
        const after = await other.check({ subjects: ['session:s1'], limits, now: t0 + 60_000 });
        expect(after).toEqual({ ok: true });
        await guard.block({ subject: 'user:u9', reason: 'ABUSE', ttlMs: 60_000, now: t0 });
        await other.unblock('user:u9');
        expect(await guard.check({ subjects: ['user:u9'], limits: [], now: t0 })).toEqual({ ok: true });
      }));

    it('answers each of the requests checked at once as if it came alone, in order, each at its own time', () =>
      withGuard(async ({ guard }) => {
        await guard.block({ subject: 'user:blocked', reason: 'ABUSE', ttlMs: 60_000, now: t0 });
        const x = bucket('ip:203.0.113.9', 1, 1);
        const y = bucket('user:u7', 2, 0.001);
        // issued in one turn of the event loop: a batching guard sends them together
        const verdicts = await Promise.all([
          guard.check({ subjects: ['user:blocked'], limits: [x], now: t0 }),
          guard.check({ subjects: ['user:fine'], limits: [x], now: t0 }),
          guard.check({ subjects: [], limits: [x], now: t0 }),
          guard.check({ subjects: [], limits: [y, x], now: t0 }),
          guard.check({ subjects: [], limits: [y], now: t0 }),
          guard.check({ subjects: [], limits: [y], now: t0 }),
          guard.check({ subjects: [], limits: [x], now: t0 + 1_000 }),
        ]);
        expect(verdicts).toEqual([
          { ok: false, code: 'BLOCKED', subject: 'user:blocked', reason: 'ABUSE', until: t0 + 60_000 },
          { ok: true },
          { ok: false, code: 'RATE_LIMITED', scope: 'ip', retryAfterMs: 1_000 },
          // refused by x: y was not charged, so the next two have its 2 tokens
          { ok: false, code: 'RATE_LIMITED', scope: 'ip', retryAfterMs: 1_000 },
          { ok: true },
          { ok: true },
          // a second later x has refilled one token
          { ok: true },
        ]);
        expect((await guard.check({ subjects: [], limits: [y], now: t0 })).ok).toBe(false);
      }));

    it('never lets concurrent requests on several instances spend more than a bucket holds', () =>
      withGuard(async ({ guard, connect }) => {
        const instances = [guard, ...Array.from({ length: 5 }, () => connect())];
        const shared = bucket('global:global', 40, 0.001);
        const address = bucket('ip:192.0.2.1', 45, 0.001);
        const verdicts = await Promise.all(
          Array.from({ length: 240 }, (_, i) =>
            (instances[i % instances.length] as RequestGuard).check({
              subjects: ['ip:192.0.2.1'],
              limits: [address, shared],
              now: t0,
            }),
          ),
        );
        expect(verdicts.filter((v) => v.ok)).toHaveLength(40);
        const refusals = verdicts.filter((v) => !v.ok && v.code === 'RATE_LIMITED' && v.scope === 'global');
        expect(refusals).toHaveLength(200);
        // the 200 refusals spent nothing: the address bucket lost 40 tokens, 5 are left
        for (let i = 0; i < 5; i++) {
          expect((await guard.check({ subjects: [], limits: [address], now: t0 })).ok).toBe(true);
        }
        expect((await guard.check({ subjects: [], limits: [address], now: t0 })).ok).toBe(false);
      }));
  });
}
