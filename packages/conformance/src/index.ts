/**
 * `@seatrush/conformance`: the suites every SeatRush port implementation must pass. Each
 * `describe*` function registers vitest blocks and takes a name and a factory of fresh ports.
 */

export { chiSquareCritical, chiSquareIndependence, chiSquareUniform } from '@seatrush/core/testing';
export { type BlocklistSubject, blocklistChecks, describeBlocklist } from './blocklist';
export { type CheckoutStoreSubject, checkoutStoreChecks, describeCheckoutStore } from './checkout-store';
export {
  type DistributedLockSubject,
  describeDistributedLock,
  distributedLockChecks,
} from './distributed-lock';
export { admittedEvent, describeEventBus, type EventBusSubject, eventBusChecks } from './event-bus';
export * from './fixtures';
export {
  candidateRows,
  describeGroupReservation,
  type GroupReservationSubject,
  groupRequest,
  groupReservationChecks,
} from './group-reservation';
export {
  type Check,
  type CheckCategory,
  type CheckContext,
  type Disposable,
  eventually,
  expectValidationError,
  type Factory,
  registerChecks,
  runCheck,
  sleep,
} from './harness';
export { holdOutboxChecks } from './hold-outbox';
export {
  describeIdempotencyStore,
  type IdempotencyStoreSubject,
  idempotencyStoreChecks,
} from './idempotency-store';
export { type ExpectedChange, type ExpectedReserve, InventoryModel, type ModelHold } from './inventory-model';
export {
  describeInventoryRebuild,
  type InventoryRebuildSubject,
  inventoryRebuildChecks,
} from './inventory-rebuild';
export { describeInventorySteps, type InventoryStepsSubject, inventoryStepsChecks } from './inventory-steps';
export {
  describeInventoryStore,
  expectInvariant,
  type InventoryStoreSubject,
  inventoryStoreChecks,
} from './inventory-store';
export { describeLeaseStore, type LeaseStoreSubject, leaseStoreChecks } from './lease-store';
export { describePipeline, pipelineChecks } from './pipeline';
export { describeQueueingRoom, type QueueingRoomSubject, queueingRoomChecks } from './queueing-room';
export { describeQueueingStore, type QueueingStoreSubject, queueingStoreChecks } from './queueing-store';
export { describeRateLimiter, type RateLimiterSubject, rateLimiterChecks } from './rate-limiter';
export {
  describeRecentActivityStore,
  type RecentActivityStoreSubject,
  recentActivityStoreChecks,
} from './recent-activity-store';
export {
  describeReservationRepository,
  type ReservationRepositorySubject,
  reservationRepositoryChecks,
  reservationRow,
} from './reservation-repository';
export {
  describeSaleControlStore,
  type SaleControlStoreSubject,
  saleControlStoreChecks,
} from './sale-control-store';
export { describeSaleHooks, type SaleHooksParts, saleHooksChecks } from './sale-hooks';
export type { PipelineParts } from './sale-runtime';
export { describeSingleUseStore, type SingleUseStoreSubject, singleUseStoreChecks } from './single-use-store';
export {
  describeStripedInventoryStore,
  perStripeInventoryChecks,
  stripedInventoryChecks,
} from './striped-inventory';
export {
  describeWaitingListStore,
  type WaitingListStoreSubject,
  waitingListStoreChecks,
} from './waiting-list-store';
export {
  describeWaitingRoomStore,
  type WaitingRoomStoreSubject,
  waitingRoomStoreChecks,
} from './waiting-room-store';
