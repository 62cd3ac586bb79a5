import { MemoryInventoryStore, MemoryWaitingRoomStore } from '@seatrush/core/memory';
import { describeGroupReservation, describeSaleHooks, describeWaitingListStore } from '../src';
import { memoryPipeline } from './memory-pipeline';

// The group-allocation, waiting-list and host-hooks suites against the in-memory adapters.

function memoryInventory() {
  const waitingRoom = new MemoryWaitingRoomStore();
  const inventory = new MemoryInventoryStore({ waitingRoom });
  return { inventory, waitingRoom };
}

describeGroupReservation('MemoryInventoryStore', async () => memoryInventory());
describeWaitingListStore('MemoryInventoryStore.waitingList()', async () => {
  const { inventory } = memoryInventory();
  return { inventory, waitingList: inventory.waitingList() };
});
describeSaleHooks('in-memory adapters', memoryPipeline());
