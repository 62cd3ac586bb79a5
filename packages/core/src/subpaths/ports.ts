/**
 * `@seatrush/core/ports`: what an adapter author implements against — the ports' schemas, the
 * events and commands on the wire, the state machines, and the validation helpers core uses.
 */
export { z } from 'zod';
export { confirmedNotification, failedNotification, offerNotification } from '../checkout/notifications';
export * from '../commands';
export { EpochMs } from '../common/ids';
export { validate } from '../common/validate';
export * from '../events/events';
export { type HoldRequest, newHold } from '../hold/new-hold';
export * from '../lifecycle';
export { DEFAULT_RETRY_POLICY, retryDelayMs } from '../memory/event-bus';
export { reserveFingerprint } from '../memory/fingerprint';
export { groupReserveFingerprint } from '../memory/group-fingerprint';
export { repairedConfirmed } from '../memory/inventory-repair';
export { SIMULATOR_CARDS, SIMULATOR_SIGNATURE_HEADER } from '../memory/payment-simulator';
export * from '../ports';
export { PAYMENT_RECORD_STATUSES } from '../ports/checkout-store';
export * from '../ports/group-reservation';
export * from '../ports/waiting-list-store';
export {
  holdExpired,
  reservationConfirmed,
  reservationEventId,
  reservationFailed,
  reservationRequested,
} from '../reservation/events';
export { CHECKOUT_WORKER_EVENT_TYPES } from '../reservation/processor';
export { probeDependency, RESULT_LISTENER_GROUP_PREFIX } from '../runtime';
export {
  AdmissionSettings,
  Inventory,
  initialStock,
  RateLimitPolicy,
  SlidingWindowPolicy,
  seatsOf,
  TokenBucketPolicy,
} from '../sale/definition';
export { holdStockChanged, stockChanged } from '../stock/audit';
export { checkSnapshotRules } from '../stock/snapshot-rules';
