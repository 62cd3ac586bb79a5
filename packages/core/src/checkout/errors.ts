import { SeatRushError } from '../common/errors';

/**
 * A webhook delivery could not be authenticated (bad, missing or stale signature, unreadable body).
 * Nothing was changed; an HTTP handler answers 400 so the provider does not retry a forgery.
 */
export class WebhookSignatureError extends SeatRushError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WEBHOOK_SIGNATURE_INVALID', message, options);
  }
}
