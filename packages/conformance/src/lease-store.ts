import type { LeaseGrant, LeaseStore } from '@seatrush/core';
import { LeasedLoop } from '@seatrush/core/services';
import { expect } from 'vitest';
import { freshId } from './fixtures';
import { type Check, expectValidationError, type Factory, registerChecks, sleep } from './harness';

/**
 * The port `describeLeaseStore` tests. Leases expire in real time (the store's clock, Redis' PX),
 * so give an in-memory store the system clock. `contender` opens another instance's view of the
 * same store (its own connection); by default the same object.
 */
export interface LeaseStoreSubject {
  leases: LeaseStore;
  contender?: () => LeaseStore;
}

type Subject = LeaseStoreSubject;

function granted(lease: LeaseGrant | null): LeaseGrant {
  expect(lease, 'expected the lease to be granted').not.toBeNull();
  return lease as LeaseGrant;
}

/** A lease name with a sale's hash tag, as the runtime's loops use. */
const loopName = () => `sale:{${freshId('s')}}:admission`;

/**
 * A LeaseStore that fails every call once `vanish()` is called: with the instance's task runs
 * ignored from then on, a SIGKILLed instance as the others see it (it renews nothing any more).
 */
function killable(inner: LeaseStore): { store: LeaseStore; vanish: () => void } {
  let dead = false;
  const guard = <T>(call: () => Promise<T>) =>
    dead ? Promise.reject(new Error('this instance was killed')) : call();
  return {
    store: {
      acquire: (input) => guard(() => inner.acquire(input)),
      renew: (lease, ttlMs) => guard(() => inner.renew(lease, ttlMs)),
      release: (lease) => guard(() => inner.release(lease)),
      holderOf: (name) => guard(() => inner.holderOf(name)),
    },
    vanish: () => {
      dead = true;
    },
  };
}

interface Run {
  instance: number;
  token: number;
  at: number;
}

/**
 * The safety invariants over every task run of one loop: each fencing token belongs to one
 * instance, tokens never go back over time, and the runs of two tokens never interleave (at most
 * one holder at any time).
 */
function expectOneHolderAtATime(runs: Run[]): void {
  const owners = new Map<number, number>();
  for (const run of runs) {
    expect(owners.get(run.token) ?? run.instance, `token ${run.token} ran on two instances`).toBe(
      run.instance,
    );
    owners.set(run.token, run.instance);
  }
  for (let i = 1; i < runs.length; i += 1)
    expect(runs[i]!.token, 'a run with an older token after a newer one').toBeGreaterThanOrEqual(
      runs[i - 1]!.token,
    );
}

