import { FakePaymentGateway } from '@seatrush/core';
import {
  MemoryAlertSink,
  MemoryDistributedLock,
  MemoryEventBus,
  MemoryInventoryStore,
  MemoryReservationRepository,
  MemoryWaitingRoomStore,
} from '@seatrush/core/memory';
import { ManualClock } from '@seatrush/core/testing';
import { describeGroupReservation, describeSaleHooks, describeWaitingListStore } from '../src';

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
describeSaleHooks('in-memory adapters', async () => {
  const clock = new ManualClock();
  const { inventory, waitingRoom } = memoryInventory();
  const bus = new MemoryEventBus();
  return {
    waitingRoom,
    inventory,
    waitingList: inventory.waitingList(),
    steps: inventory.steps(),
    lock: new MemoryDistributedLock({ clock }),
    publisher: bus,
    consumer: (group: string) => bus.consumer(group),
    repository: new MemoryReservationRepository(),
    payments: new FakePaymentGateway(),
    alerts: new MemoryAlertSink(),
    clock,
  };
});
