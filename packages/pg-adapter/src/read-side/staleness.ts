/**
 * How far behind the event topics the read side's views may be, measured from the projector's
 * consumer lag rather than guessed. A lag poll that began at `at` and found `lag` events unhandled
 * while the projector had handled `handled` sets a mark: once the projector has handled
 * `handled + lag` events, every event published before `at` is applied. The views are then at most
 * `now − at` behind. A poll that finds lag 0 settles at once.
 *
 * The committed lag counts no more than what was unhandled, so the bound is conservative (with
 * several instances sharing the consumer group, very much so: each counts only its own handling).
 * The lag must count only the events the projector handles (its consumer subscribed to the
 * projected types alone), or the marks are never reached until a poll finds lag 0.
 */
export class ProjectionStaleness {
  /** Marks kept at most: a projector that never catches up stops adding them. */
  static readonly MAX_MARKS = 1_000;

  /** When the latest settled poll began; null before the first. */
  #caughtUpAt: number | null = null;
  /** Unsettled polls, oldest first: `at` is settled once `handled` events have been handled. */
  readonly #marks: Array<{ at: number; handled: number }> = [];

  /**
   * Records a lag poll.
   * @param at when the poll began (before the lag was read)
   * @param handled events the projector had handled once the lag was read (or later: the later,
   *   the more conservative; counted before the read, events handled during it would be missing
   *   from the lag yet counted here, and the mark would settle that many events early)
   * @param lag the consumer lag the poll found
   */
  recordPoll(at: number, handled: number, lag: number): void {
    if (lag <= 0) {
      this.#caughtUpAt = Math.max(this.#caughtUpAt ?? at, at);
      this.#marks.length = 0;
    } else if (this.#marks.length < ProjectionStaleness.MAX_MARKS) {
      this.#marks.push({ at, handled: handled + lag });
    }
  }

  /**
   * The staleness bound in ms at `now`, given the events the projector has handled so far:
   * Infinity before any poll settled.
   */
  stalenessMs(now: number, handled: number): number {
    while (this.#marks.length > 0 && this.#marks[0]!.handled <= handled) {
      const mark = this.#marks.shift()!;
      this.#caughtUpAt = Math.max(this.#caughtUpAt ?? mark.at, mark.at);
    }
    return this.#caughtUpAt === null ? Number.POSITIVE_INFINITY : Math.max(0, now - this.#caughtUpAt);
  }
}
