import type {
  QueueingMethod,
  ReconciliationRecord,
  RuntimeSale,
  SaleCommand,
  SaleState,
} from '@seatrush/core';
import { stockCounts } from '../http/seat-map';
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

/**
 * Where a sample's stock figures (initialStock, available, held, confirmed, failed) were read.
 * On the real servers they come from the read side's views (PostgreSQL through the replica pool)
 * while its staleness is within MAX_STALENESS_MS, the seat map's rule; beyond it, or when
 * PostgreSQL fails, from the hot store, counted as a stats fallback. In memory: the store.
 */
export interface StockSource {
  source: 'read-side' | 'hot-store';
  /** How far behind the events the figures may be, in ms: 0 from the hot store; null when unknown. */
  stalenessMs: number | null;
  /** The read-side projector's consumer lag in events (-1 unknown); null without a read side. */
  projectorLag: number | null;
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
  /** Where the stock figures were read and how stale they may be. */
  stock: StockSource;
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

/** The waiting room's and waiting list's figures of a sale: the queue's own state, in the hot store. */
interface QueueFigures {
  room: Awaited<ReturnType<RuntimeSale['waitingRoom']['broadcast']>>;
  method: QueueingMethod | null;
  waitingList: { waiting: number; offered: number } | null;
}

/** Where the stock figures come from without a read side (in memory). */
const STORE_SOURCE: StockSource = { source: 'hot-store', stalenessMs: 0, projectorLag: null };

/** The stock part of a sample. */
type StockFigures = Pick<SaleFigures, 'initialStock' | 'available' | 'held' | 'confirmed' | 'failed'>;

/**
 * Samples every sale once a second: feeds the Prometheus gauges, keeps five minutes of history
 * for the dashboard chart (so a reload shows the past, not an empty chart) and pushes each sample
 * to the dashboards watching over SSE. Sampling also broadcasts the waiting room's counters, which
 * refreshes every waiting buyer's position and ETA.
 *
 * With a read side (the real servers, issue 21) the stock figures come from its views, never from
 * the hot store while they are fresh (see {@link StockSource}), and a dashboard's own reads (the
 * stats route, the stream's first sample) send nothing to the hot store: their queue figures are
 * those of the latest tick, which reads the waiting room once a second for its buyers anyway,
 * however many dashboards watch. In memory every sample reads the store, as before.
 */
export class StatsSampler {
  readonly #histories = new Map<string, Array<{ at: number } & SaleFigures>>();
  readonly #failed = new Map<string, number>();
  readonly #reconciliations = new Map<string, { readAt: number; record: ReconciliationRecord | null }>();
  /** The queue figures each sale's latest tick read. */
  readonly #queues = new Map<string, QueueFigures>();
  /** The worker's consumer lag at the latest tick; null before the first. */
  #lag: number | null = null;
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

  /** Samples every sale (reading its queue figures), records history and pushes to dashboards. */
  async sampleAll(): Promise<void> {
    const lag = await this.platform.runtime.workerLag().catch(() => -1);
    this.#lag = lag;
    this.metrics.consumerLag.set(lag);
    for (const [pool, usage] of Object.entries(this.platform.pools())) {
      this.metrics.poolUsage.set({ pool, state: 'total' }, usage.total);
      this.metrics.poolUsage.set({ pool, state: 'idle' }, usage.idle);
      this.metrics.poolUsage.set({ pool, state: 'waiting' }, usage.waiting);
    }
    for (const runtime of this.platform.runtime.sales()) {
      const queue = await this.#readQueue(runtime);
      const stats = await this.#compose(runtime, queue, lag);
      const history = this.#histories.get(runtime.sale.id) ?? [];
      history.push({ at: stats.at, ...stats.figures });
      while (history.length > 0 && history[0]!.at < stats.at - HISTORY_MS) history.shift();
      this.#histories.set(runtime.sale.id, history);
      this.hub.broadcast(`stats:${runtime.sale.id}`, 'stats', stats);
    }
  }

  /**
   * The figures of one sale now, for a dashboard's read. With a read side, the queue figures are
   * the latest tick's (read from the store only before the sale's first tick) and the stock
   * figures the read side's; in memory, everything is read from the store.
   */
  async sample(runtime: RuntimeSale): Promise<SaleStats> {
    const kept = this.platform.readSide ? this.#queues.get(runtime.sale.id) : undefined;
    const queue = kept ?? (await this.#readQueue(runtime));
    const lag = this.#lag ?? (await this.platform.runtime.workerLag().catch(() => -1));
    return this.#compose(runtime, queue, lag);
  }

  /** Reads the queue's figures from the store (broadcasting the room's counters to its buyers). */
  async #readQueue(runtime: RuntimeSale): Promise<QueueFigures> {
    const [room, config, waitingList] = await Promise.all([
      runtime.waitingRoom.broadcast(),
      runtime.queue.config().catch(() => null),
      runtime.waitingList?.figures().catch(() => null) ?? null,
    ]);
    const queue = { room, method: config?.method ?? null, waitingList };
    this.#queues.set(runtime.sale.id, queue);
    return queue;
  }

  async #compose(runtime: RuntimeSale, queue: QueueFigures, lag: number): Promise<SaleStats> {
    const saleId = runtime.sale.id;
    const [{ figures: stock, source }, reconciliation] = await Promise.all([
      this.#stock(runtime),
      this.lastReconciliation(saleId),
    ]);
    const { room, waitingList } = queue;
    const figures: SaleFigures = {
      waiting: room.waiting,
      active: room.active,
      servedUpTo: room.servedUpTo,
      admittedPerSecond: room.admittedPerSecond,
      ...stock,
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
      queueing: { method: queue.method },
      payment: { ...this.platform.payments.settings },
      figures,
      stock: source,
      commands: COMMANDS_IN[runtime.state],
      reconciliation,
    };
  }

  /**
   * The stock figures, served by the read side (`ReadSide.serve`, the seat map's rule): from its
   * views while they are fresh, else from the hot store, counted as a `stats` fallback (PostgreSQL
   * failing counts as one too). In memory, from the store.
   */
  async #stock(runtime: RuntimeSale): Promise<{ figures: StockFigures; source: StockSource }> {
    const { sale } = runtime;
    const readSide = this.platform.readSide;
    if (!readSide) return { figures: await this.#stockFromStore(sale.id), source: STORE_SOURCE };
    const served = await readSide.serve(
      'stats',
      async (views) => {
        const view = await views.saleStats({ saleId: sale.id });
        const counts = stockCounts(sale, view.unitsHeld, view.totals.unitsSold);
        return { ...counts, failed: view.totals.failed };
      },
      () => this.#stockFromStore(sale.id),
    );
    const fromViews = served.source === 'read-side';
    return {
      figures: served.value,
      source: {
        source: served.source,
        stalenessMs: fromViews ? served.stalenessMs : 0,
        projectorLag: readSide.lag(),
      },
    };
  }

  /** The stock figures from the hot store (zeros when it does not answer: a sample never fails). */
  async #stockFromStore(saleId: string): Promise<StockFigures> {
    const counts = await this.platform.runtime.ports.inventory.counts(saleId).catch(() => null);
    return {
      initialStock: counts?.initialStock ?? 0,
      available: counts?.available ?? 0,
      held: counts?.held ?? 0,
      confirmed: counts?.confirmed ?? 0,
      failed: this.#failed.get(saleId) ?? 0,
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
