/** `@seatrush/core/memory`: the in-memory reference adapters, one per port (`memoryPorts()` wires them all). */
export { MemoryAlertSink } from '../memory/alert-sink';
export { MemoryBlocklist } from '../memory/blocklist';
export { MemoryCheckoutStore } from '../memory/checkout-store';
export { MemoryDistributedLock } from '../memory/distributed-lock';
export { MemoryEventBus } from '../memory/event-bus';
export { MemoryIdempotencyStore } from '../memory/idempotency-store';
export { MemoryInventoryStore } from '../memory/inventory-store';
export { MemoryLeaseStore, randomHolderId } from '../memory/lease-store';
export { MemoryNotificationOutbox, MemoryNotificationSender } from '../memory/notification-outbox';
export { MemoryRateLimiter } from '../memory/rate-limiter';
export { MemoryRecentActivityStore } from '../memory/recent-activity-store';
export { MemoryReservationRepository } from '../memory/reservation-repository';
export { MemorySaleControlStore } from '../memory/sale-control-store';
export { MemorySingleUseStore } from '../memory/single-use-store';
export { MemoryWaitingRoomStore } from '../memory/waiting-room-store';
