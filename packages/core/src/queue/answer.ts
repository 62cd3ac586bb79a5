import { z } from 'zod';
import { validate } from '../common/validate';
import type { Challenge } from '../ports/challenge';
import type { WaitingStatus } from './waiting-room';

/** What a waiting-room answer says, in one word a client can switch on. */
export type AnswerState = 'ADMITTED' | 'WAITING' | 'PRE_QUEUE' | 'REJECTED' | 'REFUSED' | 'NOT_IN_ROOM';

/** What is being answered: a user's status, a refusal (guard, closed room), or nobody. */
export type AnswerSubject =
  | { kind: 'status'; status: WaitingStatus }
  | { kind: 'refused'; code: string; message?: string; retryAfterMs?: number; challenge?: Challenge }
  | { kind: 'absent' };

/** Options of {@link waitingRoomAnswer}: the status code per state and the refresh bounds. */
export const AnswerOptions = z.object({
  /** HTTP status per state, e.g. `{ WAITING: 200 }` for clients that treat 202 as an error. */
  statusCodes: z
    .partialRecord(
      z.enum(['ADMITTED', 'WAITING', 'PRE_QUEUE', 'REJECTED', 'REFUSED', 'NOT_IN_ROOM']),
      z.number().int().min(100).max(599),
    )
    .optional(),
  /** The client never polls faster than this… */
  minRefreshMs: z.number().int().positive().default(1_000),
  /** …nor slower than this (a long ETA still moves: a place freed ahead shortens it). */
  maxRefreshMs: z.number().int().positive().default(30_000),
  /** The sale's opening, so a pre-queued client is told to come back just after it. */
  opensAt: z.number().int().nonnegative().optional(),
  /** The instant of the answer (the service's clock). */
  now: z.number().int().nonnegative().optional(),
});
export type AnswerOptionsInput = z.input<typeof AnswerOptions>;

/** A waiting-room answer ready to send: status code, headers and a JSON body. */
export interface WaitingRoomAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: {
    state: AnswerState;
    /** When to ask again, in milliseconds (null: no need, e.g. admitted or rejected for good). */
    refreshAfterMs: number | null;
    saleId?: string;
    ticket?: number;
    ahead?: number;
    exactRank?: number;
    servedUpTo?: number;
    etaMs?: number | null;
    etaBasis?: 'measured' | 'configured';
    lane?: 'priority' | 'pre-queue';
    admittedUntil?: number;
    admissionToken?: string;
    code?: string;
    message?: string;
    retryAfterMs?: number;
    challenge?: Challenge;
  };
}

const DEFAULT_CODES: Record<AnswerState, number> = {
  ADMITTED: 200,
  // accepted, not finished: the request is queued
  WAITING: 202,
  PRE_QUEUE: 202,
  // the room takes nobody new (sold out, closed): a polite, final answer
  REJECTED: 410,
  REFUSED: 403,
  NOT_IN_ROOM: 404,
};

/**
 * Formats any waiting-room answer as JSON for non-browser clients (mobile apps, SPAs): a state,
 * the facts the client shows, a suggested refresh interval (also as `Retry-After` in seconds)
 * and a status code the operator can choose per state. Pure, so every transport (HTTP, SSE
 * fallback, a CDN worker) answers the same way.
 *
 * The refresh interval follows the wait: a quarter of the ETA, within the bounds, so a client
 * near the front polls often and one far back does not hammer the server.
 */
export function waitingRoomAnswer(
  subject: AnswerSubject,
  options: AnswerOptionsInput = {},
): WaitingRoomAnswer {
  const o = validate('answer options', AnswerOptions, options);
  const codeOf = (state: AnswerState) => o.statusCodes?.[state] ?? DEFAULT_CODES[state];
  const clamp = (ms: number) => Math.min(o.maxRefreshMs, Math.max(o.minRefreshMs, Math.ceil(ms)));
  const answer = (
    state: AnswerState,
    refreshAfterMs: number | null,
    body: Partial<WaitingRoomAnswer['body']>,
  ) => {
    const headers: Record<string, string> = {
      'Cache-Control': 'no-store',
      'Content-Type': 'application/json',
    };
    if (refreshAfterMs !== null) headers['Retry-After'] = String(Math.ceil(refreshAfterMs / 1_000));
    return { statusCode: codeOf(state), headers, body: { state, refreshAfterMs, ...body } };
  };
  if (subject.kind === 'absent') return answer('NOT_IN_ROOM', null, {});
  if (subject.kind === 'refused') {
    const { kind: _, ...refusal } = subject;
    const retry = refusal.retryAfterMs === undefined ? null : clamp(refusal.retryAfterMs);
    // a refusal of the room itself (closed, sold out) is final; a guard's refusal can be retried
    const state: AnswerState = isRoomClosed(refusal.code) ? 'REJECTED' : 'REFUSED';
    const formatted = answer(state, retry, refusal);
    // a guard's refusal with a delay is rate limiting: 429, unless the operator chose a code
    if (state === 'REFUSED' && refusal.retryAfterMs !== undefined && o.statusCodes?.REFUSED === undefined) {
      formatted.statusCode = 429;
    }
    return formatted;
  }
  const s = subject.status;
  const common = { saleId: s.saleId, ticket: s.ticket, servedUpTo: s.servedUpTo };
  if (s.state === 'ADMITTED') {
    return answer('ADMITTED', null, {
      ...common,
      ahead: 0,
      ...(s.admittedUntil === undefined ? {} : { admittedUntil: s.admittedUntil }),
      ...(s.admissionToken === undefined ? {} : { admissionToken: s.admissionToken }),
    });
  }
  if (s.lane === 'pre-queue') {
    const untilOpening = o.opensAt !== undefined && o.now !== undefined ? o.opensAt - o.now : o.maxRefreshMs;
    return answer('PRE_QUEUE', clamp(untilOpening), { ...common, lane: 'pre-queue' });
  }
  const eta = s.estimate.etaMs;
  return answer('WAITING', eta === null ? o.maxRefreshMs : clamp(eta / 4), {
    ...common,
    ahead: s.ahead,
    ...(s.exactRank === undefined ? {} : { exactRank: s.exactRank }),
    ...(s.lane === undefined ? {} : { lane: s.lane }),
    etaMs: eta,
    etaBasis: s.estimate.basis,
  });
}

/** Codes {@link QueueingRoom} gives when the room takes nobody new. */
function isRoomClosed(code: string): boolean {
  return code === 'SOLD_OUT' || code === 'SALE_CLOSED';
}