/** Every check of `describeLeaseStore`, exported so a suite's own tests can run them one by one. */
export const leaseStoreChecks: readonly Check<Subject>[] = [
  {
    category: 'behaviour',
    name: 'grants a free lease, refuses it while held, grants it again after release with a greater token',
    async run({ leases }) {
      const name = loopName();
      const first = granted(await leases.acquire({ name, holder: 'a', ttlMs: 10_000 }));
      expect(first).toMatchObject({ name, holder: 'a' });
      expect(first.fencingToken).toBeGreaterThan(0);
      expect(first.validUntil).toBeGreaterThan(Date.now());
      expect(await leases.acquire({ name, holder: 'b', ttlMs: 10_000 })).toBeNull();
      expect(await leases.holderOf(name)).toEqual({ holder: 'a', fencingToken: first.fencingToken });
      expect(await leases.release(first)).toBe(true);
      expect(await leases.holderOf(name)).toBeNull();
      const second = granted(await leases.acquire({ name, holder: 'b', ttlMs: 10_000 }));
      expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
      expect(await leases.release(first)).toBe(false);
      expect(await leases.holderOf(name)).toMatchObject({ holder: 'b' });
    },
  },
  {
    category: 'behaviour',
    name: 'renews only the current grant: same holder and token, keeping the token',
    async run({ leases }) {
      const name = loopName();
      const grant = granted(await leases.acquire({ name, holder: 'a', ttlMs: 10_000 }));
      const renewed = granted(await leases.renew(grant, 20_000));
      expect(renewed.fencingToken).toBe(grant.fencingToken);
      expect(renewed.validUntil).toBeGreaterThan(grant.validUntil);
      expect(await leases.renew({ ...grant, holder: 'b' }, 10_000)).toBeNull();
      expect(await leases.renew({ ...grant, fencingToken: grant.fencingToken + 1 }, 10_000)).toBeNull();
      await leases.release(grant);
      expect(await leases.renew(grant, 10_000)).toBeNull();
    },
  },
  {
    category: 'expiry',
    name: 'lets another take an unrenewed lease once it expires, and never revives the old grant',
    async run({ leases }) {
      const name = loopName();
      const old = granted(await leases.acquire({ name, holder: 'a', ttlMs: 150 }));
      await sleep(100);
      expect(await leases.acquire({ name, holder: 'b', ttlMs: 150 })).toBeNull();
      await sleep(120);
      const next = granted(await leases.acquire({ name, holder: 'b', ttlMs: 10_000 }));
      expect(next.fencingToken).toBeGreaterThan(old.fencingToken);
      expect(await leases.renew(old, 10_000)).toBeNull();
      expect(await leases.holderOf(name)).toEqual({ holder: 'b', fencingToken: next.fencingToken });
    },
  },
  {
    category: 'bad input',
    name: 'rejects a malformed name, holder, ttl or grant with a ValidationError and grants nothing',
    async run({ leases }) {
      const name = loopName();
      await expectValidationError(() => leases.acquire({ name: 'two {a} {b}', holder: 'a', ttlMs: 1_000 }));
      await expectValidationError(() => leases.acquire({ name, holder: 'has space', ttlMs: 1_000 }));
      await expectValidationError(() => leases.acquire({ name, holder: 'a', ttlMs: 0 }));
      await expectValidationError(() =>
        leases.renew({ name, holder: 'a', fencingToken: -1, validUntil: 0 }, 1_000),
      );
      expect(await leases.holderOf(name)).toBeNull();
    },
  },
  {
    category: 'concurrency',
    name: 'grants one lease to exactly one of 50 contenders at once, round after round, with growing tokens',
    timeoutMs: 60_000,
    async run({ leases, contender }) {
      const name = loopName();
      const stores = Array.from({ length: 50 }, () => contender?.() ?? leases);
      let lastToken = 0;
      for (let round = 0; round < 5; round += 1) {
        const grants = await Promise.all(
          stores.map((store, i) => store.acquire({ name, holder: `c${i}`, ttlMs: 10_000 })),
        );
        const winners = grants.filter((grant): grant is LeaseGrant => grant !== null);
        expect(winners).toHaveLength(1);
        expect(winners[0]!.fencingToken).toBeGreaterThan(lastToken);
        lastToken = winners[0]!.fencingToken;
        expect(await leases.release(winners[0]!)).toBe(true);
      }
    },
  },
  {
    category: 'concurrency',
    name: 'runs a LeasedLoop on one of 6 instances at a time; a vanished owner is replaced within two lease periods',
    timeoutMs: 60_000,
    async run({ leases, contender }) {
      const name = loopName();
      const leaseMs = 500;
      const runs: Run[] = [];
      const errors: unknown[] = [];
      const instances = Array.from({ length: 6 }, (_, instance) => {
        const { store, vanish } = killable(contender?.() ?? leases);
        let dead = false;
        const loop = new LeasedLoop({
          leases: store,
          name,
          holder: `instance-${instance}`,
          leaseMs,
          intervalMs: 20,
          task: async ({ fencingToken }) => {
            if (!dead) runs.push({ instance, token: fencingToken, at: Date.now() });
          },
          onError: (error) => {
            if (!dead) errors.push(error);
          },
        });
        return {
          loop,
          kill: () => {
            dead = true;
            vanish();
          },
          get dead() {
            return dead;
          },
        };
      });
      for (const { loop } of instances) loop.start();
      const takeovers: number[] = [];
      try {
        for (let kill = 0; kill < 3; kill += 1) {
          await waitFor(() => runs.length > 0 && !instances[runs.at(-1)!.instance]!.dead, 5_000);
          const victim = instances[runs.at(-1)!.instance]!;
          const killedAt = Date.now();
          const tokenBefore = runs.at(-1)!.token;
          victim.kill();
          await waitFor(() => runs.some((run) => run.token > tokenBefore), 4 * leaseMs);
          takeovers.push(runs.find((run) => run.token > tokenBefore)!.at - killedAt);
        }
      } finally {
        await Promise.all(instances.map(({ loop }) => loop.stop()));
      }
      expect(errors).toEqual([]);
      expectOneHolderAtATime(runs);
      for (const takeover of takeovers) expect(takeover).toBeLessThanOrEqual(2 * leaseMs);
      console.info(
        `LeasedLoop takeover after a vanished owner (lease ${leaseMs} ms): ${takeovers.join(', ')} ms`,
      );
    },
  },
];

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** Registers the LeaseStore conformance suite. */
export function describeLeaseStore(name: string, factory: Factory<LeaseStoreSubject>): void {
  registerChecks(`LeaseStore conformance: ${name}`, factory, leaseStoreChecks);
}
