import type { WebhookDelivery } from '@seatrush/core';
import type { Logger } from 'pino';

const ATTEMPTS = 5;
const FIRST_RETRY_MS = 200;

/**
 * How the in-process simulator hands its signed webhooks to the runtime: as a real provider does,
 * once the call that caused it has returned (the buyer leaving is recorded as CHECKOUT_ABANDONED,
 * not as the `canceled` webhook that leaving causes), and again with backoff while the handler
 * throws (a database that blinked). A
 * delivery that never succeeds is logged; the hold's expiry settles that payment later (the SDK
 * asks the provider then: confirmed if paid and still held, refunded otherwise).
 */
export function deliverAfterAnswer(
  handle: (delivery: WebhookDelivery) => Promise<unknown>,
  log: Logger,
): (delivery: WebhookDelivery) => Promise<void> {
  return async (delivery) => {
    setImmediate(() => void attempt(delivery, 1));
  };

  async function attempt(delivery: WebhookDelivery, n: number): Promise<void> {
    try {
      await handle(delivery);
    } catch (error) {
      if (n >= ATTEMPTS) return void log.error({ err: error }, 'payment webhook not handled; giving up');
      log.warn({ err: error, attempt: n }, 'payment webhook not handled; delivering it again');
      setTimeout(() => void attempt(delivery, n + 1), FIRST_RETRY_MS * 2 ** (n - 1)).unref();
    }
  }
}
