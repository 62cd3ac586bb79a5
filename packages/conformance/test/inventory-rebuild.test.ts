import type { InventoryStore } from '@seatrush/core';
import { MemoryInventoryStore } from '@seatrush/core/memory';
import { describeInventoryRebuild } from '../src';

// The rebuild checks against the in-memory store: a lost sale is a store that forgot everything
// (the memory store keeps a sale in one piece, so a partial loss loses it whole).
describeInventoryRebuild('MemoryInventoryStore (rebuild)', async () => {
  let current = new MemoryInventoryStore();
  const inventory = new Proxy({} as MemoryInventoryStore, {
    get(_, property) {
      const value = Reflect.get(current, property, current);
      return typeof value === 'function' ? value.bind(current) : value;
    },
  }) as InventoryStore & Required<Pick<InventoryStore, 'restore' | 'wasRebuilt'>>;
  return {
    inventory,
    loseSale: async () => {
      current = new MemoryInventoryStore();
    },
  };
});
