import {
  MemoryLeaseStore,
  MemoryRecentActivityStore,
  MemorySaleControlStore,
  MemorySingleUseStore,
} from '@seatrush/core/memory';
import {
  describeLeaseStore,
  describeRecentActivityStore,
  describeSaleControlStore,
  describeSingleUseStore,
} from '../src';

// The shared-store ports of "instances act as one" against their in-memory references.

describeSaleControlStore('MemorySaleControlStore', async () => ({ store: new MemorySaleControlStore() }));
// leases expire in real time: the memory store reads the system clock by default
describeLeaseStore('MemoryLeaseStore', async () => ({ leases: new MemoryLeaseStore() }));
describeSingleUseStore('MemorySingleUseStore', async () => ({ store: new MemorySingleUseStore() }));
describeRecentActivityStore('MemoryRecentActivityStore', async () => ({
  activity: new MemoryRecentActivityStore(),
}));
