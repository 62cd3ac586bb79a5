import { ConfigurationError, InfrastructureError, type LeaseGrant, type LeaseStore } from '@seatrush/core';
import { MemoryLeaseStore } from '@seatrush/core/memory';
import { LeasedLoop, saleLoopLease } from '@seatrush/core/services';
import { ManualClock } from '@seatrush/core/testing';
import { describe, expect, it } from 'vitest';

const LEASE_MS = 3_000;
/** A timer that never fires: the tests step each loop's keeper and ticker themselves. */
const steppedTimer = { setInterval: () => 0, clearInterval: () => undefined };

function contenders(count: number, leases: LeaseStore, clock: ManualClock) {
  const runs: Array<{ loop: number; token: number }> = [];
  const errors: unknown[] = [];
  const loops = Array.from(
    { length: count },
    (_, i) =>
      new LeasedLoop({
        leases,
        name: saleLoopLease('s1', 'admission'),
        holder: `instance-${i}`,
        leaseMs: LEASE_MS,
        intervalMs: 1_000,
        clock,
        timer: steppedTimer,
        task: async ({ fencingToken }) => void runs.push({ loop: i, token: fencingToken }),
        onError: (error) => errors.push(error),
      }),
  );
  return { loops, runs, errors };
}

/** One keeper step and one tick on every loop that still "lives". */
async function step(loops: LeasedLoop[]) {
  for (const loop of loops) await loop.keepLease();
  for (const loop of loops) await loop.tick();
}

describe('LeasedLoop', () => {
  it('runs the task on exactly one of several instances, under one fencing token', async () => {
    const clock = new ManualClock();
    const { loops, runs } = contenders(3, new MemoryLeaseStore({ clock }), clock);
    for (const loop of loops) loop.start();
    for (let i = 0; i < 5; i += 1) {
      await step(loops);
      clock.advance(1_000);
    }
    expect(loops.filter((loop) => loop.isOwner)).toHaveLength(1);
    expect(new Set(runs.map((run) => run.loop)).size).toBe(1);
    expect(new Set(runs.map((run) => run.token))).toEqual(new Set([1]));
    await Promise.all(loops.map((loop) => loop.stop()));
  });

  it('hands the loop over at once on stop, with a greater token', async () => {
    const clock = new ManualClock();
    const { loops, runs } = contenders(2, new MemoryLeaseStore({ clock }), clock);
    for (const loop of loops) loop.start();
    await step(loops);
    const owner = loops.findIndex((loop) => loop.isOwner);
    await loops[owner]!.stop();
    const other = loops[1 - owner]!;
    await step([other]);
    expect(other.isOwner).toBe(true);
    expect(runs.at(-1)).toEqual({ loop: 1 - owner, token: 2 });
    await other.stop();
  });

  it('is taken over within two lease periods when its holder vanishes (stops renewing)', async () => {
    const clock = new ManualClock();
    const { loops } = contenders(3, new MemoryLeaseStore({ clock }), clock);
    for (const loop of loops) loop.start();
    await step(loops);
    const owner = loops.find((loop) => loop.isOwner)!;
    const survivors = loops.filter((loop) => loop !== owner);
    const vanishedAt = clock.now();
    // the keepers step every third of a lease, as their timers would
    let takenAt: number | undefined;
    while (takenAt === undefined && clock.now() - vanishedAt <= 2 * LEASE_MS) {
      clock.advance(LEASE_MS / 3);
      await step(survivors);
      if (survivors.some((loop) => loop.isOwner)) takenAt = clock.now();
    }
    expect(takenAt).toBeDefined();
    expect(takenAt! - vanishedAt).toBeLessThanOrEqual(2 * LEASE_MS);
    expect(survivors.find((loop) => loop.isOwner)!.lease!.fencingToken).toBe(2);
  });

  it('stops its task at once when a renewal is refused, and aborts a running one', async () => {
    const clock = new ManualClock();
    const leases = new MemoryLeaseStore({ clock });
    const signals: AbortSignal[] = [];
    const changes: boolean[] = [];
    const loop = new LeasedLoop({
      leases,
      name: 'reconciler',
      leaseMs: LEASE_MS,
      intervalMs: 1_000,
      clock,
      timer: steppedTimer,
      task: async ({ signal }) => void signals.push(signal),
      onError: (error) => {
        throw error;
      },
      onOwnerChange: (held) => changes.push(held),
    });
    loop.start();
    await loop.keepLease();
    await loop.tick();
    // the holder pauses past its lease; another instance takes the loop meanwhile
    clock.advance(LEASE_MS);
    const usurper = await leases.acquire({ name: 'reconciler', holder: 'other', ttlMs: LEASE_MS });
    expect(usurper?.fencingToken).toBe(2);
    await loop.keepLease();
    expect(loop.isOwner).toBe(false);
    expect(signals[0]!.aborted).toBe(true);
    await loop.tick();
    expect(signals).toHaveLength(1);
    expect(changes).toEqual([true, false]);
    await loop.stop();
    expect(await leases.holderOf('reconciler')).toEqual({ holder: 'other', fencingToken: 2 });
  });

  it('keeps running through a store error only until its grant runs out, then stops', async () => {
    const clock = new ManualClock();
    const memory = new MemoryLeaseStore({ clock });
    let down = false;
    const flaky: LeaseStore = {
      acquire: (input) => memory.acquire(input),
      renew: async (lease: LeaseGrant, ttlMs: number) => {
        if (down) throw new InfrastructureError('store down');
        return memory.renew(lease, ttlMs);
      },
      release: (lease) => memory.release(lease),
      holderOf: (name) => memory.holderOf(name),
    };
    const { loops, runs, errors } = contenders(1, flaky, clock);
    const loop = loops[0]!;
    loop.start();
    await step([loop]);
    down = true;
    clock.advance(LEASE_MS - 1);
    await expect(loop.keepLease()).rejects.toThrow(InfrastructureError);
    await loop.tick();
    expect(runs).toHaveLength(2);
    clock.advance(1);
    await expect(loop.keepLease()).rejects.toThrow(InfrastructureError);
    await loop.tick();
    expect(loop.isOwner).toBe(false);
    expect(runs).toHaveLength(2);
    expect(errors).toEqual([]);
    down = false;
    await loop.stop();
  });

  it('refuses bad options with a ConfigurationError', () => {
    const base = {
      leases: new MemoryLeaseStore(),
      task: async () => undefined,
      onError: () => undefined,
    };
    expect(() => new LeasedLoop({ ...base, name: 'a b', leaseMs: 1_000, intervalMs: 100 })).toThrow(
      ConfigurationError,
    );
    expect(() => new LeasedLoop({ ...base, name: 'x', leaseMs: 10, intervalMs: 100 })).toThrow(
      ConfigurationError,
    );
    expect(() => saleLoopLease('bad{id}', 'admission')).toThrow();
    expect(saleLoopLease('s1', 'sweeper')).toBe('sale:{s1}:sweeper');
  });
});
