export { HoldSweeper, type HoldSweeperOptions, type SweepReport } from './hold-sweeper';
export {
  type LoopOptions,
  PeriodicTask,
  type PeriodicTaskOptions,
  systemTimer,
  type Timer,
} from './periodic';
