export { holdStockChanged, stockChanged } from './audit';
export {
  ColdSaleRebuilder,
  type ColdSaleRebuilderOptions,
  watchNotWarm,
  watchStepsNotWarm,
} from './cold-sale';
export { type RebuildReport, RebuildService, type RebuildServiceOptions } from './rebuild';
export {
  Reconciler,
  type ReconcilerOptions,
  type ReconciliationReport,
} from './reconciler';
export { SaleNotWarmError, WarmUp, type WarmUpOptions, type WarmUpReport } from './warm-up';
