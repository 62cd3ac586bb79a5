import { StoreUnavailableError, ValidationError } from '../common/errors';
import type { HoldRecord } from '../ports/inventory-store';

/** Default bound on the store's answer to a hold request (see `ReservationsOptions.answerWithinMs`). */
export const DEFAULT_ANSWER_WITHIN_MS = 2_000;

/** The store did not answer in time, or failed without proving that nothing changed. */
export class UnknownOutcome {
  /** @param cause what the call threw; undefined when it timed out */
  constructor(readonly cause: unknown) {}
}

/**
 * The store's answer to a hold request within `ms`, or an {@link UnknownOutcome} when it did not come in time or
 * the call failed in a way that does not prove nothing changed (a connection lost after the
 * command left, a timeout). Bad input (`ValidationError`) is rethrown: it is refused before
 * anything is written. An operation that did run later is not lost: its hold is in the outbox,
 * and the relay hands it to the pipeline.
 */
export function storeAnswer<T>(operation: Promise<T>, ms: number): Promise<T | UnknownOutcome> {
  // One promise and one timer a call (not a race of two promises): this runs on every reserve.
  return new Promise<T | UnknownOutcome>((resolve, reject) => {
    const timer = setTimeout(() => resolve(new UnknownOutcome(undefined)), ms);
    operation.then(
      (answer) => {
        clearTimeout(timer);
        resolve(answer);
      },
      (error: unknown) => {
        clearTimeout(timer);
        // refused before anything was written: bad input, or a store the call never reached
        if (error instanceof ValidationError || error instanceof StoreUnavailableError) reject(error);
        else resolve(new UnknownOutcome(error));
      },
    );
  });
}

/**
 * A hold as it stands at `now`: one still marked HELD whose time has passed is EXPIRED (the
 * sweeper will catch up), so an answer never calls an expired hold HELD.
 */
export function holdAsOf(hold: HoldRecord, now: number): HoldRecord {
  return hold.status === 'HELD' && hold.expiresAt <= now ? { ...hold, status: 'EXPIRED' } : hold;
}

/** The outbox gate's default: a quarter of the hold time, at most 5 s. */
export function defaultRelayLagLimitMs(holdMs: number): number {
  return Math.max(1, Math.min(5_000, Math.floor(holdMs / 4)));
}
