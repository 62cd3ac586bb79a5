export { holdStockChanged, stockChanged } from './audit';
export { type RebuildReport, RebuildService, type RebuildServiceOptions } from './rebuild';
export {
  Reconciler,
  type ReconcilerOptions,
  type ReconciliationReport,
} from './reconciler';
export { SaleNotWarmError, WarmUp, type WarmUpOptions, type WarmUpReport } from './warm-up';
