import {
  type IdempotencyClaim,
  IdempotencyClaimInput,
  IdempotencyCompleteInput,
  IdempotencyKeyRef,
  type IdempotencyStore,
} from '../ports/idempotency-store';
import { fastValidate } from './fast-validate';

interface Entry {
  /** Null when `complete` came without a claim: any later request matches it. */
  fingerprint: string | null;
  state: 'in-progress' | 'done';
  /** The outcome as JSON: a stored outcome is a copy, as it is in Redis. */
  outcome?: string;
  expiresAt: number;
}

/**
 * Idempotency keys in memory. A key lives until its `ttlMs` ends (measured on the callers' `now`);
 * outcomes are stored as JSON so a caller gets a copy back, never the object it stored.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #entries = new Map<string, Entry>();

  async claim<T>(input: IdempotencyClaimInput): Promise<IdempotencyClaim<T>> {
    const claim = fastValidate('idempotency claim', IdempotencyClaimInput, input);
    const id = entryId(claim);
    const entry = this.#entries.get(id);
    if (entry && entry.expiresAt > claim.now) {
      if (entry.fingerprint !== null && entry.fingerprint !== claim.fingerprint) return { state: 'mismatch' };
      if (entry.state === 'in-progress') return { state: 'in-progress' };
      return { state: 'done', outcome: JSON.parse(entry.outcome ?? 'null') as T };
    }
    this.#entries.set(id, {
      fingerprint: claim.fingerprint,
      state: 'in-progress',
      expiresAt: claim.now + claim.ttlMs,
    });
    return { state: 'claimed' };
  }

  async complete<T>(input: IdempotencyCompleteInput<T>): Promise<void> {
    const done = fastValidate('idempotency outcome', IdempotencyCompleteInput, input);
    const id = entryId(done);
    this.#entries.set(id, {
      fingerprint: this.#entries.get(id)?.fingerprint ?? null,
      state: 'done',
      outcome: JSON.stringify(done.outcome ?? null),
      expiresAt: done.now + done.ttlMs,
    });
  }

  async abandon(input: IdempotencyKeyRef): Promise<void> {
    const id = entryId(fastValidate('idempotency abandon', IdempotencyKeyRef, input));
    // Only a claim in progress is given up: a completed outcome must keep answering repeats.
    if (this.#entries.get(id)?.state === 'in-progress') this.#entries.delete(id);
  }
}

function entryId({ scope, key }: IdempotencyKeyRef): string {
  return `${scope}\u0000${key}`;
}
