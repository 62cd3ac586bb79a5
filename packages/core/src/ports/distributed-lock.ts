/** A granted lock. `fencingToken` grows with every grant of the same resource. */
export interface Lease {
  resource: string;
  /** Random owner value: only this lease can release or extend the lock. */
  owner: string;
  /**
   * Strictly greater than the token of every earlier grant: a guarded write refuses a token older
   * than one it has seen, so a holder that paused past its lease cannot write late.
   */
  fencingToken: number;
  /** The lock is only trusted until then (ttl minus clock drift minus acquisition time). */
  validUntil: number;
}

/** A distributed lock for the lock strategy (Redlock in Redis; docs/design.md §Holds and stock). */
export interface DistributedLock {
  /** Tries to take the lock, retrying with jitter; null when it could not within its retries. */
  acquire(resource: string, ttlMs: number): Promise<Lease | null>;
  /** Releases the lock if `lease` still owns it. */
  release(lease: Lease): Promise<void>;
}
