export { type BuyerEnd, runBuyer } from './buyers';
export { SimulatedEventLog } from './event-log';
export { FAULT_KINDS, FaultInjector, type FaultKind, type FaultRates, simulatedPort } from './faults';
export { InvariantChecker, InvariantViolation } from './invariants';
export { Random } from './random';
export { Scheduler, TIMED_OUT } from './scheduler';
export { replayCommand, type ShrinkOptions, shrinkFailure } from './shrink';
export {
  type ResolvedConfig,
  resolveConfig,
  runSimulation,
  type SimulationConfig,
  type SimulationResult,
} from './simulation';
