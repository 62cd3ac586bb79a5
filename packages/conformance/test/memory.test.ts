import {
  MemoryBlocklist,
  MemoryDistributedLock,
  MemoryEventBus,
  MemoryIdempotencyStore,
  MemoryRateLimiter,
  MemoryReservationRepository,
  MemoryWaitingRoomStore,
} from '@seatrush/core/memory';
import {
  describeBlocklist,
  describeDistributedLock,
  describeEventBus,
  describeIdempotencyStore,
  describeInventorySteps,
  describeInventoryStore,
  describePipeline,
  describeRateLimiter,
  describeReservationRepository,
  describeWaitingRoomStore,
} from '../src';
import { memoryInventory, memoryPipeline } from './memory-pipeline';

// Every suite against the in-memory adapters: the executable specification passes its own spec.

describeInventoryStore('MemoryInventoryStore', async () => memoryInventory());
describeInventorySteps('MemoryInventoryStore.steps()', async () => {
  const { inventory, waitingRoom } = memoryInventory();
  return { inventory, waitingRoom, steps: inventory.steps() };
});
describeWaitingRoomStore('MemoryWaitingRoomStore', async () => ({
  waitingRoom: new MemoryWaitingRoomStore(),
}));
describeIdempotencyStore('MemoryIdempotencyStore', async () => ({ store: new MemoryIdempotencyStore() }));
describeRateLimiter('MemoryRateLimiter', async () => ({ limiter: new MemoryRateLimiter() }));
describeBlocklist('MemoryBlocklist', async () => ({ blocklist: new MemoryBlocklist() }));
// acquire() has no `now`: the lock reads the wall clock, so its ttl can lapse in real time.
describeDistributedLock('MemoryDistributedLock', async () => ({ lock: new MemoryDistributedLock() }));
describeEventBus('MemoryEventBus', async () => {
  const bus = new MemoryEventBus();
  return {
    publisher: bus,
    consumer: (group: string) => bus.consumer(group),
    sendRaw: (body: string, key: string) => bus.publishRaw(body, key),
    dispose: () => bus.close(),
  };
});
describeReservationRepository('MemoryReservationRepository', async () => ({
  repository: new MemoryReservationRepository(),
}));
describePipeline('in-memory adapters', memoryPipeline());
