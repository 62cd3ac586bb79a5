export type { Alert, AlertSink } from './alert-sink';
export type { Blocklist } from './blocklist';
export type { Challenge, ChallengeProvider, ChallengeVerification } from './challenge';
export { type Clock, systemClock } from './clock';
export type { DeadLetterStore, DeadLetterView } from './dead-letter-store';
export type { DistributedLock, Lease } from './distributed-lock';
export type { BatchOutcome, DeadLetter, EventConsumer, EventHandler, RetryPolicy } from './event-consumer';
export type { EventPublisher } from './event-publisher';
export {
  type IdempotencyClaim,
  IdempotencyClaimInput,
  IdempotencyCompleteInput,
  IdempotencyKeyRef,
  type IdempotencyStore,
} from './idempotency-store';
export {
  type CompensateOutcome,
  type HoldChangeOutcome,
  HoldExtension,
  HoldOwnerChange,
  HoldRecord,
  HoldStatus,
  type InventoryCounts,
  InventorySnapshot,
  type InventorySteps,
  type InventoryStore,
  type InventoryTruth,
  type ReserveOutcome,
  type ReserveRefusal,
  ReserveRequest,
  type SeatState,
  Selection,
  type UnrelayedHold,
} from './inventory-store';
export {
  AcquireLeaseInput,
  LeaseGrant,
  LeaseHolder,
  LeaseName,
  type LeaseStore,
} from './lease-store';
export type { ChargeOutcome, PaymentGateway } from './payment-gateway';
// every name of the queueing port is public, as of the waiting-room port below
export * from './queueing-store';
export { type RateLimitDecision, type RateLimiter, RateLimitRequest } from './rate-limiter';
export {
  type BuyerHistoryEntry,
  BuyerHistoryQuery,
  type ReadModel,
  ReadReservationState,
  type SaleCounters,
  SaleStatsQuery,
  type SaleStatsView,
  type SeatAuditEntry,
  SeatAuditQuery,
  SeatMapQuery,
  type SeatView,
} from './read-model';
export {
  ActivityKey,
  ActivityKind,
  CountEventInput,
  CountMemberInput,
  IsMarkedInput,
  MarkInput,
  MarkKind,
  type RecentActivityStore,
} from './recent-activity-store';
export {
  HoldRelease,
  ReconciliationRecord,
  type ReservationRepository,
  ReservationRow,
  ReservationStatus,
  ReservationStatusChange,
  type SaleTotals,
} from './reservation-repository';
export {
  ConfigureSaleInput,
  InitializeSaleControlInput,
  InvitationRevocationInput,
  RecordAdaptiveDecisionInput,
  RecordedAdaptiveDecision,
  SaleAdmissionControl,
  SaleControl,
  type SaleControlStore,
  type SaleControlWrite,
  SaleStateChangeInput,
  SaleStateSchema,
} from './sale-control-store';
export { SingleUseInput, type SingleUseStore } from './single-use-store';
// every name of the waiting-room port is public: its inputs, its answers and the port
export type * from './waiting-room-store';
