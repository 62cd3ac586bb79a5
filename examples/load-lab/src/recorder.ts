import { Histogram, type HistogramSummary } from './histogram';

/** The steps of a buyer's flow that are timed, in flow order. */
export const STEPS = [
  'tcp_connect',
  'login',
  'challenge',
  'proof_of_work',
  'join',
  'queue_stream_open',
  'admission_wait',
  'seat_map',
  'reserve',
  'checkout_begin',
  'payment',
  'result_wait',
  'end_to_end',
] as const;
/** One of {@link STEPS}. */
export type Step = (typeof STEPS)[number];

/** One step's figures over the whole run. */
export interface StepFigures extends HistogramSummary {
  /** Answers by code: `OK` and every error code (HTTP error codes, NETWORK, TIMEOUT, …). */
  codes: Record<string, number>;
  errors: number;
  perSecond: number;
}

/** One second of the run: per step, completions, errors and latency percentiles of a sample. */
export interface TimelinePoint {
  t: number;
  steps: Partial<Record<Step, { count: number; errors: number; p50: number; p99: number }>>;
}

const WINDOW_SAMPLE = 512;

/** One second's record of one step: counts and a bounded reservoir of latencies. */
class Window {
  count = 0;
  errors = 0;
  readonly sample: number[] = [];
  add(ms: number, ok: boolean): void {
    this.count++;
    if (!ok) this.errors++;
    // reservoir sampling: each second keeps a uniform sample of ≤ 512 values, bounded memory
    if (this.sample.length < WINDOW_SAMPLE) this.sample.push(ms);
    else {
      const j = Math.floor(Math.random() * this.count);
      if (j < WINDOW_SAMPLE) this.sample[j] = ms;
    }
  }
  quantile(q: number): number {
    if (this.sample.length === 0) return 0;
    const sorted = [...this.sample].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  }
}

/**
 * Collects every timed step of every virtual buyer: an HDR-style histogram per step for the
 * totals (exact to 0.8 %), answers by code, and one window per second for the charts.
 */
export class Recorder {
  readonly #histograms = new Map<Step, Histogram>();
  readonly #codes = new Map<Step, Map<string, number>>();
  readonly #windows: Array<Map<Step, Window>> = [];
  readonly startedAt: number;
  /** Requests retried after a connection failure, by code. */
  readonly retries: Record<string, number> = {};

  constructor(now = performance.now()) {
    this.startedAt = now;
  }

  /** Records one finished step: its duration and its code (`OK` for success). */
  record(step: Step, ms: number, code = 'OK', at = performance.now()): void {
    const ok = code === 'OK';
    // only successes go into the latency figures; a refusal's latency is not the step's latency
    if (ok) this.#histogram(step).record(ms);
    const codes = this.#codes.get(step) ?? new Map<string, number>();
    codes.set(code, (codes.get(code) ?? 0) + 1);
    this.#codes.set(step, codes);
    const second = Math.max(0, Math.floor((at - this.startedAt) / 1_000));
    while (this.#windows.length <= second) this.#windows.push(new Map());
    const windows = this.#windows[second]!;
    const window = windows.get(step) ?? new Window();
    window.add(ms, ok);
    windows.set(step, window);
  }

  /** Counts one request retried after a connection failure. */
  retried(code: string): void {
    this.retries[code] = (this.retries[code] ?? 0) + 1;
  }

  /** Times `work` as `step`; the code comes from `codeOf(result)` (a thrown error is NETWORK/TIMEOUT). */
  async time<T>(step: Step, work: () => Promise<T>, codeOf: (result: T) => string): Promise<T> {
    const started = performance.now();
    try {
      const result = await work();
      this.record(step, performance.now() - started, codeOf(result));
      return result;
    } catch (error) {
      this.record(step, performance.now() - started, errorCode(error));
      throw error;
    }
  }

  /** The histogram of a step (created empty on first use). */
  histogram(step: Step): Histogram {
    return this.#histogram(step);
  }

  /** Per step: percentiles, codes and completions per second over `durationMs`. */
  steps(durationMs: number): Partial<Record<Step, StepFigures>> {
    const out: Partial<Record<Step, StepFigures>> = {};
    for (const step of STEPS) {
      const codes = this.#codes.get(step);
      if (!codes) continue;
      const all = [...codes.values()].reduce((a, b) => a + b, 0);
      out[step] = {
        ...this.#histogram(step).summary(),
        codes: Object.fromEntries([...codes].sort((a, b) => b[1] - a[1])),
        errors: all - (codes.get('OK') ?? 0),
        perSecond: durationMs > 0 ? (all / durationMs) * 1_000 : 0,
      };
    }
    return out;
  }

  /** One point per second since the start. */
  timeline(): TimelinePoint[] {
    return this.#windows.map((windows, t) => ({
      t,
      steps: Object.fromEntries(
        [...windows].map(([step, w]) => [
          step,
          { count: w.count, errors: w.errors, p50: w.quantile(0.5), p99: w.quantile(0.99) },
        ]),
      ),
    }));
  }

  #histogram(step: Step): Histogram {
    let h = this.#histograms.get(step);
    if (!h) {
      h = new Histogram();
      this.#histograms.set(step, h);
    }
    return h;
  }
}

/** A stable code for a thrown network error. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'TIMEOUT') return 'TIMEOUT';
  if (typeof code === 'string' && code.length > 0) return code;
  return 'NETWORK';
}
