/** One observation of the serving counter. */
interface Sample {
  at: number;
  servedUpTo: number;
}

/**
 * Measures how fast the serving counter moves, over a moving window.
 *
 * It samples the shared serving counter rather than counting this process's own admissions, so
 * every API instance measures the same rate even though only one of them runs the admission tick.
 * The measured rate (not the configured one) is what waiting users see in their ETA: when
 * admission stalls because `maxActive` users are buying, the ETA grows as it really does.
 */
export class AdmissionRateMeter {
  private samples: Sample[] = [];

  /**
   * @param windowMs how far back the rate looks (a longer window is steadier, a shorter one
   *   reacts faster to an operator changing the rate).
   */
  constructor(private readonly windowMs: number) {}

  /** Records the serving counter seen at `at`. Out-of-order or backwards samples are ignored. */
  record(at: number, servedUpTo: number): void {
    const last = this.samples.at(-1);
    if (last && (at < last.at || servedUpTo < last.servedUpTo)) return;
    // every position read records a sample; within one spacing the newest sample is moved
    // instead of added, so the window holds about 100 samples however many users poll
    const spacing = Math.max(1, this.windowMs / 100);
    if (last && this.samples.length > 1 && at - this.samples.at(-2)!.at < spacing) {
      last.at = at;
      last.servedUpTo = servedUpTo;
    } else if (last && last.at === at) {
      last.servedUpTo = servedUpTo;
    } else {
      this.samples.push({ at, servedUpTo });
    }
    this.prune(at);
  }

  /**
   * Tickets served per millisecond over the window, or null before two samples at least a
   * moment apart exist. Zero means admission is not moving (paused, or full).
   */
  ratePerMs(): number | null {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at === first.at) return null;
    return (last.servedUpTo - first.servedUpTo) / (last.at - first.at);
  }

  private prune(now: number): void {
    // keep the newest sample older than the window as the anchor, so the rate spans the whole window
    const cutoff = now - this.windowMs;
    let drop = 0;
    while (drop + 1 < this.samples.length && this.samples[drop + 1]!.at <= cutoff) drop++;
    if (drop > 0) this.samples = this.samples.slice(drop);
  }
}
