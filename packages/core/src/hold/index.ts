export { HoldSweeper, type HoldSweeperOptions, type SweepReport } from './hold-sweeper';
export { PeriodicTask, type PeriodicTaskOptions, systemTimer, type Timer } from './periodic';
