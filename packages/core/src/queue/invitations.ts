import { z } from 'zod';
import { EpochMs, SaleId, UserId } from '../common/ids';
import { encodeClaims, SigningKeys } from './signed-claims';

/** The lanes an invitation can open: straight in when there is room (`bypass`), or ahead of the line. */
export const InvitationLane = z.enum(['priority', 'bypass']);
export type InvitationLane = z.infer<typeof InvitationLane>;

/** What an invitation says: this user may use this lane in this sale until then. */
export const InvitationClaims = z.object({
  saleId: SaleId,
  userId: UserId,
  lane: InvitationLane,
  expiresAt: EpochMs,
});
export type InvitationClaims = z.infer<typeof InvitationClaims>;

/**
 * Why an invitation was refused. Stable codes, safe to send to the client. REVOKED comes from the
 * room, not from {@link Invitations.verify}: the operator revoked the user's invitations to the sale.
 */
export type InvitationRefusal =
  | 'EXPIRED'
  | 'BAD_SIGNATURE'
  | 'WRONG_USER'
  | 'WRONG_SALE'
  | 'MALFORMED'
  | 'REVOKED';

/** The answer of {@link Invitations.verify}. */
export type InvitationVerdict =
  | { ok: true; claims: InvitationClaims }
  | { ok: false; code: InvitationRefusal };

const INVITATION_FORMAT = {
  claims: InvitationClaims,
  until: (claims: InvitationClaims) => claims.expiresAt,
};
/** Separates invitations from admission tokens even if an operator reuses one secret for both. */
const DOMAIN = 'seatrush-invitation-v1.';

/**
 * Signed invitations for bypass and priority lanes (pre-authorised buyers, members, partners):
 * `base64url(JSON claims) . base64url(HMAC-SHA256)`. An invitation is bound to one user and one
 * sale, so forwarding it lets nobody else in: the only way to a lane is an invitation the
 * operator signed for you. Nobody can jump the queue otherwise.
 */
export class Invitations {
  private readonly keys: SigningKeys;

  /** @param options.secret at least 32 bytes; `previousSecrets` still verify during a rotation. */
  constructor(options: { secret: string | Uint8Array; previousSecrets?: Array<string | Uint8Array> }) {
    this.keys = new SigningKeys(options, 'invitation', DOMAIN);
  }

  /** Signs an invitation (validated: bad claims throw a ZodError-backed ValidationError). */
  issue(claims: InvitationClaims): string {
    return this.keys.sign(encodeClaims(InvitationClaims.parse(claims)));
  }

  /** Checks an invitation presented by `userId` for `saleId` at `now`: signature first, then claims. */
  verify(input: { invitation: unknown; saleId: string; userId: string; now: number }): InvitationVerdict {
    return this.keys.verify(input.invitation, INVITATION_FORMAT, input);
  }
}
