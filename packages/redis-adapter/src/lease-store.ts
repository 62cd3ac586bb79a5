import { type Clock, type LeaseGrant, type LeaseStore, systemClock } from '@seatrush/core';
import { AcquireLeaseInput, LeaseGrant as LeaseGrantSchema, LeaseName, validate } from '@seatrush/core/ports';
import { type RedisStoreOptions, type StoreContext, storeContext } from './options';
import type { RedisClient } from './scripts';

/** Options of {@link RedisLeaseStore}. */
export interface RedisLeaseStoreOptions extends RedisStoreOptions {
  /** Where `validUntil` is read (the holder's clock); the wall clock by default. */
  clock?: Clock;
}

/**
 * Loop leases in Redis: a hash `{holder, token}` with a PX of the lease's ttl, and a fencing
 * counter beside it that only grows. Each operation is one script, so acquire, renew and release
 * are atomic; a name with a sale's hash tag keeps the lease in the sale's slot.
 *
 * Expiry is the server's (PX); `validUntil` is the holder's clock when it sent the request plus
 * the ttl, so the holder stops trusting a grant no later than Redis forgets it. With replication,
 * a failover that loses the last writes can grant a lease twice (and reuse a token): writes the
 * loop makes are fenced by the store they go to, which a failover cannot make older.
 */
export class RedisLeaseStore implements LeaseStore {
  private readonly context: StoreContext;
  private readonly clock: Clock;

  constructor(redis: RedisClient, options: RedisLeaseStoreOptions = {}) {
    const { clock, ...storeOptions } = options;
    this.context = storeContext(redis, storeOptions);
    this.clock = clock ?? systemClock;
  }

  async acquire(input: AcquireLeaseInput): Promise<LeaseGrant | null> {
    const { name, holder, ttlMs } = validate('lease request', AcquireLeaseInput, input);
    const keys = this.context.keys.lease(name);
    const sentAt = this.clock.now();
    const token = Number(
      await this.context.scripts.run('lease-acquire', [keys.lease, keys.fence], [holder, ttlMs]),
    );
    return token > 0 ? { name, holder, fencingToken: token, validUntil: sentAt + ttlMs } : null;
  }

  async renew(lease: LeaseGrant, ttlMs: number): Promise<LeaseGrant | null> {
    const grant = validate('lease', LeaseGrantSchema, lease);
    const ttl = validate('lease ttl', AcquireLeaseInput.shape.ttlMs, ttlMs);
    const sentAt = this.clock.now();
    const renewed = await this.context.scripts.run(
      'lease-renew',
      [this.context.keys.lease(grant.name).lease],
      [grant.holder, grant.fencingToken, ttl],
    );
    return Number(renewed) === 1 ? { ...grant, validUntil: sentAt + ttl } : null;
  }

  async release(lease: LeaseGrant): Promise<boolean> {
    const grant = validate('lease', LeaseGrantSchema, lease);
    const released = await this.context.scripts.run(
      'lease-release',
      [this.context.keys.lease(grant.name).lease],
      [grant.holder, grant.fencingToken],
    );
    return Number(released) === 1;
  }

  async holderOf(name: string): Promise<{ holder: string; fencingToken: number } | null> {
    const key = this.context.keys.lease(validate('lease name', LeaseName, name)).lease;
    const [holder, token] = await this.context.redis.hmget(key, 'holder', 'token');
    return holder && token ? { holder, fencingToken: Number(token) } : null;
  }
}
