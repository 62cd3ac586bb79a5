import { solveProofOfWork } from '@seatrush/core';
import { type Answer, type Buyer, operator, sleep } from './harness';

/**
 * An admission setting under which nobody loses their place while a test's clock jumps ahead
 * (heartbeats may lapse for ten minutes), with `extra` over it.
 */
export const patientAdmission = (extra: Record<string, number> = {}) => ({
  usersPerInterval: 1_000,
  intervalMs: 100,
  maxActive: 1_000,
  heartbeatTimeoutMs: 600_000,
  ...extra,
});

/** Solves a challenge and joins the sale's queue with `extra` in the body (e.g. an invitation). */
export async function joinWith(
  buyer: Buyer,
  saleId: string,
  extra: Record<string, unknown> = {},
): Promise<Answer> {
  const issued = await buyer.request('POST', `/api/sales/${saleId}/challenge`);
  if (issued.status !== 201) return issued;
  return buyer.request('POST', `/api/sales/${saleId}/queue`, {
    body: {
      challenge: {
        challengeId: issued.body.challenge.id,
        answer: solveProofOfWork(issued.body.challenge.prompt),
      },
      ...extra,
    },
  });
}

/** Calls `probe` until `done` says yes (every 25 ms, up to `timeoutMs`); throws with the last value. */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in time; last: ${JSON.stringify(value)}`);
    await sleep(25);
  }
}

/** Creates a sale through the operator API (with `queueing` beside the definition) and runs `steps`. */
export async function createSale(
  baseUrl: string,
  definition: Record<string, unknown>,
  steps: Array<'warm-up' | 'open' | 'pause'>,
): Promise<void> {
  const op = operator(baseUrl);
  const created = await op.request('POST', '/api/operator/sales', { body: definition });
  if (created.status !== 201)
    throw new Error(`create failed: ${created.status} ${JSON.stringify(created.body)}`);
  for (const step of steps) {
    const answer = await op.request('POST', `/api/operator/sales/${String(definition.id)}/${step}`);
    if (answer.status !== 200)
      throw new Error(`${step} failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
}

/** The buyer's place in the queue (GET …/queue), whatever the status code. */
export function queueOf(buyer: Buyer, saleId: string): Promise<Answer> {
  return buyer.request('GET', `/api/sales/${saleId}/queue`);
}
