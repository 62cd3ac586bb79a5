/**
 * `@seatrush/core/ports`: what an adapter author implements against — the ports' schemas, the
 * events and commands on the wire, the state machines, and the validation helpers core uses.
 */
export { z } from 'zod';
export * from '../commands';
export { EpochMs } from '../common/ids';
export { validate } from '../common/validate';
export * from '../events/events';
export * from '../lifecycle';
export { DEFAULT_RETRY_POLICY, retryDelayMs } from '../memory/event-bus';
export { reserveFingerprint } from '../memory/fingerprint';
export { groupReserveFingerprint } from '../memory/group-fingerprint';
export * from '../ports';
export * from '../ports/group-reservation';
export * from '../ports/waiting-list-store';
export { reservationConfirmed, reservationEventId, reservationFailed, reservationRequested } from '../reservation/events';
export { initialStock, Inventory, RateLimitPolicy, AdmissionSettings, SlidingWindowPolicy, TokenBucketPolicy, seatsOf } from '../sale/definition';
export { holdStockChanged, stockChanged } from '../stock/audit';
