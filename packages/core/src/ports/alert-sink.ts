/** Something an operator must look at: a dead letter, a failed compensation, an inconsistency. */
export interface Alert {
  severity: 'warning' | 'critical';
  code: string;
  message: string;
  context: Record<string, unknown>;
}

export interface AlertSink {
  alert(alert: Alert): Promise<void>;
}
