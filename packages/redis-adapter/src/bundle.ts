import {
  type Blocklist,
  ConfigurationError,
  type DependencyHealth,
  type DistributedLock,
  type InventorySteps,
  type InventoryStore,
  type LeaseStore,
  type QueueingStore,
  type RateLimiter,
  type RecentActivityStore,
  type SaleControlStore,
  type SingleUseStore,
  type WaitingListStore,
} from '@seatrush/core';
import { probeDependency } from '@seatrush/core/ports';
import { Cluster, type Redis } from 'ioredis';
import { RedisBlocklist } from './blocklist';
import { checkDurability, type DurabilityWarning } from './connect';
import { RedisInventoryStore } from './inventory-store';
import { RedisLeaseStore } from './lease-store';
import { RedisRateLimiter } from './rate-limiter';
import { RedisRecentActivityStore } from './recent-activity-store';
import { Redlock } from './redlock';
import { RedisSaleControlStore } from './sale-control-store';
import type { RedisClient } from './scripts';
import { RedisSingleUseStore } from './single-use-store';
import { RedisStripedInventoryStore } from './striped-inventory-store';
import { RedisWaitingRoomStore } from './waiting-room-store';

/** Options of {@link redisPorts}. */
export interface RedisPortsOptions {
  /** Goes before every key (`<keyPrefix>sr:{sale}:…`): the namespace of one deployment. */
  keyPrefix?: string;
  /**
   * How many stripes a general-admission sale's stock spreads over, each in its own hash slot (on
   * a Redis Cluster, on its own master): see {@link RedisStripedInventoryStore}. 1 to 64; default
   * 1, the unstriped {@link RedisInventoryStore}.
   */
  stripes?: number;
  /** Per-hold expiry timers, for a keyspace-notification listener (see `HoldExpiryListener`). */
  expiryTimers?: boolean;
  /**
   * The lock strategy's Redlock nodes: independent masters. The bundle's client by default (one
   * node is no Redlock, but it serves the strategy's comparison); a Cluster has no default.
   */
  lockNodes?: Redis[];
  /** Told the durability settings that can lose acknowledged holds (no AOF, fsync everysec). */
  onDurabilityWarning?: (warning: DurabilityWarning) => void;
}

/** The store part of a runtime's ports: what `redisPorts` gives. */
export interface RedisPorts {
  waitingRoom: QueueingStore;
  inventory: InventoryStore;
  waitingList: WaitingListStore;
  steps: InventorySteps;
  lock?: DistributedLock;
  rateLimiter: RateLimiter;
  blocklist: Blocklist;
  /** Each sale's lifecycle state, rates, method, adaptive policy and revocations, shared by every instance. */
  saleControl: SaleControlStore;
  /** Leases of the loops (admission tick, sweeper, reconciler, waiting-list rounds), with fencing tokens. */
  leases: LeaseStore;
  /** Used proof-of-work challenge ids (`ProofOfWorkChallenges`' `singleUse`). */
  singleUse: SingleUseStore;
  /** The bot guard's recent activity (`BotGuard`'s `activity` port). */
  activity: RecentActivityStore;
  /**
   * Refuses a server whose `maxmemory-policy` evicts keys (an evicted stock key is an oversell);
   * tells `onDurabilityWarning` (default: `console.warn`) of the rest.
   */
  verify(): Promise<void>;
  /** `redis`: whether the server (a Cluster: every master it knows) answers a PING within 2 s. */
  health(): Promise<Record<string, DependencyHealth>>;
}

/**
 * The Redis bundle of a `createSeatRushRuntime`: every store port over one client the host owns
 * (a single node, a Sentinel-managed master or a Cluster), under one key prefix. The host closes
 * its client; the bundle opens nothing of its own.
 */
export function redisPorts(redis: RedisClient, options: RedisPortsOptions = {}): RedisPorts {
  const shared = options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix };
  const inventoryOptions = {
    ...shared,
    ...(options.expiryTimers === undefined ? {} : { expiryTimers: options.expiryTimers }),
  };
  const inventory =
    options.stripes !== undefined && options.stripes !== 1
      ? new RedisStripedInventoryStore(redis, { ...inventoryOptions, stripes: options.stripes })
      : new RedisInventoryStore(redis, inventoryOptions);
  const lockNodes = options.lockNodes ?? (redis instanceof Cluster ? [] : [redis as Redis]);
  return {
    waitingRoom: new RedisWaitingRoomStore(redis, shared),
    inventory,
    waitingList: inventory.waitingList(),
    steps: inventory.steps(),
    ...(lockNodes.length > 0 ? { lock: new Redlock(lockNodes, shared) } : {}),
    rateLimiter: new RedisRateLimiter(redis, shared),
    blocklist: new RedisBlocklist(redis, shared),
    saleControl: new RedisSaleControlStore(redis, shared),
    leases: new RedisLeaseStore(redis, shared),
    singleUse: new RedisSingleUseStore(redis, shared),
    activity: new RedisRecentActivityStore(redis, shared),
    async verify() {
      const warnings = await checkDurability(redis);
      const evicting = warnings.filter((w) => w.code === 'EVICTING_POLICY');
      if (evicting.length > 0) {
        throw new ConfigurationError(`Redis: ${evicting.map((w) => `${w.server}: ${w.message}`).join('; ')}`);
      }
      const tell =
        options.onDurabilityWarning ??
        ((w: DurabilityWarning) => console.warn(`SeatRush: Redis ${w.server}: ${w.message}`));
      for (const warning of warnings) tell(warning);
    },
    async health() {
      const servers = redis instanceof Cluster ? redis.nodes('master') : [redis];
      const where = redis instanceof Cluster ? `cluster of ${servers.length} masters` : 'redis';
      return { redis: await probeDependency(() => Promise.all(servers.map((node) => node.ping())), where) };
    },
  };
}
