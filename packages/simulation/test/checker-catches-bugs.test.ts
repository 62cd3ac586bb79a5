import type { InventorySteps, InventoryStore } from '@seatrush/core';
import type { LeaseStore, SaleControlStore } from '@seatrush/core/ports';
import { describe, expect, it } from 'vitest';
import { replayCommand, shrinkFailure } from '../src/shrink';
import { runSimulation, type SimulationConfig } from '../src/simulation';
import { overriding } from './overriding';

/**
 * A store that takes the stock twice for every new hold: the second DECRBY goes through the lock
 * strategy's `takeStock`, as a careless refactor of the script might do.
 */
function doubleDecrementing(store: InventoryStore, { steps }: { steps: InventorySteps }): InventoryStore {
  return overriding(store, {
    async reserve(request) {
      const outcome = await store.reserve(request);
      if (outcome.ok && !outcome.replayed) await steps.takeStock(request.saleId, outcome.hold.quantity, 1e9);
      return outcome;
    },
  });
}

async function firstFailing(config: Omit<SimulationConfig, 'seed'>, seeds: number[]) {
  for (const seed of seeds) {
    const result = await runSimulation({ ...config, seed });
    if (!result.ok) return result;
  }
  throw new Error('no seed caught the broken store');
}

describe('the checker catches a broken store', () => {
  it('fails a store that double-decrements, and shrinks the run to a few buyers, one instance, no faults', async () => {
    const failing = await firstFailing({ inventory: doubleDecrementing }, [1, 2, 3]);
    expect(failing.failure?.invariant).toBe('stock');
    expect(replayCommand(failing.config)).toMatch(/^pnpm simulate --seed \d+ --buyers \d+/);
    const { result } = await shrinkFailure(failing, { base: { inventory: doubleDecrementing } });
    expect(result.failure?.invariant).toBe('stock');
    expect(result.config.buyerIds.length).toBeLessThanOrEqual(Math.min(3, failing.config.buyerIds.length));
    expect(result.config.instances).toBe(1);
    expect(result.config.faults).toEqual([]);
    expect(result.failure!.step).toBeLessThan(failing.failure!.step + 1);
    expect(result.config.maxSteps).toBe(result.failure!.step);
  });
});

/** A lease store that grants a lease even while another holder's is live (a lost NX, say). */
function grantingTwice(leases: LeaseStore): LeaseStore {
  return overriding(leases, {
    async acquire(input) {
      const granted = await leases.acquire(input);
      if (granted) return granted;
      // the live holder's lease is overwritten, its token reused
      const live = await (
        leases as unknown as { holderOf(name: string): Promise<{ fencingToken: number } | null> }
      ).holderOf(input.name);
      return live
        ? {
            name: input.name,
            holder: input.holder,
            fencingToken: live.fencingToken,
            validUntil: Date.now() * 2,
          }
        : null;
    },
  });
}

/** A store of the sale's controls whose reads never show a change after the first record. */
function neverFollowed(store: SaleControlStore): SaleControlStore {
  let first: Awaited<ReturnType<SaleControlStore['read']>> = null;
  return overriding(store, {
    async read(saleId) {
      first ??= await store.read(saleId);
      return first;
    },
    revision: async (saleId) => first?.revision ?? store.revision(saleId),
  });
}

describe('the checker catches broken instance coordination', () => {
  it('fails a lease store that lets two instances own one loop', async () => {
    const failing = await firstFailing({ leases: grantingTwice, instances: 3, faults: [] }, [1, 2, 3]);
    expect(failing.failure?.invariant).toBe('lease');
  });

  it("fails a store of the sale's controls that instances cannot follow", async () => {
    // the operator's pause is the change the other instances miss
    const failing = await firstFailing(
      { saleControl: neverFollowed, instances: 3, faults: ['operator'] },
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    expect(failing.failure?.invariant).toBe('follows');
  });
});
