import { ValidationError } from '../common/errors';
import type { Clock } from '../ports/clock';

/**
 * A clock that only moves when a test moves it, for the ports whose methods take no `now`
 * (the distributed lock) and for services that read a `Clock`.
 */
export class ManualClock implements Clock {
  #now: number;

  /** Starts at `start` ms since the epoch (a fixed, realistic instant by default). */
  constructor(start = 1_767_225_600_000) {
    this.#now = checkInstant(start);
  }

  now(): number {
    return this.#now;
  }

  /** Moves time forward by `ms` (never backwards: a real clock does not either). */
  advance(ms: number): number {
    if (!Number.isInteger(ms) || ms < 0) {
      throw new ValidationError('clock advance', [{ path: 'ms', message: 'must be an integer ≥ 0' }]);
    }
    this.#now += ms;
    return this.#now;
  }

  /** Sets the time to `ms` since the epoch. */
  set(ms: number): number {
    this.#now = checkInstant(ms);
    return this.#now;
  }
}

function checkInstant(ms: number): number {
  if (!Number.isInteger(ms) || ms < 0) {
    throw new ValidationError('clock time', [{ path: 'ms', message: 'must be an integer ≥ 0' }]);
  }
  return ms;
}
