import { z } from 'zod';
import { EpochMs, SaleId, UserId } from '../common/ids';
import { encodeClaims, SigningKeys } from './signed-claims';

const Ticket = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * What a queue pass says: this user held this ticket in this sale's waiting line when it was
 * issued, with the room's counters at that moment, until `until`.
 */
export const QueuePassClaims = z.object({
  saleId: SaleId,
  userId: UserId,
  /** The buyer's place: their ticket in the normal lane. */
  ticket: Ticket.min(1),
  /** The room's serving counter when the pass was issued (every ticket up to it was served). */
  servedUpTo: Ticket,
  /** The room's ticket counter when the pass was issued (no ticket above it existed yet). */
  lastTicket: Ticket,
  issuedAt: EpochMs,
  until: EpochMs,
});
export type QueuePassClaims = z.infer<typeof QueuePassClaims>;

/** Why a pass was refused. Stable codes, safe to send to the client. */
export type QueuePassRefusal = 'EXPIRED' | 'BAD_SIGNATURE' | 'WRONG_USER' | 'WRONG_SALE' | 'MALFORMED';

/** The answer of {@link QueuePasses.verify}. */
export type QueuePassVerdict = { ok: true; claims: QueuePassClaims } | { ok: false; code: QueuePassRefusal };

/** The keys of {@link QueuePasses}: the admission tokens' (`AdmissionTokensOptions`). */
export interface QueuePassesOptions {
  /** The HMAC-SHA256 key: at least 32 bytes, shared by every API instance. */
  secret: string | Uint8Array;
  /** Keys still accepted (never used to sign) while a rotation rolls out. */
  previousSecrets?: Array<string | Uint8Array>;
}

const PREFIX = 'qp1';
/** Signed apart from admission tokens and invitations: no signature of one verifies as another. */
const DOMAIN = 'seatrush-queue-pass-v1:';
const PASS_FORMAT = {
  prefix: PREFIX,
  claims: QueuePassClaims,
  until: (claims: QueuePassClaims) => claims.until,
};

/**
 * Signed queue passes (issue 20): `qp1.base64url(JSON claims).base64url(HMAC-SHA256)`, under the
 * admission tokens' keys with a domain of their own, so a pass is never an admission token nor
 * the reverse. A waiting buyer keeps the latest pass the room gave them (every join and status
 * answer carries a fresh one); when the room has lost its state (a wiped Redis), a join carrying
 * it puts them back at their ticket (see `WaitingRoom.rejoin`). Like an admission token it cannot
 * be forged without the secret and is bound to one user and one sale.
 */
export class QueuePasses {
  private readonly keys: SigningKeys;

  constructor(options: QueuePassesOptions) {
    this.keys = new SigningKeys(options, 'queue pass', DOMAIN);
  }

  /** Signs `claims` (validated: a bad id or number throws, as `AdmissionTokens.issue` does). */
  issue(claims: QueuePassClaims): string {
    const c = QueuePassClaims.parse(claims);
    const payload = encodeClaims({
      saleId: c.saleId,
      userId: c.userId,
      ticket: c.ticket,
      servedUpTo: c.servedUpTo,
      lastTicket: c.lastTicket,
      issuedAt: c.issuedAt,
      until: c.until,
    });
    return `${PREFIX}.${this.keys.sign(payload)}`;
  }

  /**
   * Checks a pass presented by `userId` for `saleId` at `now`: shape, signature, then sale, user
   * and expiry, in that fixed order (a forged pass never learns which claim was wrong).
   */
  verify(input: { pass: unknown; saleId: string; userId: string; now: number }): QueuePassVerdict {
    return this.keys.verify(input.pass, PASS_FORMAT, input);
  }
}
