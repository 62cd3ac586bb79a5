import type { ReservationResult } from '@seatrush/core';
import type { AppMetrics } from '../ops/metrics';
import type { StatsSampler } from '../ops/stats';
import type { Platform } from '../platform/platform';

/**
 * Counts the worker's results (confirmed, failed) for the metrics and the operator's stats. The
 * buyers' streams hear them from @seatrush/http.
 */
export class ResultMetrics {
  #unsubscribe: (() => void) | null = null;

  constructor(
    private readonly platform: Platform,
    private readonly metrics: AppMetrics,
    private readonly stats: StatsSampler,
  ) {}

  start(): void {
    this.#unsubscribe ??= this.platform.runtime.onResult((result) => this.#onResult(result));
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  #onResult(result: ReservationResult): void {
    const confirmed = result.type === 'ReservationConfirmed';
    this.metrics.reservationResults.inc({ sale: result.saleId, result: confirmed ? 'CONFIRMED' : 'FAILED' });
    if (!confirmed) this.stats.countFailure(result.saleId);
  }
}
