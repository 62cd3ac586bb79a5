import type { Response } from 'express';
import type { QueueStatusCodes } from '../config';

/** A waiting-room status as the client sees it. */
export interface QueueView {
  /** `PRE_QUEUE`: joined before the opening; the order is drawn at `opensAt` (no ticket until then). */
  state: 'WAITING' | 'ADMITTED' | 'PRE_QUEUE';
  /** `priority`: joined with a priority invitation (admitted before the normal line). */
  lane?: 'priority' | 'pre-queue';
  /** The sale's opening, for a pre-queued buyer's countdown. */
  opensAt?: number;
  ticket: number;
  ahead: number;
  servedUpTo: number;
  etaSeconds: number | null;
  saleState: string;
  admissionToken?: string;
  admittedUntil?: number;
  /**
   * When to ask again, in ms (the SDK's `waitingRoomAnswer`: a quarter of the ETA, 1-30 s); null
   * once admitted. Also sent as `Retry-After` (seconds) by the join and status answers, for non-browser clients
   * (the SSE stream pushes changes, so its views leave it out).
   */
  refreshMs?: number | null;
}

/**
 * Sends a buyer's place in the waiting room (join and status answers) the same way to every
 * client: JSON with the state and the suggested refresh interval (`refreshMs`), `Retry-After` in
 * seconds while there is reason to ask again, never cached, and the HTTP status the operator chose
 * for the state (`QUEUE_STATUS_CODES`, e.g. 202 for WAITING for clients that poll on 202), else
 * `defaultStatus`.
 */
export function sendQueueAnswer(
  res: Response,
  answer: { view: QueueView; codes: QueueStatusCodes; defaultStatus: number; body: Record<string, unknown> },
): void {
  const { view } = answer;
  res.set('Cache-Control', 'no-store');
  if (typeof view.refreshMs === 'number') res.set('Retry-After', String(Math.ceil(view.refreshMs / 1_000)));
  res.status(answer.codes[view.state] ?? answer.defaultStatus).json(answer.body);
}
