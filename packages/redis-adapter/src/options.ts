import { ConfigurationError, InfrastructureError } from '@seatrush/core';
import { KeySpace } from './keys';
import { type RedisClient, Scripts } from './scripts';
import { optional, PositiveInt, validateFields } from './validation';

/** Options every Redis store takes. */
export interface RedisStoreOptions {
  /**
   * Goes before every key (`<keyPrefix>sr:{sale}:…`) to isolate installations or test runs that
   * share one Redis. Use this, never ioredis' `keyPrefix`. Default: none.
   */
  keyPrefix?: string;
  /**
   * How long finished records (released/expired holds, idempotency outcomes, rate-limit buckets)
   * outlive their logical end before Redis deletes them. Pure garbage collection: the logic reads
   * the `now` it is given, so this only has to be well beyond any logical expiry. Default: 24 h.
   */
  retentionMs?: number;
}

const KeyPrefix = {
  safeParse(input: unknown) {
    if (typeof input === 'string' && input.length <= 64 && /^[A-Za-z0-9_.:-]*$/.test(input))
      return { success: true as const, data: input };
    return {
      success: false as const,
      error: { issues: [{ path: [], message: 'key prefix must be at most 64 of A-Z a-z 0-9 _ . : -' }] },
    };
  },
};

/** What a store needs: a client checked for use, its scripts, its key space and options. */
export interface StoreContext {
  redis: RedisClient;
  scripts: Scripts;
  keys: KeySpace;
  retentionMs: number;
}

/**
 * Refuses a client configured with ioredis' `keyPrefix`: ioredis prefixes KEYS but not the keys
 * a script builds from ARGV (hold records, named by reservation id), so the two would disagree
 * and expiry would silently miss holds. Use the stores' own `keyPrefix` instead.
 */
export function assertUsableClient(redis: RedisClient): void {
  const options = (redis as { options?: { keyPrefix?: string; redisOptions?: { keyPrefix?: string } } })
    .options;
  if (options?.keyPrefix || options?.redisOptions?.keyPrefix) {
    throw new ConfigurationError(
      "ioredis' keyPrefix is not supported: scripts build hold keys from their arguments, which ioredis " +
        'does not prefix. Pass `keyPrefix` to the SeatRush store options instead.',
    );
  }
}

/** Validates options and makes the shared context of a store. */
/** How long past its logical end a key stays, for instances whose clocks differ from Redis'. */
export const CLOCK_SKEW_MS = 60_000;

/**
 * What every single-purpose Redis store is built on: one client and the options' key prefix and
 * retention, as its `context` (see `storeContext`).
 */
export abstract class RedisStore {
  protected readonly context: StoreContext;

  constructor(redis: RedisClient, options: RedisStoreOptions = {}) {
    this.context = storeContext(redis, options);
  }
}

export function storeContext(redis: RedisClient, options: RedisStoreOptions | undefined): StoreContext {
  assertUsableClient(redis);
  const parsed = validateFields(
    'Redis store options',
    { keyPrefix: optional(KeyPrefix), retentionMs: optional(PositiveInt) },
    options ?? {},
  );
  return {
    redis: failuresAsInfrastructure(redis),
    scripts: new Scripts(redis),
    keys: new KeySpace(parsed.keyPrefix ?? ''),
    retentionMs: parsed.retentionMs ?? 24 * 3_600_000,
  };
}

/**
 * The client as the stores use it: a command that fails (the server is down, the connection
 * dropped, retries ran out) rejects with an `InfrastructureError` carrying the original as
 * `cause`, as the scripts' failures do, so a host answers it as "unavailable" (503) and never as
 * an unexpected error. Commands are still sent by the host's own client.
 */
function failuresAsInfrastructure(redis: RedisClient): RedisClient {
  return new Proxy(redis, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = value.apply(target, args);
        return result instanceof Promise
          ? result.catch((error: unknown) => {
              throw error instanceof InfrastructureError
                ? error
                : new InfrastructureError(`Redis ${String(property)} failed: ${(error as Error).message}`, {
                    cause: error,
                  });
            })
          : result;
      };
    },
  });
}

/** Runs a MULTI (or pipeline) and answers its results, throwing on any failed command. */
export async function exec(
  tx: { exec(): Promise<Array<[Error | null, unknown]> | null> },
  what: string,
): Promise<unknown[]> {
  let results: Array<[Error | null, unknown]> | null;
  try {
    results = await tx.exec();
  } catch (error) {
    throw new InfrastructureError(`Redis transaction ${what} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!results) throw new InfrastructureError(`Redis transaction ${what} was aborted`);
  return results.map(([error, value]) => {
    if (error)
      throw new InfrastructureError(`Redis transaction ${what} failed: ${error.message}`, { cause: error });
    return value;
  });
}
