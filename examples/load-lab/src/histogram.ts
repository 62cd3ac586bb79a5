/**
 * An HDR-style latency histogram: log-linear buckets over integer microseconds. Values below
 * 2·SUB are exact; above, each power of two is split into SUB linear buckets, so any recorded
 * value is known to within 1/SUB (≈ 0.8 %) whatever its magnitude, in a fixed 5,120-slot array.
 * Recording is O(1) and histograms merge by adding counts, which is what per-second windows and
 * per-step totals need.
 */
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS;
const SLOTS = 40 * SUB;

/** The percentiles every summary carries. */
export interface HistogramSummary {
  count: number;
  minMs: number;
  maxMs: number;
  meanMs: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
}

/** Bucket index of a value in microseconds. */
export function bucketOf(us: number): number {
  const v = Math.max(0, Math.floor(us));
  if (v < 2 * SUB) return v;
  const shift = 31 - Math.clz32(v) - SUB_BITS;
  return Math.min(SLOTS - 1, shift * SUB + (v >>> shift));
}

/** The highest value (µs) that lands in bucket `index`: percentiles never under-report. */
export function highestIn(index: number): number {
  if (index < 2 * SUB) return index;
  const shift = Math.floor(index / SUB) - 1;
  const sub = index - shift * SUB;
  return (sub + 1) * 2 ** shift - 1;
}

/** A log-linear histogram of durations in milliseconds (kept as microseconds). */
export class Histogram {
  readonly counts = new Float64Array(SLOTS);
  count = 0;
  #sumUs = 0;
  #minUs = Number.POSITIVE_INFINITY;
  #maxUs = 0;

  /** Records one duration in milliseconds (negative values count as zero). */
  record(ms: number): void {
    // values past 2^31 µs (~36 min) land in the last bucket; a load run never waits that long
    const us = Math.min(2 ** 31 - 1, Math.max(0, Math.round(ms * 1_000)));
    this.counts[bucketOf(us)]! += 1;
    this.count += 1;
    this.#sumUs += us;
    if (us < this.#minUs) this.#minUs = us;
    if (us > this.#maxUs) this.#maxUs = us;
  }

  /** Adds another histogram's counts to this one. */
  merge(other: Histogram): this {
    for (let i = 0; i < SLOTS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.#sumUs += other.#sumUs;
    this.#minUs = Math.min(this.#minUs, other.#minUs);
    this.#maxUs = Math.max(this.#maxUs, other.#maxUs);
    return this;
  }

  /** The value (ms) at or below which `p` percent of the recorded values lie; 0 when empty. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < SLOTS; i++) {
      seen += this.counts[i]!;
      // clamp to the true maximum: the last bucket's upper edge may lie above any real value
      if (seen >= rank) return Math.min(highestIn(i), this.#maxUs) / 1_000;
    }
    return this.#maxUs / 1_000;
  }

  /** Count, extremes, mean and the usual percentiles, in milliseconds. */
  summary(): HistogramSummary {
    const empty = this.count === 0;
    return {
      count: this.count,
      minMs: empty ? 0 : this.#minUs / 1_000,
      maxMs: this.#maxUs / 1_000,
      meanMs: empty ? 0 : this.#sumUs / this.count / 1_000,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p95: this.percentile(95),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
    };
  }
}
