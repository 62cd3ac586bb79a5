import {
  type CancelOutcome,
  type CheckoutRefusal,
  type GroupReserveResult,
  isRefusalCode,
  REFUSAL_CODES,
  REFUSAL_HTTP_STATUS,
  type ReadmitOutcome,
  type RefusalCode,
  type ReserveFailureCode,
  refusalStatus,
  type SaleCommandOutcome,
  type SaleRefusal,
  type WaitingListClaimResult,
  type WaitingListJoinOutcome,
} from '@seatrush/core';
import type { HoldChangeOutcome } from '@seatrush/core/ports';
import { describe, expect, it } from 'vitest';

type CodeOf<T> = T extends { ok: false; code: infer C } ? C : never;

/**
 * Every code of each refusal union the services answer, listed in full: a `Record` over the union
 * fails the typecheck when a member is missing or unknown, so a new refusal must be listed here,
 * and the test then checks it belongs to the one vocabulary (it has an HTTP status).
 */
/** What a reserve and a group reserve both refuse with. */
const RESERVE_REFUSALS = {
  NOT_ADMITTED: true,
  SOLD_OUT: true,
  SEAT_TAKEN: true,
  UNKNOWN_SEAT: true,
  WRONG_SELECTION: true,
  LIMIT_EXCEEDED: true,
  IDEMPOTENCY_KEY_REUSED: true,
  SALE_NOT_WARM: true,
  PIPELINE_STALLED: true,
  SALE_NOT_OPEN: true,
} as const;

const SERVICE_REFUSALS = {
  reserve: { ...RESERVE_REFUSALS, BUSY: true } satisfies Record<ReserveFailureCode, true>,
  reserveGroup: { ...RESERVE_REFUSALS, NO_ADJACENT_SEATS: true, UNKNOWN_SECTION: true } satisfies Record<
    Exclude<CodeOf<GroupReserveResult>, 'OUTCOME_UNKNOWN'>,
    true
  >,
  holdChange: {
    SALE_NOT_WARM: true,
    NOT_FOUND: true,
    NOT_OWNER: true,
    NOT_HELD: true,
    EXPIRED: true,
  } satisfies Record<CodeOf<HoldChangeOutcome>, true>,
  cancel: {
    NOT_FOUND: true,
    NOT_OWNER: true,
    ALREADY_CANCELLED: true,
    NOT_CANCELLABLE: true,
  } satisfies Record<CodeOf<CancelOutcome>, true>,
  checkout: {
    NOT_FOUND: true,
    HOLD_EXPIRED: true,
    HOLD_RELEASED: true,
    ALREADY_PAID: true,
    FAILED: true,
  } satisfies Record<CheckoutRefusal, true>,
  waitingListJoin: { SALE_NOT_WARM: true, LIMIT_EXCEEDED: true } satisfies Record<
    CodeOf<WaitingListJoinOutcome>,
    true
  >,
  waitingListClaim: {
    SALE_NOT_WARM: true,
    NOT_OFFERED: true,
    ALREADY_CLAIMED: true,
    OFFER_EXPIRED: true,
  } satisfies Record<CodeOf<WaitingListClaimResult>, true>,
  readmit: { NOT_ADMITTED: true, ROOM_FULL: true } satisfies Record<CodeOf<ReadmitOutcome>, true>,
  saleCommand: {
    INVALID_TRANSITION: true,
    SALE_NOT_WARM: true,
    TOO_EARLY: true,
  } satisfies Record<SaleRefusal & CodeOf<SaleCommandOutcome>, true>,
};

// the unions are subsets of the vocabulary at the type level too
const typed: RefusalCode[] = [] as Array<
  | ReserveFailureCode
  | Exclude<CodeOf<GroupReserveResult>, 'OUTCOME_UNKNOWN'>
  | CodeOf<HoldChangeOutcome>
  | CodeOf<CancelOutcome>
  | CheckoutRefusal
  | CodeOf<WaitingListJoinOutcome>
  | CodeOf<WaitingListClaimResult>
  | CodeOf<SaleCommandOutcome>
  | CodeOf<ReadmitOutcome>
>;

describe('the refusal vocabulary', () => {
  it.each(Object.entries(SERVICE_REFUSALS))('holds every %s refusal, each with a status', (_, codes) => {
    expect(typed).toEqual([]);
    for (const code of Object.keys(codes)) {
      expect(isRefusalCode(code), code).toBe(true);
      expect(refusalStatus(code), code).toBe(REFUSAL_HTTP_STATUS[code as RefusalCode]);
    }
  });

  it('gives every code one 4xx or 5xx status, and nothing to a code outside it', () => {
    expect(REFUSAL_CODES.length).toBe(Object.keys(REFUSAL_HTTP_STATUS).length);
    for (const code of REFUSAL_CODES) {
      expect(code).toMatch(/^[A-Z][A-Z_]*$/);
      const status = refusalStatus(code)!;
      expect(status >= 400 && status <= 599, `${code}: ${status}`).toBe(true);
    }
    expect(refusalStatus('NOT_A_CODE')).toBeUndefined();
    // an inherited property is not a code
    expect(isRefusalCode('toString')).toBe(false);
    expect(isRefusalCode('__proto__')).toBe(false);
  });

  it('answers the store and the lifecycle with the same names, as the HTTP APIs always did', () => {
    // one name for a sale the store has not loaded, whoever refuses: lifecycle, store or list
    expect(SERVICE_REFUSALS.saleCommand.SALE_NOT_WARM).toBe(true);
    expect(SERVICE_REFUSALS.reserve.SALE_NOT_WARM).toBe(true);
    expect(refusalStatus('SALE_NOT_WARM')).toBe(503);
    expect(refusalStatus('INVALID_TRANSITION')).toBe(409);
    expect(refusalStatus('TOO_EARLY')).toBe(409);
    expect(refusalStatus('SOLD_OUT')).toBe(409);
    expect(refusalStatus('NOT_ADMITTED')).toBe(403);
    expect(refusalStatus('RATE_LIMITED')).toBe(429);
  });

  it("answers the buyer checkout's payment codes with their statuses, as the HTTP layers did", () => {
    // the provider's refusals and errors, and a buyer-checkout call on an auto-pay server
    expect(refusalStatus('PAYMENT_DECLINED')).toBe(402);
    expect(refusalStatus('UNKNOWN_PAYMENT')).toBe(404);
    expect(refusalStatus('NOT_CONFIRMABLE')).toBe(409);
    expect(refusalStatus('CHECKOUT_OFF')).toBe(409);
    expect(refusalStatus('PAYMENT_UNAVAILABLE')).toBe(503);
  });
});
