import { describeGroupReservation, describeSaleHooks, describeWaitingListStore } from '../src';
import { memoryInventory, memoryPipeline } from './memory-pipeline';

// The group-allocation, waiting-list and host-hooks suites against the in-memory adapters.

describeGroupReservation('MemoryInventoryStore', async () => memoryInventory());
describeWaitingListStore('MemoryInventoryStore.waitingList()', async () => {
  const { inventory } = memoryInventory();
  return { inventory, waitingList: inventory.waitingList() };
});
describeSaleHooks('in-memory adapters', memoryPipeline());
