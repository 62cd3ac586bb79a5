import { ConfigurationError, UnknownSaleError } from '../common/errors';
import { SaleId } from '../common/ids';
import { validate } from '../common/validate';
import { type Clock, systemClock } from '../ports/clock';
import type { SaleControl, SaleControlStore } from '../ports/sale-control-store';

/** Options of {@link SaleControlCache}. */
export interface SaleControlCacheOptions {
  store: SaleControlStore;
  clock?: Clock;
  /**
   * The oldest a cached record may be when answered, in ms (default 1,000). The bound applied is
   * the smaller of this and the sale's admission interval, so a change made on any instance is
   * seen by every instance within one admission interval.
   */
  maxAgeMs?: number;
}

interface Entry {
  control: SaleControl;
  /** When the store last confirmed this revision: the instant the confirming read was sent. */
  confirmedAt: number;
}

/**
 * A read-through cache of each sale's `SaleControl`, so the hot path does not read the whole
 * record from the shared store on every request. Its age is bounded: a record older than
 * `min(maxAgeMs, admission.intervalMs)` is checked against the store's revision (one small read)
 * and re-read only when it changed. Concurrent callers share one refresh.
 *
 * It never answers from a stale copy: when the store fails, `get` rejects with the store's
 * `InfrastructureError` (answer 503), whatever it holds.
 */
export class SaleControlCache {
  readonly #store: SaleControlStore;
  readonly #clock: Clock;
  readonly #maxAgeMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #refreshing = new Map<string, Promise<SaleControl>>();

  /** @throws ConfigurationError when `maxAgeMs` is not a positive whole number. */
  constructor(options: SaleControlCacheOptions) {
    const maxAgeMs = options.maxAgeMs ?? 1_000;
    if (!Number.isInteger(maxAgeMs) || maxAgeMs <= 0)
      throw new ConfigurationError(
        `sale control cache: maxAgeMs must be a positive integer, got ${maxAgeMs}`,
      );
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.#maxAgeMs = maxAgeMs;
  }

  /**
   * The sale's controls, at most `maxAgeOf` old.
   * @throws UnknownSaleError when the store has no record of the sale.
   * @throws InfrastructureError when the store fails (the cached copy is not used then).
   */
  async get(saleId: string): Promise<SaleControl> {
    validate('sale id', SaleId, saleId);
    const entry = this.#entries.get(saleId);
    if (entry && this.#clock.now() - entry.confirmedAt < this.maxAgeOf(entry.control)) return entry.control;
    const running = this.#refreshing.get(saleId);
    if (running) return running;
    const refresh = this.#refresh(saleId, entry).finally(() => this.#refreshing.delete(saleId));
    this.#refreshing.set(saleId, refresh);
    return refresh;
  }

  /** Keeps what a write on this instance answered, so this instance sees its own change at once. */
  remember(control: SaleControl): void {
    const entry = this.#entries.get(control.saleId);
    if (entry && entry.control.revision > control.revision) return;
    this.#entries.set(control.saleId, { control, confirmedAt: this.#clock.now() });
  }

  /** Drops the sale's entry: the next `get` reads the store. */
  forget(saleId: string): void {
    this.#entries.delete(saleId);
  }

  /** The age bound applied to `control`: `min(maxAgeMs, control.admission.intervalMs)`. */
  maxAgeOf(control: SaleControl): number {
    return Math.min(this.#maxAgeMs, control.admission.intervalMs);
  }

  async #refresh(saleId: string, entry: Entry | undefined): Promise<SaleControl> {
    const sentAt = this.#clock.now();
    if (entry) {
      const revision = await this.#store.revision(saleId);
      if (revision === entry.control.revision) {
        entry.confirmedAt = sentAt;
        return entry.control;
      }
    }
    const control = await this.#store.read(saleId);
    if (!control) {
      this.#entries.delete(saleId);
      throw new UnknownSaleError(saleId);
    }
    this.#entries.set(saleId, { control, confirmedAt: sentAt });
    return control;
  }
}
