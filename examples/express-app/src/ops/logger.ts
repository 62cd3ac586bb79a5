import { type Logger, pino } from 'pino';

/** Structured JSON logs (one object per line) on stdout, as log shippers expect them. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'seatrush-example' },
    redact: { paths: ['req.headers.cookie', 'req.headers.authorization', 'token'], remove: true },
  });
}
