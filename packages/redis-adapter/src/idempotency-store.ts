import type {
  IdempotencyClaim,
  IdempotencyClaimInput,
  IdempotencyCompleteInput,
  IdempotencyKeyRef,
  IdempotencyStore,
} from '@seatrush/core';
import { RedisStore } from './options';
import { anything, boundedText, EpochMs, PositiveInt, validateFields } from './validation';

const SCOPE_KEY = { scope: boundedText('scope', 128), key: boundedText('idempotency key', 256) };

/**
 * Idempotency keys of the commands other than reserve (reserve stores its outcome inside its own
 * script). One hash per key, `sr:idem:{scope:key}` (any characters: a single-key script needs no slot
 * grouping); its logical lifetime is read from `now`, the
 * real TTL is only garbage collection.
 */
export class RedisIdempotencyStore extends RedisStore implements IdempotencyStore {
  /** Claims a key, or answers what it holds: in progress, the original outcome, or a mismatch. */
  async claim<T>(input: IdempotencyClaimInput): Promise<IdempotencyClaim<T>> {
    const i = validateFields(
      'idempotency claim',
      { ...SCOPE_KEY, fingerprint: boundedText('fingerprint', 1024), ttlMs: PositiveInt, now: EpochMs },
      input,
    );
    const [state, outcome] = await this.context.scripts.strings(
      'idempotency-claim',
      [this.context.keys.idempotency(i.scope, i.key)],
      [i.fingerprint, i.ttlMs, i.now, this.context.retentionMs],
    );
    if (state === 'done') return { state: 'done', outcome: JSON.parse(outcome!) as T };
    return { state: state as 'claimed' | 'in-progress' | 'mismatch' };
  }

  /** Stores the outcome (JSON) of a claimed key for `ttlMs` from `now`. */
  async complete<T>(input: IdempotencyCompleteInput<T>): Promise<void> {
    const i = validateFields(
      'idempotency outcome',
      { ...SCOPE_KEY, outcome: anything, ttlMs: PositiveInt, now: EpochMs },
      input,
    );
    await this.context.scripts.run(
      'idempotency-complete',
      [this.context.keys.idempotency(i.scope, i.key)],
      [JSON.stringify(i.outcome ?? null), i.ttlMs, i.now, this.context.retentionMs],
    );
  }

  /** Gives a claim up; a completed outcome stays. */
  async abandon(input: IdempotencyKeyRef): Promise<void> {
    const i = validateFields('idempotency abandon', SCOPE_KEY, input);
    await this.context.scripts.run(
      'idempotency-abandon',
      [this.context.keys.idempotency(i.scope, i.key)],
      [],
    );
  }
}
