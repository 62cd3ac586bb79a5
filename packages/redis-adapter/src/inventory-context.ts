import { ConfigurationError } from '@seatrush/core';
import { type RedisStoreOptions, type StoreContext, storeContext } from './options';
import type { RedisClient } from './scripts';
import { anything, Bool, optional, validateFields } from './validation';

/** Options of `RedisInventoryStore`. */
export interface RedisInventoryStoreOptions extends RedisStoreOptions {
  /**
   * Also write a twin key with a real PX per hold (`sr:{sale}:timer:<id>`), whose expiry event a
   * `HoldExpiryListener` turns into a prompt release. Off by default: the sweeper over the
   * expiry index is the guarantee, the timers only make release prompt.
   */
  expiryTimers?: boolean;
}

/**
 * What an inventory store and the parts over its state (the lock strategy's steps, the waiting
 * list) share: the client, scripts and key space of the store, and its hold timers.
 */
export interface InventoryContext extends StoreContext {
  expiryTimers: boolean;
}

/** Validates an inventory store's options and makes its context. */
export function inventoryContext(
  redis: RedisClient,
  options: RedisInventoryStoreOptions = {},
): InventoryContext {
  const { expiryTimers, ...storeOptions } = validateFields(
    'Redis inventory store options',
    // keyPrefix and retentionMs are checked by storeContext
    { expiryTimers: optional(Bool), keyPrefix: anything, retentionMs: anything },
    options,
  );
  return { ...storeContext(redis, storeOptions as RedisStoreOptions), expiryTimers: expiryTimers ?? false };
}

/**
 * Each inventory store's context, kept here rather than on the store (no public field for it): the
 * parts built over a store find its state by the store itself.
 */
const contexts = new WeakMap<object, InventoryContext>();

/** Records `context` as the state of `store`. */
export function attachContext(store: object, context: InventoryContext): void {
  contexts.set(store, context);
}

/** The context of a store made by `RedisInventoryStore`; a ConfigurationError for anything else. */
export function contextOf(store: object): InventoryContext {
  const context = contexts.get(store);
  if (!context) throw new ConfigurationError('expected a RedisInventoryStore');
  return context;
}
