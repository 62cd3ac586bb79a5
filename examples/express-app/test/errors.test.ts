import { describe, expect, it } from 'vitest';
import { HttpError } from '../src/http/errors';
import { answerTo } from './support/error-answer';

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
