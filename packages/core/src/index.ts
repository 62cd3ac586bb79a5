/**
 * `@seatrush/core`: what a host wires — the runtime, sale definitions, errors and every type.
 *
 * The building blocks live behind subpaths, so this entry stays small enough to learn:
 * - `@seatrush/core/ports`: the port contracts' schemas, events, commands and state machines
 *   (for adapter authors);
 * - `@seatrush/core/services`: the services the runtime assembles (waiting room, reservations,
 *   sweeper, reconciler, relay, …), for hosts that compose their own;
 * - `@seatrush/core/memory`: the in-memory reference adapters;
 * - `@seatrush/core/testing`: a clock that moves only when told, for tests.
 *
 * Every type of every subpath is exported here too: types cost a host nothing at run time.
 */

export { BotGuard } from './bot/bot-guard';
export { solveProofOfWork } from './bot/proof-of-work';
export type * from './checkout';
export { WebhookSignatureError } from './checkout/errors';
export type * from './common/errors';
export {
  ConfigurationError,
  InfrastructureError,
  PublishError,
  SeatRushError,
  StoreUnavailableError,
  UnknownSaleError,
  ValidationError,
} from './common/errors';
export type * from './common/ids';
export { IdempotencyKey, ReservationId, SAFE_ID_PATTERN, SaleId, SeatId, UserId } from './common/ids';
export type { RefusalCode } from './common/refusals';
export { isRefusalCode, REFUSAL_CODES, REFUSAL_HTTP_STATUS, refusalStatus } from './common/refusals';
export { SALE_HOOK_NAMES } from './hooks/sale-hooks';
export { RESERVATION_STATES } from './lifecycle/reservation';
export { SALE_STATES } from './lifecycle/sale';
export { FakePaymentGateway, PaymentUnavailableError } from './memory/payment-gateway';
export { SimulatedPaymentProvider } from './memory/payment-simulator';
export { systemClock } from './ports/clock';
export { MAX_GROUP_CANDIDATE_SEATS } from './ports/group-reservation';
export { botGuardHook } from './queue/bot-guard-hook';
export { PriceList } from './reservation/price-list';
export { CircuitOpenError } from './resilience/breakers';
export type * from './runtime';
export {
  checkRuntimePorts,
  combineBundles,
  createSeatRushRuntime,
  memoryPorts,
  SALE_COMMANDS,
  WORKER_RETRY_POLICY,
} from './runtime';
export type * from './sale/definition';
export {
  AssignedSeating,
  GeneralAdmission,
  MAX_SEATS_PER_SALE,
  PriceTier,
  parseSaleDefinition,
  SaleDefinition,
  Seat,
  SeatRow,
  SeatSection,
} from './sale/definition';
export type * from './seatrush';
export { createInMemorySeatRush, createSeatRush } from './seatrush';
export { SaleNotWarmError } from './stock/warm-up';
export type * from './subpaths/memory';
export type * from './subpaths/ports';
export type * from './subpaths/services';
export type * from './subpaths/testing';
