/**
 * The SDK's one vocabulary of refusal codes, and the HTTP status each one is answered with.
 *
 * Every code a buyer or an operator can be refused with — by the SDK's services (`SOLD_OUT`,
 * `SALE_NOT_WARM`, `INVALID_TRANSITION`, …) or by an HTTP layer over them (`UNAUTHENTICATED`,
 * `PAYLOAD_TOO_LARGE`, …) — is named here once. The services' refusal unions (`ReserveRefusal`,
 * `HoldChangeRefusal`, `SaleRefusal`, …) are subsets of {@link RefusalCode}, which a test checks,
 * so a code cannot reach a client without a status. `@seatrush/http` and the example app answer
 * with {@link refusalStatus} instead of tables of their own.
 *
 * The core does no I/O: the statuses are data here, for whichever transport answers.
 */
export const REFUSAL_HTTP_STATUS = {
  // 400: the request itself is wrong; retrying it unchanged cannot succeed
  INVALID_INPUT: 400,
  BAD_COOKIE: 400,
  WRONG_SELECTION: 400,
  UNKNOWN_SEAT: 400,
  UNKNOWN_SECTION: 400,
  CONTEXT_REQUIRED: 400,
  // 401: nobody is signed in
  UNAUTHENTICATED: 401,
  /** 402: the bank declined a card attempt; another card may succeed while the hold lasts. */
  PAYMENT_DECLINED: 402,
  // 403: this buyer may not do this
  NOT_ADMITTED: 403,
  NOT_OWNER: 403,
  FORBIDDEN: 403,
  BAD_ORIGIN: 403,
  BLOCKED: 403,
  CHALLENGE_REQUIRED: 403,
  INVITATION_REFUSED: 403,
  // 404: no such thing (or not this buyer's: not told apart, to leak nothing)
  NOT_FOUND: 404,
  UNKNOWN_SALE: 404,
  NOT_IN_QUEUE: 404,
  NOT_IN_ROOM: 404,
  NOT_ON_WAITING_LIST: 404,
  /** No payment by that id at the provider (or not with that client secret). */
  UNKNOWN_PAYMENT: 404,
  METHOD_NOT_ALLOWED: 405,
  // 409: the state of the sale, the seat or the reservation does not allow it now
  SOLD_OUT: 409,
  SEAT_TAKEN: 409,
  NO_ADJACENT_SEATS: 409,
  LIMIT_EXCEEDED: 409,
  NOT_HELD: 409,
  NOT_FOUND_HOLD: 409,
  EXTEND_LIMIT: 409,
  SALE_NOT_OPEN: 409,
  SALE_CLOSED: 409,
  /** A lifecycle command (open, pause, resume, close, warm-up) not legal in the sale's state. */
  INVALID_TRANSITION: 409,
  /** `open` before the sale's `opensAt`. */
  TOO_EARLY: 409,
  IN_PROGRESS: 409,
  ADAPTIVE_OFF: 409,
  NOT_SOLD_OUT: 409,
  NOT_OFFERED: 409,
  ALREADY_CLAIMED: 409,
  ALREADY_CANCELLED: 409,
  NOT_CANCELLABLE: 409,
  HOLD_RELEASED: 409,
  ALREADY_PAID: 409,
  FAILED: 409,
  /** A card attempt on a payment that is no longer waiting for one (succeeded, canceled, …). */
  NOT_CONFIRMABLE: 409,
  /** A buyer-checkout call on a server that takes payment itself as soon as a hold is made. */
  CHECKOUT_OFF: 409,
  // 410: it was there and has run out for good
  EXPIRED: 410,
  HOLD_EXPIRED: 410,
  OFFER_EXPIRED: 410,
  PAYLOAD_TOO_LARGE: 413,
  BAD_ENCODING: 415,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  // 429: too many, too fast; the answer says when to try again
  RATE_LIMITED: 429,
  TOO_MANY_STREAMS: 429,
  // 503: passes by itself (a sale being rebuilt, a lock, a stalled pipeline, a server down)
  SALE_NOT_WARM: 503,
  BUSY: 503,
  PIPELINE_STALLED: 503,
  INFRASTRUCTURE: 503,
  SHUTTING_DOWN: 503,
  /** The payment provider is not answering: nothing changed, try again. */
  PAYMENT_UNAVAILABLE: 503,
  /** A re-admission from a valid token while the room holds `maxActive` live admissions. */
  ROOM_FULL: 503,
} as const satisfies Readonly<Record<string, number>>;

/** Every refusal code of the SDK and its HTTP layers (see {@link REFUSAL_HTTP_STATUS}). */
export type RefusalCode = keyof typeof REFUSAL_HTTP_STATUS;

/** Every refusal code, in the order of {@link REFUSAL_HTTP_STATUS}. */
export const REFUSAL_CODES = Object.freeze(Object.keys(REFUSAL_HTTP_STATUS)) as readonly RefusalCode[];

/** Whether `code` is one of the vocabulary's codes. */
export function isRefusalCode(code: string): code is RefusalCode {
  return Object.hasOwn(REFUSAL_HTTP_STATUS, code);
}

/**
 * The HTTP status a refusal is answered with; undefined for a code outside the vocabulary (each
 * transport picks its own answer for those: 409 in `@seatrush/http`, 500 in the example app).
 */
export function refusalStatus(code: string): number | undefined {
  return isRefusalCode(code) ? REFUSAL_HTTP_STATUS[code] : undefined;
}
