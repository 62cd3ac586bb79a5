export { type MemoryRuntimePorts, memoryPorts } from './memory-ports';
export { checkRuntimePorts, combineBundles, type RuntimePorts } from './runtime-ports';
export {
  createSeatRushRuntime,
  type RuntimeHealth,
  type RuntimeLoops,
  type RuntimeSale,
  type SeatRushRuntime,
  type SeatRushRuntimeOptions,
} from './seatrush-runtime';
