import { systemClock } from '@seatrush/core';
import {
  MemoryBlocklist,
  MemoryDistributedLock,
  MemoryEventBus,
  MemoryInventoryStore,
  MemoryRateLimiter,
  MemoryReservationRepository,
  MemoryWaitingRoomStore,
} from '@seatrush/core/memory';
import type { Logger } from 'pino';
import { LoggingAlertSink } from './alerts';
import type { PlatformPorts } from './sdk-platform';

/**
 * The embedded default: every port from the SDK's in-memory adapters, in this process. Nothing to
 * install or start; state is lost on exit. The same services run on top as with the real servers.
 */
export function memoryPorts(log: Logger): PlatformPorts & { bus: MemoryEventBus } {
  const waitingRoomStore = new MemoryWaitingRoomStore();
  const bus = new MemoryEventBus();
  const inventory = new MemoryInventoryStore({ waitingRoom: waitingRoomStore });
  return {
    mode: 'memory',
    clock: systemClock,
    waitingRoomStore,
    inventory,
    waitingListStore: inventory.waitingList(),
    repository: new MemoryReservationRepository(),
    publisher: bus,
    consumer: (group) => bus.consumer(group),
    rateLimiter: new MemoryRateLimiter(),
    blocklist: new MemoryBlocklist(),
    lock: new MemoryDistributedLock(),
    steps: inventory.steps(),
    alerts: new LoggingAlertSink(log),
    bus,
    async health() {
      return { store: { ok: true, detail: 'in-memory' }, events: { ok: true, detail: 'in-memory' } };
    },
    pools: () => ({}),
    async close() {},
  };
}
