import type { Response } from 'express';
import type { QueueStatusCodes } from '../config';
import type { QueueView } from './buyer-routes';

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
