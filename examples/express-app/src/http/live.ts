import type { QueueBroadcast, ReservationResult, RuntimeSale } from '@seatrush/core';
import { waitingRoomAnswer } from '@seatrush/core/services';
import type { Logger } from 'pino';
import type { AppMetrics } from '../ops/metrics';
import type { StatsSampler } from '../ops/stats';
import type { Platform } from '../platform/platform';
import { type BuyerCaches, loadSeats } from './buyer-routes';
import type { QueueView } from './queue-answers';
import type { SseHub } from './sse';

/**
 * Pushes live changes to the SSE streams:
 * - queue: every waiting-room broadcast carries one serving counter; each waiting client's
 *   position is computed from its own ticket, and only clients whose ticket has been reached are
 *   looked up (to hand them their admission token), so a broadcast costs no per-user store call;
 * - seats: the seat map of a sale with watchers is re-read (through the cache) and sent when it
 *   changed;
 * - reservations: the worker's results are counted (the streams are @seatrush/http's).
 */
export class LiveUpdates {
  readonly #tickets = new Map<string, number>();
  readonly #lastSeats = new Map<string, string>();
  readonly #unsubscribe: Array<() => void> = [];
  #subscribed = new WeakSet<RuntimeSale>();
  #timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly platform: Platform,
    private readonly hub: SseHub,
    private readonly caches: BuyerCaches,
    private readonly metrics: AppMetrics,
    private readonly stats: StatsSampler,
    private readonly log: Logger,
  ) {}

  /** A buyer's view of their place in the queue, or null when they are not in the room. */
  async queueView(runtime: RuntimeSale, userId: string): Promise<QueueView | null> {
    const status = await runtime.waitingRoom.status({ userId });
    if (!status) {
      this.#tickets.delete(`${runtime.sale.id}:${userId}`);
      return null;
    }
    // the serving counter says where the normal line stands, not a lane: a priority or pre-queued
    // buyer is looked up on every broadcast instead (their number says nothing about who is ahead)
    if (status.lane) this.#tickets.delete(`${runtime.sale.id}:${userId}`);
    else this.#tickets.set(`${runtime.sale.id}:${userId}`, status.ticket);
    const { opensAt } = runtime.sale;
    // the SDK's answer for non-browser clients: its state (PRE_QUEUE before the opening) and when to ask again
    const answer = waitingRoomAnswer({ kind: 'status', status }, { now: this.platform.now(), opensAt }).body;
    const view: QueueView = {
      state: answer.state === 'PRE_QUEUE' || answer.state === 'ADMITTED' ? answer.state : 'WAITING',
      ticket: status.ticket,
      ahead: status.ahead,
      servedUpTo: status.servedUpTo,
      etaSeconds: status.estimate.etaMs === null ? null : Math.ceil(status.estimate.etaMs / 1000),
      saleState: runtime.state,
      refreshMs: answer.refreshAfterMs,
    };
    if (status.lane) view.lane = status.lane;
    if (answer.state === 'PRE_QUEUE') view.opensAt = opensAt;
    if (status.admissionToken) view.admissionToken = status.admissionToken;
    if (status.admittedUntil !== undefined) view.admittedUntil = status.admittedUntil;
    return view;
  }

  start(): void {
    this.#unsubscribe.push(this.platform.runtime.onResult((result) => void this.#onResult(result)));
    this.#timers.push(this.#every(500, () => this.#pushSeats()));
    this.#timers.push(this.#every(1_000, async () => this.watchSales()));
    this.watchSales();
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe.length = 0;
    this.#subscribed = new WeakSet<RuntimeSale>();
  }

  /** Subscribes to the waiting-room broadcasts of sales created since the last look. */
  watchSales(): void {
    for (const runtime of this.platform.runtime.sales()) {
      if (this.#subscribed.has(runtime)) continue;
      this.#subscribed.add(runtime);
      this.#unsubscribe.push(
        runtime.waitingRoom.subscribe((update) => void this.#onQueueBroadcast(runtime, update)),
      );
    }
  }

  async #onQueueBroadcast(runtime: RuntimeSale, update: QueueBroadcast): Promise<void> {
    if (this.platform.runtime.sale(runtime.sale.id) !== runtime) return; // a replaced sale
    const prefix = `queue:${runtime.sale.id}:`;
    const channels = this.hub.channels(prefix);
    if (channels.length === 0) return;
    // under `random` the counter counts admissions, not tickets: anyone waiting may have been
    // drawn, so each watcher is looked up (a store read each) instead of derived from the counter
    const drawn = (await runtime.queue.config().catch(() => null))?.method === 'random';
    for (const channel of channels) {
      const userId = channel.slice(prefix.length);
      const ticket = this.#tickets.get(`${runtime.sale.id}:${userId}`);
      try {
        if (!drawn && ticket !== undefined && ticket > update.servedUpTo) {
          const ahead = Math.max(0, ticket - update.servedUpTo - 1);
          const { etaMs } = runtime.waitingRoom.estimate(ahead);
          this.hub.broadcast(channel, 'queue', {
            state: 'WAITING',
            ticket,
            ahead,
            servedUpTo: update.servedUpTo,
            etaSeconds: etaMs === null ? null : Math.ceil(etaMs / 1000),
            saleState: runtime.state,
          } satisfies QueueView);
          continue;
        }
        // the serving counter reached this ticket: look the user up (admitted, or evicted)
        const view = await this.queueView(runtime, userId);
        if (view) this.hub.broadcast(channel, 'queue', view);
        else this.hub.broadcast(channel, 'gone', { reason: 'NOT_IN_QUEUE' });
      } catch (error) {
        this.log.warn({ err: error, channel }, 'queue update failed');
      }
    }
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
