export type {
  BreakerName,
  BreakerOptions,
  BreakerSettings,
  BreakerState,
  BreakerStateChange,
  BreakerView,
} from '../resilience/breakers';
export { type MemoryRuntimePorts, memoryPorts } from './memory-ports';
export { RESULT_LISTENER_GROUP_PREFIX, type ReservationResult } from './result-notifier';
export {
  checkRuntimePorts,
  combineBundles,
  type DependencyHealth,
  probeDependency,
  type RuntimePorts,
} from './runtime-ports';
export { runSaleCommand, SALE_COMMANDS, type SaleCommand, type SaleCommandAnswer } from './sale-command';
export {
  createSeatRushRuntime,
  type RuntimeHealth,
  type RuntimeLoops,
  type RuntimeSale,
  type SeatRushRuntime,
  type SeatRushRuntimeOptions,
  WORKER_RETRY_POLICY,
} from './seatrush-runtime';
