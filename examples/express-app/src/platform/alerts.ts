import type { Alert, AlertSink } from '@seatrush/core';
import type { Logger } from 'pino';

/**
 * Where the SDK's operator alerts go in the example: a structured log line (a log shipper or
 * Alertmanager picks `alert: true` lines up) and the last few kept for the dashboard.
 */
export class LoggingAlertSink implements AlertSink {
  readonly recent: Array<Alert & { at: number }> = [];

  constructor(private readonly log: Logger) {}

  async alert(alert: Alert): Promise<void> {
    const line = { alert: true, code: alert.code, severity: alert.severity, context: alert.context };
    if (alert.severity === 'critical') this.log.error(line, alert.message);
    else this.log.warn(line, alert.message);
    this.recent.push({ ...alert, at: Date.now() });
    if (this.recent.length > 100) this.recent.shift();
  }
}
