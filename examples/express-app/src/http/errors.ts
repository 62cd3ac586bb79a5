import { CircuitOpenError, refusalStatus, SeatRushError, ValidationError } from '@seatrush/core';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';

/**
 * When to try again after a refusal that passes on its own, for answers that do not say it
 * themselves: SALE_NOT_WARM is a sale the store lost being rebuilt from the source of truth
 * (issue 20), which starts at the refusal and takes seconds.
 */
const RETRY_AFTER_MS: Record<string, number> = {
  SALE_NOT_WARM: 1_000,
};

/**
 * HTTP status for a stable code: the SDK's one vocabulary (`REFUSAL_HTTP_STATUS` in
 * `@seatrush/core`, which `@seatrush/http` answers with too). Expected business outcomes keep the
 * SDK's codes (`SOLD_OUT`, `SEAT_TAKEN`, …) so clients switch on the names the SDK documents; a
 * code outside the vocabulary is 500.
 */
export function statusOf(code: string): number {
  return refusalStatus(code) ?? 500;
}

/** An answer other than success, raised by a route: a stable `code`, a message and details. */
export class HttpError extends SeatRushError {
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(code, message);
    this.status = statusOf(code);
    this.details = details;
  }
}

/** The JSON body of every error answer: `{ error: { code, message, …details } }`. */
export interface ErrorBody {
  error: { code: string; message: string; [detail: string]: unknown };
}

/** 404 for every path no route answered, in the same JSON shape as every other error. */
export const notFound: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${req.path}` } });
};

/**
 * Turns whatever a route threw into JSON with a stable code. Bad input lists every issue; an
 * unexpected error is logged with its stack and answered without one (nothing internal leaks).
 */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let status: number;
    let body: ErrorBody;
    if (err instanceof ValidationError) {
      status = 400;
      body = { error: { code: err.code, message: err.message, issues: err.issues } };
    } else if (err instanceof HttpError) {
      status = err.status;
      body = { error: { code: err.code, message: err.message, ...err.details } };
    } else if (err instanceof SeatRushError) {
      status = statusOf(err.code);
      body = { error: { code: err.code, message: err.message } };
      // a call an open circuit breaker refused says when to try again (CircuitOpenError)
      if (err instanceof CircuitOpenError) body.error.retryAfterMs = err.retryAfterMs;
    } else if (bodyParserErrorType(err) === 'entity.parse.failed') {
      status = 400;
      body = { error: { code: 'INVALID_INPUT', message: 'request body is not valid JSON', issues: [] } };
    } else if (bodyParserErrorType(err) === 'entity.too.large') {
      status = 413;
      body = { error: { code: 'PAYLOAD_TOO_LARGE', message: 'request body is too large' } };
    } else {
      status = 500;
      body = { error: { code: 'INTERNAL', message: 'internal error' } };
    }
    if (status >= 500) log.error({ err, method: req.method, path: req.path }, 'request failed');
    if (res.headersSent) return;
    // a refusal that says when to try again says it to every HTTP client too
    const retryAfterMs = body.error.retryAfterMs ?? RETRY_AFTER_MS[body.error.code];
    if (body.error.retryAfterMs === undefined && retryAfterMs !== undefined)
      body.error.retryAfterMs = retryAfterMs;
    if (typeof retryAfterMs === 'number' && retryAfterMs >= 0) {
      res.set('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1_000))));
    }
    res.status(status).json(body);
  };
}

/** The `type` express.json gives its errors (`entity.parse.failed`, `entity.too.large`, …). */
function bodyParserErrorType(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { type?: unknown }).type : undefined;
}
