import { solveProofOfWork } from '@seatrush/core';
import type { Answer, Buyer } from './harness';

/**
 * Joins `sale`'s waiting list as the web client does: the list is behind the queue's bot guard,
 * so a 403 CHALLENGE_REQUIRED is answered by solving the challenge it carries and joining again
 * (a buyer who solved one lately passes at once).
 */
export async function joinWaitingList(buyer: Buyer, sale: string, body: unknown): Promise<Answer> {
  const path = `/api/sales/${sale}/waiting-list`;
  const first = await buyer.request('POST', path, { body });
  const challenge = first.body?.error?.challenge;
  if (first.status !== 403 || first.body.error.code !== 'CHALLENGE_REQUIRED' || !challenge) return first;
  const answer = { challengeId: challenge.id, answer: solveProofOfWork(challenge.prompt) };
  return buyer.request('POST', path, { body: { ...(body as object), challenge: answer } });
}
