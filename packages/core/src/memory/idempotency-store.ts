import { z } from 'zod';
import { EpochMs } from '../common/ids';
import type { IdempotencyClaim, IdempotencyStore } from '../ports/idempotency-store';
import { fastValidate } from './fast-validate';

const Scope = z.string().min(1).max(128);
const Key = z.string().min(1).max(256);
const ClaimInput = z.object({
  scope: Scope,
  key: Key,
  fingerprint: z.string().min(1).max(1024),
  ttlMs: z.number().int().positive(),
  now: EpochMs,
});
const CompleteInput = z.object({
  scope: Scope,
  key: Key,
  outcome: z.unknown(),
  ttlMs: z.number().int().positive(),
  now: EpochMs,
});
const AbandonInput = z.object({ scope: Scope, key: Key });

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

  async claim<T>(input: {
    scope: string;
    key: string;
    fingerprint: string;
    ttlMs: number;
    now: number;
  }): Promise<IdempotencyClaim<T>> {
    const { scope, key, fingerprint, ttlMs, now } = fastValidate('idempotency claim', ClaimInput, input);
    const id = entryId(scope, key);
    const entry = this.#entries.get(id);
    if (entry && entry.expiresAt > now) {
      if (entry.fingerprint !== null && entry.fingerprint !== fingerprint) return { state: 'mismatch' };
      if (entry.state === 'in-progress') return { state: 'in-progress' };
      return { state: 'done', outcome: JSON.parse(entry.outcome ?? 'null') as T };
    }
    this.#entries.set(id, { fingerprint, state: 'in-progress', expiresAt: now + ttlMs });
    return { state: 'claimed' };
  }

  async complete<T>(input: {
    scope: string;
    key: string;
    outcome: T;
    ttlMs: number;
    now: number;
  }): Promise<void> {
    const { scope, key, outcome, ttlMs, now } = fastValidate('idempotency outcome', CompleteInput, input);
    const id = entryId(scope, key);
    const claimed = this.#entries.get(id);
    this.#entries.set(id, {
      fingerprint: claimed?.fingerprint ?? null,
      state: 'done',
      outcome: JSON.stringify(outcome ?? null),
      expiresAt: now + ttlMs,
    });
  }

  async abandon(input: { scope: string; key: string }): Promise<void> {
    const { scope, key } = fastValidate('idempotency abandon', AbandonInput, input);
    const id = entryId(scope, key);
    // Only a claim in progress is given up: a completed outcome must keep answering repeats.
    if (this.#entries.get(id)?.state === 'in-progress') this.#entries.delete(id);
  }
}

function entryId(scope: string, key: string): string {
  return `${scope}\u0000${key}`;
}
