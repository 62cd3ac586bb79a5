export { LeasedLoop, type LeasedLoopOptions, type LeasedTick, SaleLoop, saleLoopLease } from './leased-loop';
export { SaleControlCache, type SaleControlCacheOptions } from './sale-control-cache';
export { SharedSaleLifecycle, type SharedSaleTransition } from './sale-lifecycle';
