import type { AlertSink } from '../ports/alert-sink';
import { describeError } from '../reservation/describe-error';

/**
 * Tells the operator, with a warning, that one iteration of a loop failed, `error` described in
 * the alert's context after `context`. Not awaited: the loop goes on, and the next iteration
 * retries. An alert sink that is down itself is ignored: nothing is left to tell.
 */
export function warnLoopFailed(
  alerts: AlertSink,
  alert: { code: string; message: string; context?: Record<string, unknown> },
  error: unknown,
): void {
  void alerts
    .alert({
      severity: 'warning',
      code: alert.code,
      message: alert.message,
      context: { ...alert.context, error: describeError(error) },
    })
    .catch(() => undefined);
}
