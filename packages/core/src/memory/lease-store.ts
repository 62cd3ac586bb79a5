import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '../ports/clock';
import { AcquireLeaseInput, LeaseGrant, LeaseName, type LeaseStore } from '../ports/lease-store';
import { fastValidate } from './fast-validate';

const RenewInput = AcquireLeaseInput.shape.ttlMs;

interface Held {
  holder: string;
  fencingToken: number;
  expiresAt: number;
}

/**
 * Leases in memory, for one process (tests, a single instance): the executable specification of
 * `LeaseStore`. Time comes from the injected clock; each name's fencing token grows by one with
 * every grant and never goes back, also after an expiry or a release.
 */
export class MemoryLeaseStore implements LeaseStore {
  readonly #clock: Clock;
  readonly #held = new Map<string, Held>();
  readonly #tokens = new Map<string, number>();

  /** @param options.clock where expiry is read; the wall clock by default. */
  constructor(options: { clock?: Clock } = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  async acquire(input: AcquireLeaseInput): Promise<LeaseGrant | null> {
    const { name, holder, ttlMs } = fastValidate('lease request', AcquireLeaseInput, input);
    const now = this.#clock.now();
    if (this.#live(name, now)) return null;
    const fencingToken = (this.#tokens.get(name) ?? 0) + 1;
    this.#tokens.set(name, fencingToken);
    this.#held.set(name, { holder, fencingToken, expiresAt: now + ttlMs });
    return { name, holder, fencingToken, validUntil: now + ttlMs };
  }

  async renew(lease: LeaseGrant, ttlMs: number): Promise<LeaseGrant | null> {
    const grant = fastValidate('lease', LeaseGrant, lease);
    const ttl = fastValidate('lease ttl', RenewInput, ttlMs);
    const now = this.#clock.now();
    const held = this.#live(grant.name, now);
    if (!held || held.holder !== grant.holder || held.fencingToken !== grant.fencingToken) return null;
    held.expiresAt = now + ttl;
    // the grant's own fields, not the caller's object: it may carry more
    return {
      name: grant.name,
      holder: grant.holder,
      fencingToken: grant.fencingToken,
      validUntil: now + ttl,
    };
  }

  async release(lease: LeaseGrant): Promise<boolean> {
    const grant = fastValidate('lease', LeaseGrant, lease);
    const held = this.#live(grant.name, this.#clock.now());
    if (!held || held.holder !== grant.holder || held.fencingToken !== grant.fencingToken) return false;
    this.#held.delete(grant.name);
    return true;
  }

  async holderOf(name: string): Promise<{ holder: string; fencingToken: number } | null> {
    const held = this.#live(fastValidate('lease name', LeaseName, name), this.#clock.now());
    return held ? { holder: held.holder, fencingToken: held.fencingToken } : null;
  }

  #live(name: string, now: number): Held | undefined {
    const held = this.#held.get(name);
    if (held && held.expiresAt <= now) {
      this.#held.delete(name);
      return undefined;
    }
    return held;
  }
}

/** A random holder id for one process or loop (`<prefix>-<uuid>`). */
export function randomHolderId(prefix = 'instance'): string {
  return `${prefix}-${randomUUID()}`;
}
