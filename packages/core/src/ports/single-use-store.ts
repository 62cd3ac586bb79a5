import { z } from 'zod';
import { EpochMs } from '../common/ids';

/** Input of {@link SingleUseStore.use}. */
export const SingleUseInput = z.strictObject({
  /** What kind of token (e.g. `pow`), so two kinds never collide. */
  scope: z.string().regex(/^[a-z0-9-]{1,32}$/, 'scope must be 1-32 of a-z 0-9 -'),
  /** The token's id (a challenge id): safe characters, up to 128. */
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'id must be 1-128 of A-Z a-z 0-9 _ . -'),
  /** After this instant the token is refused by its own expiry, so the store may forget it. */
  expiresAt: EpochMs,
  now: EpochMs,
});
export type SingleUseInput = z.infer<typeof SingleUseInput>;

/**
 * Remembers which tokens were used, in the store every instance shares (Redis `SET NX PX`), so a
 * signed, stateless token — a proof-of-work challenge — is accepted once across all instances.
 * Memory stays bounded: an entry lives only until its token expires.
 *
 * A failed store rejects with `InfrastructureError`; the caller refuses the token then, never
 * accepts it unchecked.
 */
export interface SingleUseStore {
  /** True the first time `id` is used in `scope` before `expiresAt`, false ever after (and once expired). */
  use(input: SingleUseInput): Promise<boolean>;
}
