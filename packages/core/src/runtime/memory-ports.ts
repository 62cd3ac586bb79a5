import { MemoryBlocklist } from '../memory/blocklist';
import { MemoryDistributedLock } from '../memory/distributed-lock';
import { MemoryEventBus } from '../memory/event-bus';
import { MemoryInventoryStore } from '../memory/inventory-store';
import { MemoryLeaseStore } from '../memory/lease-store';
import { MemoryRateLimiter } from '../memory/rate-limiter';
import { MemoryRecentActivityStore } from '../memory/recent-activity-store';
import { MemoryReservationRepository } from '../memory/reservation-repository';
import { MemorySaleControlStore } from '../memory/sale-control-store';
import { MemorySingleUseStore } from '../memory/single-use-store';
import { MemoryWaitingRoomStore } from '../memory/waiting-room-store';
import type { Clock } from '../ports/clock';
import { systemClock } from '../ports/clock';
import type { RandomBelow } from '../queue/fair-shuffle';
import type { RuntimePorts } from './runtime-ports';

/** Every port in memory, with the concrete adapters for tests and admin views. */
export interface MemoryRuntimePorts extends RuntimePorts {
  waitingRoom: MemoryWaitingRoomStore;
  inventory: MemoryInventoryStore;
  lock: MemoryDistributedLock;
  bus: MemoryEventBus;
  publisher: MemoryEventBus;
  repository: MemoryReservationRepository;
}

/**
 * The runtime's ports in one process: the embedded default (a demo, a test, a single-process
 * sale). Same services and pipeline as on Redis, Kafka and PostgreSQL; nothing survives the
 * process.
 */
export function memoryPorts(
  options: {
    clock?: Clock;
    random?: RandomBelow;
    /** The clock of the lease store; the wall clock, like the runtime's leases (a simulation passes its own). */
    leaseClock?: Clock;
  } = {},
): MemoryRuntimePorts {
  const clock = options.clock ?? systemClock;
  const waitingRoom = new MemoryWaitingRoomStore(options.random ? { random: options.random } : {});
  const inventory = new MemoryInventoryStore({ waitingRoom });
  const bus = new MemoryEventBus();
  return {
    waitingRoom,
    inventory,
    waitingList: inventory.waitingList(),
    steps: inventory.steps(),
    lock: new MemoryDistributedLock({ clock }),
    rateLimiter: new MemoryRateLimiter(),
    blocklist: new MemoryBlocklist(),
    saleControl: new MemorySaleControlStore(),
    leases: new MemoryLeaseStore({ clock: options.leaseClock ?? systemClock }),
    singleUse: new MemorySingleUseStore(),
    activity: new MemoryRecentActivityStore(),
    bus,
    publisher: bus,
    consumer: (group) => bus.consumer(group),
    repository: new MemoryReservationRepository(),
    health: async () => ({ memory: { ok: true, detail: 'in-memory, this process' } }),
  };
}
