import type { ReservationResult } from '@seatrush/core';
import type { Logger } from 'pino';
import type { AppMetrics } from '../ops/metrics';
import type { StatsSampler } from '../ops/stats';
import type { Platform } from '../platform/platform';
import { type BuyerCaches, loadSeats } from './buyer-routes';
import type { SseHub } from './sse';

/**
 * Pushes live changes to the SSE streams:
 * - seats: the seat map of a sale with watchers is re-read (through the cache) and sent when it
 *   changed;
 * - reservations: the worker's results are counted (the streams are @seatrush/http's).
 */
export class LiveUpdates {
  readonly #lastSeats = new Map<string, string>();
  readonly #unsubscribe: Array<() => void> = [];
  #timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly platform: Platform,
    private readonly hub: SseHub,
    private readonly caches: BuyerCaches,
    private readonly metrics: AppMetrics,
    private readonly stats: StatsSampler,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.#unsubscribe.push(this.platform.runtime.onResult((result) => void this.#onResult(result)));
    this.#timers.push(this.#every(500, () => this.#pushSeats()));
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe.length = 0;
  }

  async #pushSeats(): Promise<void> {
    for (const channel of this.hub.channels('seats:')) {
      const saleId = channel.slice('seats:'.length);
      if (!this.platform.runtime.sale(saleId)) continue;
      const snapshot = await this.caches.seats.get(saleId, () => loadSeats(this.platform, saleId));
      const signature = JSON.stringify([snapshot.states, snapshot.counts]);
      if (this.#lastSeats.get(saleId) === signature) continue;
      this.#lastSeats.set(saleId, signature);
      this.hub.broadcast(channel, 'seats', snapshot);
    }
  }

  async #onResult(result: ReservationResult): Promise<void> {
    const confirmed = result.type === 'ReservationConfirmed';
    this.metrics.reservationResults.inc({ sale: result.saleId, result: confirmed ? 'CONFIRMED' : 'FAILED' });
    if (!confirmed) this.stats.countFailure(result.saleId);
    this.caches.seats.invalidate(result.saleId);
  }

  #every(ms: number, work: () => Promise<void> | void): NodeJS.Timeout {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      Promise.resolve()
        .then(work)
        .catch((error) => this.log.warn({ err: error }, 'live update failed'))
        .finally(() => {
          running = false;
        });
    }, ms);
    timer.unref();
    return timer;
  }
}
