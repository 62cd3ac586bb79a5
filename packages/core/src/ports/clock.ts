/** Time as a port: tests control it, and nothing in core calls `Date.now()`. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The wall clock, for production. */
export const systemClock: Clock = { now: () => Date.now() };
