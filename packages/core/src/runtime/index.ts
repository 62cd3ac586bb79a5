export { type MemoryRuntimePorts, memoryPorts } from './memory-ports';
export { checkRuntimePorts, combineBundles, type RuntimePorts } from './runtime-ports';
export {
  createSeatRushRuntime,
  type RuntimeHealth,
  type RuntimeLoops,
  type RuntimeSale,
  type SeatRushRuntime,
  type SeatRushRuntimeOptions,
  WORKER_RETRY_POLICY,
} from './seatrush-runtime';
