import { z } from 'zod';

/**
 * A lease name: what the lease is for, e.g. `sale:{s1}:admission`. Safe characters, with at most
 * one `{…}` group: a name carrying a sale's hash tag keeps the lease beside the sale's other keys
 * (one Redis Cluster slot); a name without one gets a tag of its own.
 */
export const LeaseName = z
  .string()
  .max(200)
  .regex(
    /^[A-Za-z0-9_.:-]*(\{[A-Za-z0-9_.-]{1,64}\})?[A-Za-z0-9_.:-]*$/,
    'lease name must be A-Z a-z 0-9 _ . : - with at most one {hash tag}',
  )
  .refine((name) => name.length > 0, 'lease name must not be empty');
export type LeaseName = z.infer<typeof LeaseName>;

/** Who asks for a lease: one per process (or per loop), random, so two contenders never share it. */
export const LeaseHolder = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'holder must be 1-128 of A-Z a-z 0-9 _ . -');

/** Input of {@link LeaseStore.acquire}. */
export const AcquireLeaseInput = z.strictObject({
  name: LeaseName,
  holder: LeaseHolder,
  /** How long the lease lasts unless renewed (at least 50 ms, at most an hour). */
  ttlMs: z.number().int().min(50).max(3_600_000),
});
export type AcquireLeaseInput = z.infer<typeof AcquireLeaseInput>;

/** A granted lease, as its holder keeps it. */
export const LeaseGrant = z.strictObject({
  name: LeaseName,
  holder: LeaseHolder,
  /**
   * Strictly greater than the token of every earlier grant of this name (renewals keep it): a
   * write guarded by it refuses a holder that was replaced while it paused.
   */
  fencingToken: z.number().int().positive(),
  /**
   * Until when the holder may trust the lease, on its own clock: the time it sent the request plus
   * the ttl, so never later than the store's own expiry.
   */
  validUntil: z.number().int().nonnegative(),
});
export type LeaseGrant = z.infer<typeof LeaseGrant>;

/**
 * Exclusive, expiring ownership of a named loop (an admission tick, a sweeper, a reconciler) among
 * any number of instances: at most one holder per name at any time, a fencing token that grows
 * with every grant, renewal before expiry, and takeover once a holder stops renewing.
 *
 * A failure of the store rejects with `InfrastructureError`: a holder that cannot renew must stop
 * working once `validUntil` has passed, never carry on from what it remembers.
 */
export interface LeaseStore {
  /** Grants the lease when nobody holds it (or the last grant expired); null while someone does. */
  acquire(input: AcquireLeaseInput): Promise<LeaseGrant | null>;
  /**
   * Extends `lease` by `ttlMs` from now if it is still this holder's grant (same token); null when
   * it was lost (expired and taken, or released), and then the holder must stop at once.
   */
  renew(lease: LeaseGrant, ttlMs: number): Promise<LeaseGrant | null>;
  /** Gives the lease up if it is still this grant, so another instance takes over at once. */
  release(lease: LeaseGrant): Promise<boolean>;
  /** The live grant of `name` (holder and token), or null; for health pages and tests. */
  holderOf(name: string): Promise<{ holder: string; fencingToken: number } | null>;
}
