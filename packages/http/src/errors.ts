import { refusalStatus, SeatRushError } from '@seatrush/core';

/**
 * HTTP status for a stable code: the SDK's one vocabulary (`REFUSAL_HTTP_STATUS` in
 * `@seatrush/core`), which business outcomes keep as they are (`SOLD_OUT`, `SEAT_TAKEN`, …) so
 * clients switch on the names the SDK documents; 409 for a code outside it (never a 5xx).
 */
export function statusOf(code: string): number {
  return refusalStatus(code) ?? 409;
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
