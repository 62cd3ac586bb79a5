export { MemoryAlertSink } from './alert-sink';
export { MemoryBlocklist } from './blocklist';
export { MemoryDistributedLock } from './distributed-lock';
export { DEFAULT_RETRY_POLICY, MemoryEventBus, retryDelayMs } from './event-bus';
export { reserveFingerprint } from './fingerprint';
export { groupReserveFingerprint } from './group-fingerprint';
export { MemoryIdempotencyStore } from './idempotency-store';
export { MemoryInventoryStore } from './inventory-store';
export { MemoryLeaseStore, randomHolderId } from './lease-store';
export { ManualClock } from './manual-clock';
export {
  type FakeCharge,
  FakePaymentGateway,
  type FakeRefund,
  PaymentUnavailableError,
} from './payment-gateway';
export { MemoryRateLimiter } from './rate-limiter';
export { MemoryRecentActivityStore } from './recent-activity-store';
export { MemoryReservationRepository } from './reservation-repository';
export { MemorySaleControlStore } from './sale-control-store';
export { MemorySingleUseStore } from './single-use-store';
export { MemoryWaitingRoomStore } from './waiting-room-store';
