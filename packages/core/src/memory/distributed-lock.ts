import { z } from 'zod';
import { type Clock, systemClock } from '../ports/clock';
import type { DistributedLock, Lease } from '../ports/distributed-lock';
import { fastValidate } from './fast-validate';

const Resource = z.string().min(1).max(256);
const AcquireInput = z.object({ resource: Resource, ttlMs: z.number().int().positive() });
const LeaseSchema = z.object({
  resource: Resource,
  owner: z.string().min(1),
  fencingToken: z.number().int().nonnegative(),
  validUntil: z.number().int(),
});

/**
 * A lock in memory with fencing tokens. `acquire` has no `now`, so time comes from the injected
 * clock. Each resource's fencing token grows by one with every grant and never goes back, also
 * after an expiry or a release.
 */
export class MemoryDistributedLock implements DistributedLock {
  readonly #clock: Clock;
  readonly #held = new Map<string, { owner: string; expiresAt: number }>();
  readonly #tokens = new Map<string, number>();
  #grants = 0;

  /** @param options.clock where the lock reads time (its ttl); the wall clock by default. */
  constructor(options: { clock?: Clock } = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  async acquire(resource: string, ttlMs: number): Promise<Lease | null> {
    fastValidate('lock request', AcquireInput, { resource, ttlMs });
    const now = this.#clock.now();
    const current = this.#held.get(resource);
    if (current && current.expiresAt > now) return null;
    this.#grants += 1;
    const owner = `lease-${this.#grants}-${Math.random().toString(36).slice(2, 10)}`;
    const fencingToken = (this.#tokens.get(resource) ?? 0) + 1;
    this.#tokens.set(resource, fencingToken);
    this.#held.set(resource, { owner, expiresAt: now + ttlMs });
    return { resource, owner, fencingToken, validUntil: now + ttlMs };
  }

  async release(lease: Lease): Promise<void> {
    const { resource, owner } = fastValidate('lease', LeaseSchema, lease);
    if (this.#held.get(resource)?.owner === owner) this.#held.delete(resource);
  }
}
