import { ConfigurationError } from './errors';

/**
 * `value` when it is a positive integer; otherwise a `ConfigurationError` naming the setting and
 * what it was given. Options are checked once, at construction, with it.
 */
export function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0)
    throw new ConfigurationError(`${name} must be a positive integer (got ${value})`);
  return value;
}

/** The same check for a duration, said as one: a positive whole number of milliseconds. */
export function positiveMs(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0)
    throw new ConfigurationError(`${name} must be a positive whole number of ms, got ${value}`);
  return value;
}
