export {
  edgesOf,
  type IllegalTransition,
  type InvalidTransition,
  sourcesOf,
  stateDiagramOf,
  type TableEdge,
  type TransitionAccepted,
  type TransitionRefused,
  type TransitionResult,
  type TransitionTable,
  targetOf,
  terminalStatesOf,
} from './machine';
export * from './queue-ticket';
export * from './reservation';
export * from './sale';
export * from './unit-hold';
