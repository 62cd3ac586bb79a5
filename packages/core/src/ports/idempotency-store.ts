import { z } from 'zod';
import { EpochMs } from '../common/ids';

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

const Scope = z.string().min(1).max(128);
const Key = z.string().min(1).max(256);

/** A key in its scope: what `abandon` takes. */
export const IdempotencyKeyRef = z.object({ scope: Scope, key: Key });
export type IdempotencyKeyRef = z.infer<typeof IdempotencyKeyRef>;

/** `claim`'s input: `key` in `scope` for `ttlMs` from `now`; `fingerprint` identifies the payload. */
export const IdempotencyClaimInput = IdempotencyKeyRef.extend({
  fingerprint: z.string().min(1).max(1024),
  ttlMs: z.number().int().positive(),
  now: EpochMs,
});
export type IdempotencyClaimInput = z.infer<typeof IdempotencyClaimInput>;

/** `complete`'s input: the outcome to answer every later repeat with until `ttlMs` from `now` ends. */
export const IdempotencyCompleteInput = IdempotencyKeyRef.extend({
  outcome: z.unknown(),
  ttlMs: z.number().int().positive(),
  now: EpochMs,
});
export type IdempotencyCompleteInput<T = unknown> = Omit<
  z.infer<typeof IdempotencyCompleteInput>,
  'outcome'
> & {
  outcome: T;
};

export interface IdempotencyStore {
  /** Claims `key` in `scope` for `ttlMs`; `fingerprint` identifies the request's payload. */
  claim<T>(input: IdempotencyClaimInput): Promise<IdempotencyClaim<T>>;
  /** Stores the outcome of a claimed key, answered to every later repeat until `ttlMs` ends. */
  complete<T>(input: IdempotencyCompleteInput<T>): Promise<void>;
  /** Gives a claimed key up (the work failed and may be tried again). */
  abandon(input: IdempotencyKeyRef): Promise<void>;
}
