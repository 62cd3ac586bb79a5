/**
 * `@seatrush/core/services`: the services the runtime assembles from the ports, for a host that
 * composes its own (most hosts want `createSeatRushRuntime` from `@seatrush/core` instead).
 */
export * from '../bot';
export { Checkout } from '../checkout/checkout';
export { NotificationRelay } from '../checkout/notification-relay';
export { buildRuntimeCheckout, NO_AUTO_PAY } from '../checkout/runtime-checkout';
export { SaleCheckout } from '../checkout/sale-checkout';
export * from '../hold';
export * from '../hooks';
export * from '../instances';
export * from '../queue';
export * from '../reservation/group-reservations';
export * from '../reservation/hold-relay';
export type { HoldServiceOptions } from '../reservation/hold-service';
export * from '../reservation/processor';
export * from '../reservation/reservations';
export * from '../reservation/waiting-list';
export { BREAKER_NAMES, DependencyBreaker, RuntimeBreakers } from '../resilience/breakers';
export { runSaleCommand } from '../runtime';
export * from '../stock';
