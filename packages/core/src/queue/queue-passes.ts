import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ConfigurationError } from '../common/errors';
import { EpochMs, SaleId, UserId } from '../common/ids';

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
const MIN_SECRET_BYTES = 32;

/**
 * Signed queue passes (issue 20): `qp1.base64url(JSON claims).base64url(HMAC-SHA256)`, under the
 * admission tokens' keys with a domain of their own, so a pass is never an admission token nor
 * the reverse. A waiting buyer keeps the latest pass the room gave them (every join and status
 * answer carries a fresh one); when the room has lost its state (a wiped Redis), a join carrying
 * it puts them back at their ticket (see `WaitingRoom.rejoin`). Like an admission token it cannot
 * be forged without the secret and is bound to one user and one sale.
 */
export class QueuePasses {
  private readonly signingKey: KeyObject;
  private readonly acceptedKeys: KeyObject[];

  constructor(options: QueuePassesOptions) {
    const keys = [options.secret, ...(options.previousSecrets ?? [])].map((secret) =>
      typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret),
    );
    if (keys.some((key) => key.length < MIN_SECRET_BYTES)) {
      throw new ConfigurationError(`queue pass secrets must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    this.acceptedKeys = keys.map((key) => createSecretKey(key));
    this.signingKey = this.acceptedKeys[0]!;
  }

  /** Signs `claims` (validated: a bad id or number throws, as `AdmissionTokens.issue` does). */
  issue(claims: QueuePassClaims): string {
    const c = QueuePassClaims.parse(claims);
    const payload = Buffer.from(
      JSON.stringify({
        saleId: c.saleId,
        userId: c.userId,
        ticket: c.ticket,
        servedUpTo: c.servedUpTo,
        lastTicket: c.lastTicket,
        issuedAt: c.issuedAt,
        until: c.until,
      }),
    ).toString('base64url');
    return `${PREFIX}.${payload}.${sign(this.signingKey, payload).toString('base64url')}`;
  }

  /**
   * Checks a pass presented by `userId` for `saleId` at `now`: shape, signature, then sale, user
   * and expiry, in that fixed order (a forged pass never learns which claim was wrong).
   */
  verify(input: { pass: unknown; saleId: string; userId: string; now: number }): QueuePassVerdict {
    const { pass } = input;
    if (typeof pass !== 'string' || pass.length > 2048) return { ok: false, code: 'MALFORMED' };
    const parts = pass.split('.');
    if (parts.length !== 3 || parts[0] !== PREFIX) return { ok: false, code: 'MALFORMED' };
    const [, payload, signature] = parts as [string, string, string];
    if (!isBase64Url(payload) || !isBase64Url(signature)) return { ok: false, code: 'MALFORMED' };
    const presented = Buffer.from(signature, 'base64url');
    const signedByUs = this.acceptedKeys.some((key) => {
      const expected = sign(key, payload);
      return expected.length === presented.length && timingSafeEqual(expected, presented);
    });
    if (!signedByUs) return { ok: false, code: 'BAD_SIGNATURE' };
    const claims = parseClaims(payload);
    if (!claims) return { ok: false, code: 'MALFORMED' };
    if (claims.saleId !== input.saleId) return { ok: false, code: 'WRONG_SALE' };
    if (claims.userId !== input.userId) return { ok: false, code: 'WRONG_USER' };
    if (claims.until <= input.now) return { ok: false, code: 'EXPIRED' };
    return { ok: true, claims };
  }
}

function sign(key: KeyObject, payload: string): Buffer {
  return createHmac('sha256', key).update(DOMAIN).update(payload).digest();
}

function isBase64Url(text: string): boolean {
  return text.length > 0 && /^[A-Za-z0-9_-]+$/.test(text);
}

function parseClaims(payload: string): QueuePassClaims | null {
  try {
    const result = QueuePassClaims.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    return result.success ? result.data : null;
  } catch {
    // signed by a key we accept yet not JSON: not a pass we issued
    return null;
  }
}
