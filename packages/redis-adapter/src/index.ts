export { RedisBlocklist } from './blocklist';
export { type RedisPorts, type RedisPortsOptions, redisPorts } from './bundle';
export {
  checkDurability,
  connectRedis,
  type DurabilityWarning,
  type ExtraRedisOptions,
  type RedisAddress,
  type RedisAuth,
  type RedisDeployment,
} from './connect';
export { redisDeploymentFromUrl } from './deployment-url';
export { HoldExpiryListener, type HoldExpiryListenerOptions } from './expiry-listener';
export { RedisIdempotencyStore } from './idempotency-store';
export { RedisInventorySteps } from './inventory-steps';
export { RedisInventoryStore, type RedisInventoryStoreOptions } from './inventory-store';
export { KeySpace, type SaleKeys } from './keys';
export { RedisLeaseStore, type RedisLeaseStoreOptions } from './lease-store';
export { assertUsableClient, type RedisStoreOptions } from './options';
export { RedisRateLimiter } from './rate-limiter';
export { RedisRecentActivityStore } from './recent-activity-store';
export { Redlock, type RedlockOptions } from './redlock';
export { RedisSaleControlStore } from './sale-control-store';
export type { RedisClient } from './scripts';
export { RedisSingleUseStore } from './single-use-store';
export { homeStripe, slotOfTag } from './stripe-layout';
export { RedisStripedInventorySteps } from './striped-inventory-steps';
export {
  RedisStripedInventoryStore,
  type RedisStripedInventoryStoreOptions,
} from './striped-inventory-store';
export { RedisStripedWaitingListStore } from './striped-waiting-list';
export { RedisWaitingListStore } from './waiting-list-store';
export { RedisWaitingRoomStore } from './waiting-room-store';
