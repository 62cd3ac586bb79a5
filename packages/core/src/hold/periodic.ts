import type { AlertSink } from '../ports/alert-sink';
import { type LoopFailure, warnLoopFailed } from './loop-failure';

/**
 * Schedules repeated work. The system timer uses `setInterval`; tests usually skip the timer and
 * call a service's one-shot method (`sweepOnce`, `tick`, `reconcile`) with a `ManualClock`.
 */
export interface Timer {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** The Node.js timer. Handles are `unref`'d so a forgotten loop never keeps a process alive. */
export const systemTimer: Timer = {
  setInterval(callback, ms) {
    const handle = setInterval(callback, ms);
    handle.unref?.();
    return handle;
  },
  clearInterval(handle) {
    clearInterval(handle as ReturnType<typeof setInterval>);
  },
};

/** How a service's background loop is scheduled (each service names its default period). */
export interface LoopOptions {
  /** Schedules the loop; the Node.js timer by default. */
  timer?: Timer;
  /** How often the loop runs, in ms. */
  intervalMs?: number;
}

/** Options of a {@link PeriodicTask}. */
export interface PeriodicTaskOptions {
  intervalMs: number;
  timer: Timer;
  /** One iteration. The next one never starts before this one has settled. */
  work: () => Promise<unknown>;
  /** Receives what an iteration threw; the loop keeps running (a sweeper must not die on a blip). */
  onError: (error: unknown) => void;
}

/**
 * Runs `work` every `intervalMs`, never two iterations at once: a slow iteration (a big sweep, a
 * slow Redis) makes the next tick skip instead of piling up concurrent runs.
 */
export class PeriodicTask {
  private handle: unknown = null;
  private inFlight: Promise<void> | null = null;

  constructor(private readonly options: PeriodicTaskOptions) {}

  /** Whether the loop is scheduled. */
  get running(): boolean {
    return this.handle !== null;
  }

  /** Starts the loop; calling it again while running does nothing. */
  start(): void {
    if (this.handle !== null) return;
    this.handle = this.options.timer.setInterval(() => this.runOnce(), this.options.intervalMs);
  }

  /** Stops scheduling and waits for a running iteration to settle. */
  async stop(): Promise<void> {
    if (this.handle !== null) this.options.timer.clearInterval(this.handle);
    this.handle = null;
    await this.inFlight;
  }

  private runOnce(): void {
    if (this.inFlight) return;
    this.inFlight = this.options
      .work()
      .then(
        () => undefined,
        (error: unknown) => this.options.onError(error),
      )
      .finally(() => {
        this.inFlight = null;
      });
  }
}

/**
 * A service's background loop: `work` every `options.intervalMs` (`defaultMs` when not given) on
 * `options.timer` (the Node.js timer when not given). A failed iteration is told to the operator as
 * the `failure` warning ({@link warnLoopFailed}), or handed to a service's own `failure` function;
 * the next iteration retries.
 */
export function serviceLoop(
  options: LoopOptions & { alerts: AlertSink },
  defaultMs: number,
  work: () => Promise<unknown>,
  failure: LoopFailure | ((error: unknown) => void),
): PeriodicTask {
  return new PeriodicTask({
    intervalMs: options.intervalMs ?? defaultMs,
    timer: options.timer ?? systemTimer,
    work,
    onError:
      typeof failure === 'function' ? failure : (error) => warnLoopFailed(options.alerts, failure, error),
  });
}
