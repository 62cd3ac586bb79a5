import type { InventoryStore } from '@seatrush/core';
import { FakePaymentGateway, memoryPorts } from '@seatrush/core';
import { MemoryAlertSink, MemoryInventoryStore, MemoryWaitingRoomStore } from '@seatrush/core/memory';
import { ManualClock } from '@seatrush/core/testing';
import type { Factory, SaleHooksParts } from '../src';

/** The in-memory inventory store over its own waiting room (reserve reads the admitted set there). */
export function memoryInventory() {
  const waitingRoom = new MemoryWaitingRoomStore();
  const inventory = new MemoryInventoryStore({ waitingRoom });
  return { inventory, waitingRoom };
}

/**
 * The in-memory ports of a whole sale, for `describePipeline`, `describeSaleHooks` (the waiting
 * list is the store's) and the tests that run their checks. `store` makes the inventory over the waiting room (a subclass that misbehaves, say); `wrap`
 * puts a decorator in front of it. The lock strategy's steps are always the store's own.
 */
export function memoryPipeline(
  options: {
    store?: (waitingRoom: MemoryWaitingRoomStore) => MemoryInventoryStore;
    wrap?: (inventory: InventoryStore) => InventoryStore;
  } = {},
): Factory<SaleHooksParts> {
  return async () => {
    const clock = new ManualClock();
    const { waitingRoom, inventory, lock, publisher, consumer, repository } = memoryPorts({ clock });
    const store = options.store?.(waitingRoom) ?? inventory;
    return {
      waitingRoom,
      inventory: options.wrap?.(store) ?? store,
      waitingList: store.waitingList(),
      steps: store.steps(),
      lock,
      publisher,
      consumer,
      repository,
      payments: new FakePaymentGateway(),
      alerts: new MemoryAlertSink(),
      clock,
    };
  };
}
