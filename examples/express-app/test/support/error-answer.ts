import type { Request, Response } from 'express';
import pino from 'pino';
import { errorHandler } from '../../src/http/errors';

/** What the app's error handler wrote for an error: status, headers and body. */
export interface ErrorAnswer {
  status?: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** Runs the app's error handler (silent log) on `err`, as a route at `path` threw it, and records its answer. */
export function answerTo(err: unknown, path = '/api/sales/s/reservations'): ErrorAnswer {
  const answer: ErrorAnswer = { headers: {} };
  const res = {
    headersSent: false,
    set(name: string, value: string) {
      answer.headers[name] = value;
      return res;
    },
    status(code: number) {
      answer.status = code;
      return res;
    },
    json(body: unknown) {
      answer.body = body;
      return res;
    },
  };
  const req = { method: 'POST', path };
  errorHandler(pino({ level: 'silent' }))(err, req as Request, res as unknown as Response, () => undefined);
  return answer;
}
