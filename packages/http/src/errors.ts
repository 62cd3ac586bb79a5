import { SeatRushError } from '@seatrush/core';

/**
 * HTTP status of every stable `code` the API answers. Business outcomes keep the SDK's codes
 * (`SOLD_OUT`, `SEAT_TAKEN`, …) so clients switch on the names the SDK documents.
 */
const STATUS: Readonly<Record<string, number>> = Object.assign(
  Object.create(null) as Record<string, number>,
  {
    INVALID_INPUT: 400,
    BAD_COOKIE: 400,
    BAD_ENCODING: 415,
    UNSUPPORTED_MEDIA_TYPE: 415,
    WRONG_SELECTION: 400,
    UNKNOWN_SEAT: 400,
    UNKNOWN_SECTION: 400,
    UNAUTHENTICATED: 401,
    NOT_ADMITTED: 403,
    NOT_OWNER: 403,
    FORBIDDEN: 403,
    BAD_ORIGIN: 403,
    BLOCKED: 403,
    CHALLENGE_REQUIRED: 403,
    INVITATION_REFUSED: 403,
    NOT_FOUND: 404,
    UNKNOWN_SALE: 404,
    NOT_IN_QUEUE: 404,
    NOT_IN_ROOM: 404,
    NOT_ON_WAITING_LIST: 404,
    METHOD_NOT_ALLOWED: 405,
    SOLD_OUT: 409,
    SEAT_TAKEN: 409,
    NO_ADJACENT_SEATS: 409,
    LIMIT_EXCEEDED: 409,
    NOT_HELD: 409,
    NOT_FOUND_HOLD: 409,
    EXTEND_LIMIT: 409,
    SALE_NOT_OPEN: 409,
    SALE_CLOSED: 409,
    INVALID_TRANSITION: 409,
    NOT_SOLD_OUT: 409,
    NOT_OFFERED: 409,
    ALREADY_CLAIMED: 409,
    OFFER_EXPIRED: 410,
    PAYLOAD_TOO_LARGE: 413,
    IDEMPOTENCY_KEY_REUSED: 422,
    RATE_LIMITED: 429,
    TOO_MANY_STREAMS: 429,
    SALE_NOT_WARM: 503,
    BUSY: 503,
    PIPELINE_STALLED: 503,
    INFRASTRUCTURE: 503,
    SHUTTING_DOWN: 503,
  },
);

/** HTTP status for a stable code: 409 for an SDK refusal the table does not name (never a 5xx). */
export function statusOf(code: string): number {
  return STATUS[code] ?? 409;
}

/** An answer other than success: a stable `code`, a message and details, sent as JSON. */
export class HttpError extends SeatRushError {
  readonly status: number;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(
    code: string,
    message: string,
    details?: Record<string, unknown>,
    options: { status?: number; headers?: Record<string, string> } = {},
  ) {
    super(code, message);
    this.status = options.status ?? statusOf(code);
    this.details = details;
    this.headers = options.headers;
  }
}

/** The JSON body of every error answer: `{ error: { code, message, …details } }`. */
export interface ErrorBody {
  error: { code: string; message: string; [detail: string]: unknown };
}
