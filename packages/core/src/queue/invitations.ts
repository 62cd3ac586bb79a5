import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ConfigurationError } from '../common/errors';
import { EpochMs, SaleId, UserId } from '../common/ids';

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

const MIN_SECRET_BYTES = 32;
/** Separates invitations from admission tokens even if an operator reuses one secret for both. */
const DOMAIN = 'seatrush-invitation-v1.';

/**
 * Signed invitations for bypass and priority lanes (pre-authorised buyers, members, partners):
 * `base64url(JSON claims) . base64url(HMAC-SHA256)`. An invitation is bound to one user and one
 * sale, so forwarding it lets nobody else in: the only way to a lane is an invitation the
 * operator signed for you. Nobody can jump the queue otherwise.
 */
export class Invitations {
  /** Key objects made once (a raw key would be turned into one on every HMAC). */
  private readonly keys: KeyObject[];

  /** @param options.secret at least 32 bytes; `previousSecrets` still verify during a rotation. */
  constructor(options: { secret: string | Uint8Array; previousSecrets?: Array<string | Uint8Array> }) {
    const keys = [options.secret, ...(options.previousSecrets ?? [])].map((secret) =>
      typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret),
    );
    if (keys.some((key) => key.length < MIN_SECRET_BYTES)) {
      throw new ConfigurationError(`invitation secrets must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    this.keys = keys.map((key) => createSecretKey(key));
  }

  /** Signs an invitation (validated: bad claims throw a ZodError-backed ValidationError). */
  issue(claims: InvitationClaims): string {
    const parsed = InvitationClaims.parse(claims);
    const payload = Buffer.from(JSON.stringify(parsed)).toString('base64url');
    return `${payload}.${sign(this.keys[0]!, payload).toString('base64url')}`;
  }

  /** Checks an invitation presented by `userId` for `saleId` at `now`: signature first, then claims. */
  verify(input: { invitation: unknown; saleId: string; userId: string; now: number }): InvitationVerdict {
    const { invitation } = input;
    if (typeof invitation !== 'string' || invitation.length > 2048) return { ok: false, code: 'MALFORMED' };
    const parts = invitation.split('.');
    if (parts.length !== 2 || !parts.every((part) => /^[A-Za-z0-9_-]+$/.test(part))) {
      return { ok: false, code: 'MALFORMED' };
    }
    const [payload, signature] = parts as [string, string];
    const presented = Buffer.from(signature, 'base64url');
    const signed = this.keys.some((key) => {
      const expected = sign(key, payload);
      return expected.length === presented.length && timingSafeEqual(expected, presented);
    });
    if (!signed) return { ok: false, code: 'BAD_SIGNATURE' };
    let claims: InvitationClaims;
    try {
      const parsed = InvitationClaims.safeParse(
        JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')),
      );
      if (!parsed.success) return { ok: false, code: 'MALFORMED' };
      claims = parsed.data;
    } catch {
      return { ok: false, code: 'MALFORMED' };
    }
    if (claims.saleId !== input.saleId) return { ok: false, code: 'WRONG_SALE' };
    if (claims.userId !== input.userId) return { ok: false, code: 'WRONG_USER' };
    if (claims.expiresAt <= input.now) return { ok: false, code: 'EXPIRED' };
    return { ok: true, claims };
  }
}

function sign(key: KeyObject, payload: string): Buffer {
  return createHmac('sha256', key).update(DOMAIN).update(payload).digest();
}
