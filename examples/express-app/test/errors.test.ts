import type { Request, Response } from 'express';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { errorHandler, HttpError } from '../src/http/errors';

/** What the handler wrote: status, headers and body. */
function answerTo(err: unknown) {
  const answer: { status?: number; headers: Record<string, string>; body?: unknown } = { headers: {} };
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
  const req = { method: 'POST', path: '/api/sales/s/reservations' };
  errorHandler(pino({ level: 'silent' }))(err, req as Request, res as unknown as Response, () => undefined);
  return answer;
}

describe('error answers', () => {
  it('answers SALE_NOT_WARM (a sale being rebuilt) 503 with when to retry, in the body and Retry-After', () => {
    const answer = answerTo(new HttpError('SALE_NOT_WARM', 'the sale is not loaded yet'));
    expect(answer.status).toBe(503);
    expect(answer.headers['Retry-After']).toBe('1');
    expect(answer.body).toEqual({
      error: { code: 'SALE_NOT_WARM', message: 'the sale is not loaded yet', retryAfterMs: 1_000 },
    });
  });

  it('keeps a retryAfterMs the route gave, and adds none to a refusal that does not pass by itself', () => {
    expect(answerTo(new HttpError('PIPELINE_STALLED', 'stalled', { retryAfterMs: 2_000 }))).toMatchObject({
      status: 503,
      headers: { 'Retry-After': '2' },
    });
    const taken = answerTo(new HttpError('SEAT_TAKEN', 'taken'));
    expect(taken.status).toBe(409);
    expect(taken.headers).toEqual({});
    expect(taken.body).toEqual({ error: { code: 'SEAT_TAKEN', message: 'taken' } });
  });
});
