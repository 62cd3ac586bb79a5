import type { AlertSink } from '../ports/alert-sink';
import { describeError } from '../reservation/describe-error';

/** The warning a loop's failed iteration raises: its code and message, and what it was about. */
export interface LoopFailure {
  code: string;
  message: string;
  context?: Record<string, unknown>;
}

/**
 * Tells the operator, with a warning, that one iteration of a loop failed, `error` described in
 * the alert's context after `context`. Not awaited: the loop goes on, and the next iteration
 * retries. An alert sink that is down itself is ignored: nothing is left to tell.
 */
export function warnLoopFailed(alerts: AlertSink, alert: LoopFailure, error: unknown): void {
  void alerts
    .alert({
      severity: 'warning',
      code: alert.code,
      message: alert.message,
      context: { ...alert.context, error: describeError(error) },
    })
    .catch(() => undefined);
}
