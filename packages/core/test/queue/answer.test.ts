import { describe, expect, it } from 'vitest';
import { ValidationError, type WaitingStatus } from '../../src';
import { waitingRoomAnswer } from '../../src/subpaths/services';

const waiting: WaitingStatus = {
  saleId: 's1',
  userId: 'u1',
  ticket: 40,
  state: 'WAITING',
  servedUpTo: 10,
  ahead: 29,
  estimate: { etaMs: 60_000, basis: 'measured' },
};

describe('waitingRoomAnswer', () => {
  it('answers a waiting buyer with 202, the facts to show and a refresh of a quarter of the ETA', () => {
    expect(waitingRoomAnswer({ kind: 'status', status: waiting })).toEqual({
      statusCode: 202,
      headers: { 'Cache-Control': 'no-store', 'Content-Type': 'application/json', 'Retry-After': '15' },
      body: {
        state: 'WAITING',
        refreshAfterMs: 15_000,
        saleId: 's1',
        ticket: 40,
        servedUpTo: 10,
        ahead: 29,
        etaMs: 60_000,
        etaBasis: 'measured',
      },
    });
  });

  it('keeps the refresh within the bounds: fast near the front, capped far back or when stalled', () => {
    const near = { ...waiting, estimate: { etaMs: 800, basis: 'measured' as const } };
    expect(waitingRoomAnswer({ kind: 'status', status: near }).body.refreshAfterMs).toBe(1_000);
    const far = { ...waiting, estimate: { etaMs: 3_600_000, basis: 'measured' as const } };
    expect(
      waitingRoomAnswer({ kind: 'status', status: far }, { maxRefreshMs: 20_000 }).body.refreshAfterMs,
    ).toBe(20_000);
    const stalled = { ...waiting, estimate: { etaMs: null, basis: 'measured' as const } };
    expect(waitingRoomAnswer({ kind: 'status', status: stalled }).body).toMatchObject({
      refreshAfterMs: 30_000,
      etaMs: null,
    });
  });

  it('uses the status code the operator configures per state (e.g. 200 for SPAs)', () => {
    const answer = waitingRoomAnswer({ kind: 'status', status: waiting }, { statusCodes: { WAITING: 200 } });
    expect(answer.statusCode).toBe(200);
    expect(waitingRoomAnswer({ kind: 'absent' }, { statusCodes: { NOT_IN_ROOM: 200 } })).toMatchObject({
      statusCode: 200,
      body: { state: 'NOT_IN_ROOM', refreshAfterMs: null },
    });
  });

  it('answers an admitted buyer with the token and no refresh', () => {
    const admitted: WaitingStatus = {
      ...waiting,
      state: 'ADMITTED',
      ahead: 0,
      admittedUntil: 99,
      admissionToken: 'tok',
      estimate: { etaMs: 0, basis: 'measured' },
    };
    expect(waitingRoomAnswer({ kind: 'status', status: admitted })).toMatchObject({
      statusCode: 200,
      body: { state: 'ADMITTED', refreshAfterMs: null, admissionToken: 'tok', admittedUntil: 99 },
    });
    expect(waitingRoomAnswer({ kind: 'status', status: admitted }).headers['Retry-After']).toBeUndefined();
  });

  it('tells a pre-queued buyer to come back at the opening', () => {
    const pre: WaitingStatus = { ...waiting, ticket: 0, lane: 'pre-queue', ahead: 0 };
    expect(waitingRoomAnswer({ kind: 'status', status: pre }, { opensAt: 10_000, now: 4_000 })).toMatchObject(
      {
        statusCode: 202,
        body: { state: 'PRE_QUEUE', refreshAfterMs: 6_000, lane: 'pre-queue' },
      },
    );
  });

  it('answers a closed room as REJECTED (410) and a guard refusal as REFUSED, 429 when it says when to retry', () => {
    expect(waitingRoomAnswer({ kind: 'refused', code: 'SOLD_OUT', message: 'sorry' })).toMatchObject({
      statusCode: 410,
      body: { state: 'REJECTED', code: 'SOLD_OUT', refreshAfterMs: null },
    });
    expect(waitingRoomAnswer({ kind: 'refused', code: 'BLOCKED' })).toMatchObject({
      statusCode: 403,
      body: { state: 'REFUSED' },
    });
    expect(waitingRoomAnswer({ kind: 'refused', code: 'RATE_LIMITED', retryAfterMs: 2_500 })).toMatchObject({
      statusCode: 429,
      headers: { 'Retry-After': '3' },
      body: { state: 'REFUSED', refreshAfterMs: 2_500, retryAfterMs: 2_500 },
    });
  });

  it('refuses bad options with a ValidationError', () => {
    expect(() => waitingRoomAnswer({ kind: 'absent' }, { statusCodes: { WAITING: 42 } })).toThrow(
      ValidationError,
    );
    expect(() => waitingRoomAnswer({ kind: 'absent' }, { minRefreshMs: 0 })).toThrow(ValidationError);
  });
});
