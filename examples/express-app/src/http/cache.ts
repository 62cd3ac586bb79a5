/**
 * A small in-process cache for hot read data (sale info, seat-map snapshots): a few hundred
 * milliseconds of staleness spares the store thousands of identical reads per second. Concurrent
 * misses of one key share a single load, so an expiry never causes a stampede.
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #loading = new Map<string, Promise<V>>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #maxEntries: number;

  constructor(options: { ttlMs: number; now: () => number; maxEntries?: number }) {
    this.#ttlMs = options.ttlMs;
    this.#now = options.now;
    this.#maxEntries = options.maxEntries ?? 1_000;
  }

  /** The cached value of `key`, or the result of `load` (cached for the TTL). */
  async get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.#entries.get(key);
    if (hit && hit.expiresAt > this.#now()) return hit.value;
    const pending = this.#loading.get(key);
    if (pending) return pending;
    const loading = load()
      .then((value) => {
        if (this.#entries.size >= this.#maxEntries) this.#entries.clear();
        this.#entries.set(key, { value, expiresAt: this.#now() + this.#ttlMs });
        return value;
      })
      .finally(() => this.#loading.delete(key));
    this.#loading.set(key, loading);
    return loading;
  }

  /** Forgets `key` (after a write that changed it) or everything. */
  invalidate(key?: string): void {
    if (key === undefined) this.#entries.clear();
    else this.#entries.delete(key);
  }
}
