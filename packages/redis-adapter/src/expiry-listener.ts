import { type Clock, type HoldRecord, systemClock } from '@seatrush/core';
import { Cluster, type Redis } from 'ioredis';
import { contextOf } from './inventory-context';
import type { RedisInventoryStore } from './inventory-store';
import type { RedisClient } from './scripts';

/** Options of {@link HoldExpiryListener}. */
export interface HoldExpiryListenerOptions {
  /** Where `now` comes from when a timer fires. Default: the system clock. */
  clock?: Clock;
  /**
   * Run `CONFIG SET notify-keyspace-events Ex` on every master at start. Off by default: many
   * operators set it in redis.conf, and managed services refuse CONFIG.
   */
  configure?: boolean;
  /** Told of the holds each notification expired (for audit events, metrics). */
  onExpired?: (holds: HoldRecord[]) => void | Promise<void>;
  /** Told of a failure to expire after a notification; the sweeper will catch the hold later. */
  onError?: (error: unknown) => void;
}

/**
 * Makes hold expiry prompt. The store, built with `expiryTimers: true`, writes a twin key with a
 * real PX per hold; when Redis expires it, the keyspace notification (`notify-keyspace-events Ex`)
 * arrives here and the listener runs the same atomic `expireDue` as the sweeper, which returns
 * each hold's stock exactly once whoever gets there first.
 *
 * Notifications are fire-and-forget — lost while this listener is disconnected, and Redis expires
 * keys lazily and by sampling — so the `HoldSweeper` over the expiry index stays the guarantee.
 * On a cluster every master publishes its own expirations: one subscriber per master.
 */
export class HoldExpiryListener {
  private readonly subscribers: Redis[] = [];
  private readonly clock: Clock;

  constructor(
    private readonly redis: RedisClient,
    private readonly store: RedisInventoryStore,
    private readonly options: HoldExpiryListenerOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Subscribes on every master (a dedicated connection each). */
  async start(): Promise<void> {
    const masters: Redis[] = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    for (const master of masters) {
      if (this.options.configure) await master.call('CONFIG', 'SET', 'notify-keyspace-events', 'Ex');
      const subscriber = master.duplicate();
      this.subscribers.push(subscriber);
      subscriber.on(
        'pmessage',
        (_pattern: string, _channel: string, key: string) => void this.onExpiredKey(key),
      );
      await subscriber.psubscribe('__keyevent@*__:expired');
    }
  }

  /** Unsubscribes and closes the listener's connections. */
  async stop(): Promise<void> {
    await Promise.all(this.subscribers.splice(0).map((s) => s.quit().catch(() => s.disconnect())));
  }

  private async onExpiredKey(key: string): Promise<void> {
    const timer = contextOf(this.store).keys.parseHoldTimer(key);
    if (!timer) return;
    try {
      const holds = await this.store.expireDue({ saleId: timer.saleId, now: this.clock.now(), limit: 100 });
      if (holds.length > 0) await this.options.onExpired?.(holds);
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}
