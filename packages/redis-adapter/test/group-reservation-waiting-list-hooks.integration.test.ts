import { describeGroupReservation, describeSaleHooks, describeWaitingListStore } from '@seatrush/conformance';
import { FakePaymentGateway } from '@seatrush/core';
import { MemoryAlertSink, MemoryEventBus, MemoryReservationRepository } from '@seatrush/core/memory';
import { ManualClock } from '@seatrush/core/testing';
import { RedisInventoryStore, RedisWaitingRoomStore, Redlock } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { isolatedPrefix } from './helpers';

// The group-allocation, waiting-list and host-hooks suites on the real Redis server.

function fresh() {
  const redis = new Redis(inject('services').redisUrl);
  return { redis, keyPrefix: isolatedPrefix(), dispose: async () => void (await redis.quit()) };
}

describeGroupReservation('RedisInventoryStore', async () => {
  const { redis, keyPrefix, dispose } = fresh();
  return {
    inventory: new RedisInventoryStore(redis, { keyPrefix }),
    waitingRoom: new RedisWaitingRoomStore(redis, { keyPrefix }),
    dispose,
  };
});

describeWaitingListStore('RedisInventoryStore.waitingList()', async () => {
  const { redis, keyPrefix, dispose } = fresh();
  const inventory = new RedisInventoryStore(redis, { keyPrefix });
  return { inventory, waitingList: inventory.waitingList(), dispose };
});

// a whole sale whose hot path (waiting room, holds, waiting list, the lock strategy) is Redis; the
// bus, the repository and the gateway stay in memory (their adapters have their own suites)
describeSaleHooks('Redis stores', async () => {
  const { redis, keyPrefix, dispose } = fresh();
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
