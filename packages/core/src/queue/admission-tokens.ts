import { z } from 'zod';
import { EpochMs, SaleId, UserId } from '../common/ids';
import { QueuePasses } from './queue-passes';
import { encodeClaims, SigningKeys } from './signed-claims';

/** What an admission token says: this user may buy in this sale until then. */
export const AdmissionClaims = z.object({ saleId: SaleId, userId: UserId, until: EpochMs });
export type AdmissionClaims = z.infer<typeof AdmissionClaims>;

/** Why a token was refused. Stable codes, safe to send to the client. */
export type AdmissionTokenRefusal = 'EXPIRED' | 'BAD_SIGNATURE' | 'WRONG_USER' | 'WRONG_SALE' | 'MALFORMED';

/** The answer of {@link AdmissionTokens.verify}. */
export type AdmissionTokenVerdict =
  | { ok: true; claims: AdmissionClaims }
  | { ok: false; code: AdmissionTokenRefusal };

/** Options of {@link AdmissionTokens}. */
export interface AdmissionTokensOptions {
  /** The HMAC-SHA256 key: at least 32 bytes, shared by every API instance. */
  secret: string | Uint8Array;
  /**
   * Keys still accepted (never used to sign) while a rotation rolls out, so tokens issued just
   * before the rotation stay valid until they expire.
   */
  previousSecrets?: Array<string | Uint8Array>;
}

const TOKEN_FORMAT = { claims: AdmissionClaims, until: (claims: AdmissionClaims) => claims.until };

/**
 * Signed admission tokens: `base64url(JSON {saleId,userId,until}) . base64url(HMAC-SHA256)`.
 *
 * A token cannot be forged without the secret, and it is bound to one user and one sale, so a
 * token shared on a forum is useless to anyone else. Verification compares signatures in constant
 * time and checks the signature before reading the payload, so nothing unsigned is ever parsed.
 */
export class AdmissionTokens {
  private readonly keys: SigningKeys;
  private readonly options: AdmissionTokensOptions;
  private passes: QueuePasses | undefined;

  constructor(options: AdmissionTokensOptions) {
    this.options = options;
    // no domain: tokens were signed before queue passes and invitations brought theirs
    this.keys = new SigningKeys(options, 'admission token', '');
  }

  /**
   * The queue passes signed with these same keys (and a domain of their own): what a waiting buyer
   * keeps to get their place back after the room lost its state (see {@link QueuePasses}).
   */
  queuePasses(): QueuePasses {
    this.passes ??= new QueuePasses(this.options);
    return this.passes;
  }

  /** Signs `claims` (validated: a bad sale or user id throws `ValidationError`). */
  issue(claims: AdmissionClaims): string {
    const parsed = AdmissionClaims.parse(claims);
    return this.keys.sign(
      encodeClaims({ saleId: parsed.saleId, userId: parsed.userId, until: parsed.until }),
    );
  }

  /**
   * Checks a token presented by `userId` for `saleId` at `now`. The order of the checks is fixed:
   * shape, signature, then sale, user and expiry, so a forged token never learns which claim was
   * wrong.
   */
  verify(input: { token: unknown; saleId: string; userId: string; now: number }): AdmissionTokenVerdict {
    return this.keys.verify(input.token, TOKEN_FORMAT, input);
  }
}
