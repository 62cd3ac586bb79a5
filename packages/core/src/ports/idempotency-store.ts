/**
 * Remembers the outcome of a request under a client's idempotency key, for the commands other than
 * reserve (pay, cancel, …); reserve stores its outcome inside its own atomic operation.
 * A key is claimed after validation and just before the state change (docs/design.md §Idempotency).
 */
export type IdempotencyClaim<T> =
  | { state: 'claimed' } // new key: the caller does the work, then `complete`s or `abandon`s
  | { state: 'in-progress' } // another request with this key is running now
  | { state: 'done'; outcome: T } // the original outcome, to be answered again
  | { state: 'mismatch' }; // the key was used for a different request

export interface IdempotencyStore {
  /** Claims `key` in `scope` for `ttlMs`; `fingerprint` identifies the request's payload. */
  claim<T>(input: {
    scope: string;
    key: string;
    fingerprint: string;
    ttlMs: number;
    now: number;
  }): Promise<IdempotencyClaim<T>>;
  /** Stores the outcome of a claimed key, answered to every later repeat until `ttlMs` ends. */
  complete<T>(input: { scope: string; key: string; outcome: T; ttlMs: number; now: number }): Promise<void>;
  /** Gives a claimed key up (the work failed and may be tried again). */
  abandon(input: { scope: string; key: string }): Promise<void>;
}
