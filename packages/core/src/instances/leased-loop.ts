import { z } from 'zod';
import { ConfigurationError } from '../common/errors';
import { SaleId } from '../common/ids';
import { validate } from '../common/validate';
import { PeriodicTask, systemTimer, type Timer } from '../hold/periodic';
import { randomHolderId } from '../memory/lease-store';
import { type Clock, systemClock } from '../ports/clock';
import { type LeaseGrant, LeaseHolder, LeaseName, type LeaseStore } from '../ports/lease-store';

/** The loops a sale runs, each under its own lease. */
export const SaleLoop = z.enum(['admission', 'sweeper', 'reconciler', 'waiting-list']);
export type SaleLoop = z.infer<typeof SaleLoop>;

/** The lease name of one sale's loop, `sale:{<saleId>}:<loop>`: it carries the sale's hash tag. */
export function saleLoopLease(saleId: string, loop: SaleLoop): string {
  return `sale:{${validate('sale id', SaleId, saleId)}}:${validate('sale loop', SaleLoop, loop)}`;
}

/** What one run of a leased task is given. */
export interface LeasedTick {
  /** Pass it to writes the store fences (e.g. `recordAdaptiveDecision`): a replaced holder's are refused. */
  fencingToken: number;
  /** The lease is trusted until then (the holder's clock); a long task checks it between steps. */
  validUntil: number;
  /** Aborted as soon as the lease is lost or the loop stops. */
  signal: AbortSignal;
}

const Options = z.strictObject({
  name: LeaseName,
  holder: LeaseHolder.optional(),
  /** How long a grant lasts; renewed every third of it, so a holder that vanishes is replaced within 4/3 of it. */
  leaseMs: z.number().int().min(50).max(3_600_000),
  /** How often the task runs while the lease is held. */
  intervalMs: z.number().int().min(1).max(3_600_000),
});

/** Options of {@link LeasedLoop}. */
export interface LeasedLoopOptions extends z.input<typeof Options> {
  leases: LeaseStore;
  /** One run of the periodic work; never two at once. */
  task: (tick: LeasedTick) => Promise<unknown>;
  clock?: Clock;
  timer?: Timer;
  /** Receives a task's error and a store error of the lease keeper; the loop keeps going. */
  onError: (error: unknown) => void;
  /** Told when this instance takes the lease (`held` true, with the grant) and when it loses or leaves it. */
  onOwnerChange?: (held: boolean, lease: LeaseGrant | null) => void;
}

/**
 * Runs a periodic task on one instance at a time among any number that run the same loop: each
 * competes for the lease `name` and only the holder runs the task.
 *
 * - A keeper renews the lease every `leaseMs / 3` (or acquires it while free), apart from the
 *   task, so a slow task does not let the lease lapse.
 * - Before each run the holder checks its grant is still confirmed and not past `validUntil`; a
 *   refused renewal stops the task at once (its signal aborts), and a store error stops it once
 *   `validUntil` passes, so two instances never both believe they hold the loop.
 * - A holder that vanishes (SIGKILL) stops renewing; its lease expires within `leaseMs` and another
 *   instance's keeper takes it within a third of a lease more: under two lease periods in all.
 * - `stop()` releases the lease, so a shutdown hands the loop over at once.
 */
export class LeasedLoop {
  readonly holder: string;
  readonly #options: z.output<typeof Options> & LeasedLoopOptions;
  readonly #clock: Clock;
  readonly #keeper: PeriodicTask;
  readonly #ticker: PeriodicTask;
  #lease: LeaseGrant | null = null;
  #abort = new AbortController();
  #running = false;

  /** @throws ConfigurationError when an option is invalid. */
  constructor(options: LeasedLoopOptions) {
    const parsed = Options.safeParse({
      name: options.name,
      holder: options.holder,
      leaseMs: options.leaseMs,
      intervalMs: options.intervalMs,
    });
    if (!parsed.success) throw new ConfigurationError(`invalid leased loop options: ${parsed.error.message}`);
    this.#options = { ...options, ...parsed.data };
    this.holder = parsed.data.holder ?? randomHolderId('loop');
    this.#clock = options.clock ?? systemClock;
    const timer = options.timer ?? systemTimer;
    const onError = (error: unknown) => this.#report(error);
    this.#keeper = new PeriodicTask({
      intervalMs: Math.max(1, Math.floor(parsed.data.leaseMs / 3)),
      timer,
      work: () => this.keepLease(),
      onError,
    });
    this.#ticker = new PeriodicTask({
      intervalMs: parsed.data.intervalMs,
      timer,
      work: () => this.tick(),
      onError,
    });
  }

  /** The grant this instance holds now, or null. */
  get lease(): LeaseGrant | null {
    return this.#lease;
  }

  /** Whether this instance holds the loop now (and its grant has not passed `validUntil`). */
  get isOwner(): boolean {
    return this.#lease !== null && this.#clock.now() < this.#lease.validUntil;
  }

  /** Starts competing for the lease (tries at once) and running the task while holding it. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    this.#keeper.start();
    this.#ticker.start();
    void this.keepLease().catch((error: unknown) => this.#report(error));
  }

  /** Stops both timers, waits for a running task, and releases the lease if held. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#abort.abort();
    await Promise.all([this.#keeper.stop(), this.#ticker.stop()]);
    const lease = this.#lease;
    if (!lease) return;
    this.#lose();
    try {
      await this.#options.leases.release(lease);
    } catch (error) {
      this.#report(error);
    }
  }

  /**
   * One step of the keeper (the timer calls it; tests may too): renews a held lease, or tries to
   * take a free one. A refused renewal loses the lease at once; a store error loses it once its
   * `validUntil` has passed.
   */
  async keepLease(): Promise<void> {
    const { leases, name, leaseMs } = this.#options;
    const held = this.#lease;
    try {
      if (held) {
        const renewed = await leases.renew(held, leaseMs);
        if (renewed) this.#lease = renewed;
        else this.#lose();
        return;
      }
      if (!this.#running) return;
      const granted = await leases.acquire({ name, holder: this.holder, ttlMs: leaseMs });
      if (!granted) return;
      if (!this.#running) {
        await leases.release(granted);
        return;
      }
      this.#lease = granted;
      this.#options.onOwnerChange?.(true, granted);
    } catch (error) {
      if (held && this.#lease === held && this.#clock.now() >= held.validUntil) this.#lose();
      throw error;
    }
  }

  /** One run of the task, if this instance holds a grant not past its `validUntil`. */
  async tick(): Promise<void> {
    const lease = this.#lease;
    if (!lease || !this.#running) return;
    if (this.#clock.now() >= lease.validUntil) {
      this.#lose();
      return;
    }
    await this.#options.task({
      fencingToken: lease.fencingToken,
      validUntil: lease.validUntil,
      signal: this.#abort.signal,
    });
  }

  #lose(): void {
    if (!this.#lease) return;
    this.#lease = null;
    this.#abort.abort();
    this.#abort = new AbortController();
    this.#options.onOwnerChange?.(false, null);
  }

  #report(error: unknown): void {
    this.#options.onError(error);
  }
}
