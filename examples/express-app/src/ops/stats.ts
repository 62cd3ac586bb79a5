import type {
  QueueingMethod,
  ReconciliationRecord,
  RuntimeSale,
  SaleCommand,
  SaleState,
} from '@seatrush/core';
import type { SseHub } from '../http/sse';
import type { Platform } from '../platform/platform';
import type { AppMetrics } from './metrics';

/** The live figures of one sale, as the dashboard shows them. */
export interface SaleFigures {
  waiting: number;
  active: number;
  servedUpTo: number;
  admittedPerSecond: number | null;
  initialStock: number;
  available: number;
  held: number;
  confirmed: number;
  failed: number;
  /** Parties on the waiting list after sell-out, and offers made to them not yet claimed or lapsed. */
  waitingList: number;
  offersOutstanding: number;
  consumerLag: number;
  sseConnections: number;
}

/** One sample of a sale: its state, settings and figures at `at`. */
export interface SaleStats {
  saleId: string;
  name: string;
  state: SaleState;
  at: number;
  admission: { usersPerInterval: number; maxActive: number; intervalMs: number; paused: boolean };
  /** The queueing method in force (switched live by the operator); null when the store is down. */
  queueing: { method: QueueingMethod | null };
  payment: { latencyMs: number; failureRate: number };
  figures: SaleFigures;
  /** The operator commands the sale's state allows now: the dashboard enables just these buttons. */
  commands: SaleCommand[];
  /**
   * The latest reconciliation recorded in the source of truth, whichever instance ran it (the
   * reconciler's loop or an operator); null before the first or when the repository cannot say.
   */
  reconciliation: ReconciliationRecord | null;
}

/**
 * What `runSaleCommand` accepts in each state: `warm-up` starts a DRAFT sale only; `open` warms a
 * DRAFT sale first and is a no-op on an OPEN one (so it is not offered there); `pause`, `resume`
 * and `close` follow the sale's transitions (core's SALE_TRANSITIONS).
 */
const COMMANDS_IN: Record<SaleState, SaleCommand[]> = {
  DRAFT: ['warm-up', 'open', 'close'],
  WARMING: ['close'],
  READY: ['open', 'close'],
  OPEN: ['pause', 'close'],
  PAUSED: ['resume', 'close'],
  CLOSED: [],
};

/** How long a read of the last reconciliation is reused: the loop runs every minute or so. */
const RECONCILIATION_READ_MS = 5_000;

const HISTORY_MS = 5 * 60 * 1000;

/**
 * Samples every sale once a second: feeds the Prometheus gauges, keeps five minutes of history
 * for the dashboard chart (so a reload shows the past, not an empty chart) and pushes each sample
 * to the dashboards watching over SSE. Sampling also broadcasts the waiting room's counters, which
 * refreshes every waiting buyer's position and ETA.
 */
export class StatsSampler {
  readonly #histories = new Map<string, Array<{ at: number } & SaleFigures>>();
  readonly #failed = new Map<string, number>();
  readonly #reconciliations = new Map<string, { readAt: number; record: ReconciliationRecord | null }>();
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(
    private readonly platform: Platform,
    private readonly metrics: AppMetrics,
    private readonly hub: SseHub,
  ) {}

  /** Counts a failed reservation (the worker's results arrive through the platform). */
  countFailure(saleId: string): void {
    this.#failed.set(saleId, (this.#failed.get(saleId) ?? 0) + 1);
  }

  start(intervalMs = 1_000): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#running) return;
      this.#running = this.sampleAll()
        .catch(() => {})
        .finally(() => {
          this.#running = null;
        });
    }, intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** Samples every sale, records history and pushes to dashboards. */
  async sampleAll(): Promise<void> {
    const lag = await this.platform.runtime.workerLag().catch(() => -1);
    this.metrics.consumerLag.set(lag);
    for (const [pool, usage] of Object.entries(this.platform.pools())) {
      this.metrics.poolUsage.set({ pool, state: 'total' }, usage.total);
      this.metrics.poolUsage.set({ pool, state: 'idle' }, usage.idle);
      this.metrics.poolUsage.set({ pool, state: 'waiting' }, usage.waiting);
    }
    for (const runtime of this.platform.runtime.sales()) {
      const stats = await this.sample(runtime, lag);
      const history = this.#histories.get(runtime.sale.id) ?? [];
      history.push({ at: stats.at, ...stats.figures });
      while (history.length > 0 && history[0]!.at < stats.at - HISTORY_MS) history.shift();
      this.#histories.set(runtime.sale.id, history);
      this.hub.broadcast(`stats:${runtime.sale.id}`, 'stats', stats);
    }
  }

  /** The figures of one sale now. */
  async sample(runtime: RuntimeSale, knownLag?: number): Promise<SaleStats> {
    const saleId = runtime.sale.id;
    const [room, counts, lag, queueConfig, waitingList, reconciliation] = await Promise.all([
      runtime.waitingRoom.broadcast(),
      this.platform.runtime.ports.inventory.counts(saleId).catch(() => null),
      knownLag === undefined ? this.platform.runtime.workerLag().catch(() => -1) : Promise.resolve(knownLag),
      runtime.queue.config().catch(() => null),
      runtime.waitingList?.figures().catch(() => null) ?? null,
      this.lastReconciliation(saleId),
    ]);
    const figures: SaleFigures = {
      waiting: room.waiting,
      active: room.active,
      servedUpTo: room.servedUpTo,
      admittedPerSecond: room.admittedPerSecond,
      initialStock: counts?.initialStock ?? 0,
      available: counts?.available ?? 0,
      held: counts?.held ?? 0,
      confirmed: counts?.confirmed ?? 0,
      failed: this.#failed.get(saleId) ?? 0,
      waitingList: waitingList?.waiting ?? 0,
      offersOutstanding: waitingList?.offered ?? 0,
      consumerLag: lag,
      sseConnections: this.hub.size,
    };
    const labels = { sale: saleId };
    this.metrics.queueWaiting.set(labels, figures.waiting);
    this.metrics.queueActive.set(labels, figures.active);
    this.metrics.admissionRate.set(labels, figures.admittedPerSecond ?? 0);
    this.metrics.stock.set({ sale: saleId, state: 'available' }, figures.available);
    this.metrics.stock.set({ sale: saleId, state: 'held' }, figures.held);
    this.metrics.stock.set({ sale: saleId, state: 'confirmed' }, figures.confirmed);
    return {
      saleId,
      name: runtime.sale.name,
      state: runtime.state,
      at: this.platform.now(),
      admission: runtime.waitingRoom.admissionRate,
      queueing: { method: queueConfig?.method ?? null },
      payment: { ...this.platform.payments.settings },
      figures,
      commands: COMMANDS_IN[runtime.state],
      reconciliation,
    };
  }

  /** The sale's last reconciliation from the repository, read at most every few seconds. */
  async lastReconciliation(saleId: string): Promise<ReconciliationRecord | null> {
    const now = this.platform.now();
    const cached = this.#reconciliations.get(saleId);
    if (cached && now - cached.readAt < RECONCILIATION_READ_MS) return cached.record;
    const { repository } = this.platform.runtime.ports;
    const record = (await repository.lastReconciliation?.(saleId).catch(() => null)) ?? null;
    this.#reconciliations.set(saleId, { readAt: now, record });
    return record;
  }

  /** The last five minutes of samples of a sale. */
  history(saleId: string): Array<{ at: number } & SaleFigures> {
    return [...(this.#histories.get(saleId) ?? [])];
  }
}
