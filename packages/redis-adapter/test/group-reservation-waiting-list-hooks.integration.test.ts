import { describeSaleHooks } from '@seatrush/conformance';
import { FakePaymentGateway } from '@seatrush/core';
import { MemoryAlertSink, MemoryEventBus, MemoryReservationRepository } from '@seatrush/core/memory';
import { ManualClock } from '@seatrush/core/testing';
import { RedisInventoryStore, RedisWaitingRoomStore, Redlock } from '@seatrush/redis-adapter';
import { describeGroupAndWaitingList, fresh, singleServer } from './deployments';

// The group-allocation, waiting-list and host-hooks suites on the real Redis server.

describeGroupAndWaitingList(singleServer);

// a whole sale whose hot path (waiting room, holds, waiting list, the lock strategy) is Redis; the
// bus, the repository and the gateway stay in memory (their adapters have their own suites)
describeSaleHooks('Redis stores', async () => {
  const { redis, keyPrefix, dispose } = fresh(singleServer);
  const inventory = new RedisInventoryStore(redis, { keyPrefix });
  const bus = new MemoryEventBus();
  return {
    waitingRoom: new RedisWaitingRoomStore(redis, { keyPrefix }),
    inventory,
    waitingList: inventory.waitingList(),
    steps: inventory.steps(),
    lock: new Redlock([redis], { keyPrefix, retryCount: 2, retryDelayMs: 10 }),
    publisher: bus,
    consumer: (group: string) => bus.consumer(group),
    repository: new MemoryReservationRepository(),
    payments: new FakePaymentGateway(),
    alerts: new MemoryAlertSink(),
    clock: new ManualClock(Math.floor(Date.now() / 1_000) * 1_000),
    dispose,
  };
});
