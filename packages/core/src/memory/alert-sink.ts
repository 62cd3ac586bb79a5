import { z } from 'zod';
import { validate } from '../common/validate';
import type { Alert, AlertSink } from '../ports/alert-sink';

const AlertSchema = z.object({
  severity: z.enum(['warning', 'critical']),
  code: z.string().min(1).max(64),
  message: z.string().min(1),
  context: z.record(z.string(), z.unknown()),
});

/** Keeps every alert in memory, for tests and the embedded demo's admin view. */
export class MemoryAlertSink implements AlertSink {
  /** Alerts received, oldest first. */
  readonly alerts: Alert[] = [];

  async alert(alert: Alert): Promise<void> {
    this.alerts.push(validate('alert', AlertSchema, alert));
  }

  /** The alerts with `code`. */
  byCode(code: string): Alert[] {
    return this.alerts.filter((alert) => alert.code === code);
  }
}
