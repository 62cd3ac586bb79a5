import type { QueueBroadcast, RuntimeSale, SaleDefinition, SeatRushRuntime } from '@seatrush/core';
import { frame, type Stream, type StreamHub } from './sse';
import { queueView, reservationView } from './views';
import { type WaitingListView, waitingListChannel, waitingListView } from './waiting-list-view';

/** A seat map snapshot, serialized once: the JSON answer and the SSE frame share it. */
export interface SeatsSnapshot {
  json: Buffer;
  frame: Buffer;
  at: number;
  /** The states and counts without the time: what tells a change. */
  signature: string;
}

const SEATS_TTL_MS = 250;

/**
 * Pushes live changes to the SSE streams, each serialized once per change and written as the same
 * bytes to every watcher:
 * - queue: each waiting-room broadcast becomes one `position` frame (the serving counter: a
 *   client's place is its ticket minus it); only watchers whose ticket was reached are looked up,
 *   to hand them their admission token;
 * - seats: a sale with watchers is re-read every 500 ms (through a 250 ms cache) and sent when it
 *   changed;
 * - reservations: results are pushed on the sale's hooks, and open streams are re-checked every
 *   2 s for what happened on other instances (an expiry, a confirmation);
 * - stats: the operator's streams get each sale's health every second.
 */
export class LiveUpdates {
  readonly hub: StreamHub;
  readonly #runtime: SeatRushRuntime;
  readonly #seatMap: SeatMapReader;
  readonly #now: () => number;
  readonly #seats = new Map<string, SeatsSnapshot>();
  readonly #loading = new Map<string, Promise<SeatsSnapshot>>();
  /** The signature of the seat map last pushed per sale. */
  readonly #sent = new Map<string, string>();
  readonly #info = new WeakMap<SaleDefinition, unknown>();
  readonly #watched = new WeakSet<RuntimeSale>();
  readonly #hooked = new WeakSet<RuntimeSale>();
  readonly #offersHeard = new WeakSet<RuntimeSale>();
  /** The signature of the waiting-list view last sent per channel (a change is sent, not a repeat). */
  readonly #waitingListSent = new Map<string, string>();
  readonly #unsubscribe: Array<() => void> = [];
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(runtime: SeatRushRuntime, hub: StreamHub, seatMap?: SeatMapReader) {
    this.#runtime = runtime;
    this.#seatMap = seatMap ?? ((saleId) => storeSeatMap(runtime, saleId));
    this.#now = () => runtime.clock.now();
    this.hub = hub;
    this.#timers.push(
      every(500, () => this.#pushSeats()),
      every(2_000, () => this.#recheckReservations()),
      every(1_000, () => this.#pushStats()),
      every(2_000, () => this.#recheckWaitingLists()),
    );
  }

  /** A sale's static description, built once per definition. */
  saleInfo<T>(sale: SaleDefinition, build: (sale: SaleDefinition) => T): T {
    let info = this.#info.get(sale) as T | undefined;
    if (info === undefined) {
      info = build(sale);
      this.#info.set(sale, info);
    }
    return info;
  }

  /** The seat map (only the seats not available, plus the counts), cached for 250 ms. */
  async seats(saleId: string): Promise<SeatsSnapshot> {
    const cached = this.#seats.get(saleId);
    if (cached && this.#now() - cached.at < SEATS_TTL_MS) return cached;
    const pending = this.#loading.get(saleId);
    if (pending) return pending;
    const loading = this.#loadSeats(saleId).finally(() => this.#loading.delete(saleId));
    this.#loading.set(saleId, loading);
    return loading;
  }

  /** A write changed the seat map: the next read loads it again. */
  seatsChanged(saleId: string): void {
    this.#seats.delete(saleId);
  }

  /** Registers a queue watcher (its ticket; 0 for a lane, looked up on every broadcast). */
  watchQueue(sale: RuntimeSale, stream: Stream, userId: string, ticket: number): void {
    stream.userId = userId;
    stream.ticket = Number.isFinite(ticket) ? ticket : 0;
    this.watchReservations(sale);
    if (this.#watched.has(sale)) return;
    this.#watched.add(sale);
    this.#unsubscribe.push(sale.waitingRoom.subscribe((update) => void this.#onQueue(sale, update)));
  }

  /** Pushes the sale's reservation results (its hooks) to their streams from now on. */
  watchReservations(sale: RuntimeSale): void {
    if (this.#hooked.has(sale)) return;
    this.#hooked.add(sale);
    for (const hook of ['confirmed', 'failed', 'expired', 'released'] as const) {
      this.#unsubscribe.push(sale.hooks.on(hook, (p) => this.reservationChanged(p.saleId, p.reservationId)));
    }
  }

  /**
   * A waiting-list stream opened with `view`: the sale's offers are heard from now on (the
   * instance that makes one pushes it at once), and every stream is re-checked every 2 s for what
   * happened elsewhere (another instance's offer, a lapse, a move up the list).
   */
  watchWaitingList(sale: RuntimeSale, channel: string, view: WaitingListView): void {
    this.#waitingListSent.set(channel, signatureOf(view));
    if (this.#offersHeard.has(sale)) return;
    this.#offersHeard.add(sale);
    this.#unsubscribe.push(
      sale.hooks.on('offered', (offer) => {
        if (this.#runtime.sale(sale.sale.id) !== sale) return; // a replaced sale
        this.waitingListChanged(sale.sale.id, offer.userId, true);
      }),
    );
  }

  /** Pushes a buyer's waiting-list view to their streams (when it changed, or always with `force`). */
  waitingListChanged(saleId: string, userId: string, force = false): void {
    void this.#pushWaitingList(saleId, userId, force).catch(() => undefined); // the 2 s re-check retries
  }

  /** Pushes a reservation's view to its streams; final views end them. */
  reservationChanged(saleId: string, reservationId: string): void {
    void this.#pushReservation(saleId, reservationId).catch(() => undefined); // the 2 s re-check retries
  }

  /** Stops the timers and subscriptions (the hub's streams are ended by the hub). */
  close(): void {
    for (const timer of this.#timers) clearInterval(timer);
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
  }

  async #loadSeats(saleId: string): Promise<SeatsSnapshot> {
    const { states, counts } = await this.#seatMap(saleId);
    const now = this.#now();
    const data = { states, counts, now };
    const text = JSON.stringify(data);
    const signature = JSON.stringify([data.states, data.counts]);
    const snapshot = {
      json: Buffer.from(text),
      frame: Buffer.from(`event: seats\ndata: ${text}\n\n`),
      at: now,
      signature,
    };
    this.#seats.set(saleId, snapshot);
    return snapshot;
  }

  async #onQueue(sale: RuntimeSale, update: QueueBroadcast): Promise<void> {
    if (this.#runtime.sale(sale.sale.id) !== sale) return; // a replaced sale
    const channel = `queue:${sale.sale.id}`;
    const watchers = this.hub.streams(channel);
    if (watchers.size === 0) return;
    this.hub.broadcast(
      channel,
      frame('position', {
        servedUpTo: update.servedUpTo,
        waiting: update.waiting,
        active: update.active,
        admittedPerSecond: update.admittedPerSecond,
        saleState: sale.state,
      }),
    );
    // only watchers whose turn may have come are looked up (admitted, or evicted): one store read
    // each; under `random` the counter counts admissions, not tickets, so anyone waiting may have
    // been drawn: every watcher is looked up
    const drawn = (await sale.queue.config().catch(() => null))?.method === 'random';
    for (const stream of [...watchers]) {
      if (stream.ticket < 0 || (!drawn && stream.ticket > update.servedUpTo)) continue;
      const status = await sale.queue.status({ userId: stream.userId }).catch(() => undefined);
      if (status === undefined) continue;
      if (status === null) {
        stream.response.write(frame('gone', { reason: 'NOT_IN_QUEUE' }));
        this.hub.end(stream);
        continue;
      }
      stream.response.write(frame('queue', queueView(sale, status, this.#now())));
      if (status.state === 'ADMITTED') stream.ticket = -1;
      else if (!status.lane) stream.ticket = status.ticket;
    }
  }

  async #pushSeats(): Promise<void> {
    for (const channel of this.hub.channels('seats:')) {
      const saleId = channel.slice('seats:'.length);
      const snapshot = await this.seats(saleId);
      if (this.#sent.get(saleId) === snapshot.signature) continue;
      this.#sent.set(saleId, snapshot.signature);
      this.hub.broadcast(channel, snapshot.frame);
    }
  }

  async #pushReservation(saleId: string, reservationId: string): Promise<void> {
    const channel = `reservation:${saleId}:${reservationId}`;
    const streams = this.hub.streams(channel);
    if (streams.size === 0) return;
    const sale = this.#runtime.sale(saleId);
    const hold = sale ? await this.#runtime.ports.inventory.getHold(saleId, reservationId) : null;
    if (!sale || !hold) return;
    const view = reservationView(hold, await sale.reservation(reservationId));
    this.hub.broadcast(channel, frame('reservation', view));
    if (view.status !== 'HELD') for (const stream of [...streams]) this.hub.end(stream);
  }

  async #recheckReservations(): Promise<void> {
    for (const channel of this.hub.channels('reservation:')) {
      const [, saleId, reservationId] = channel.split(':');
      if (saleId && reservationId) await this.#pushReservation(saleId, reservationId).catch(() => undefined);
    }
  }

  async #pushWaitingList(saleId: string, userId: string, force: boolean): Promise<void> {
    const channel = waitingListChannel(saleId, userId);
    if (this.hub.streams(channel).size === 0) {
      this.#waitingListSent.delete(channel);
      return;
    }
    const sale = this.#runtime.sale(saleId);
    const view = sale ? await waitingListView(this.#runtime, sale, userId, this.#now()) : null;
    if (!view) return;
    const signature = signatureOf(view);
    if (!force && this.#waitingListSent.get(channel) === signature) return;
    this.#waitingListSent.set(channel, signature);
    this.hub.broadcast(channel, frame('waiting-list', view));
  }

  async #recheckWaitingLists(): Promise<void> {
    for (const channel of this.hub.channels('waiting-list:')) {
      const [, saleId, userId] = channel.split(':');
      if (saleId && userId) await this.#pushWaitingList(saleId, userId, false).catch(() => undefined);
    }
    for (const channel of this.#waitingListSent.keys()) {
      if (this.hub.streams(channel).size === 0) this.#waitingListSent.delete(channel);
    }
  }

  async #pushStats(): Promise<void> {
    for (const channel of this.hub.channels('stats:')) {
      const sale = this.#runtime.sale(channel.slice('stats:'.length));
      if (sale) this.hub.broadcast(channel, frame('stats', await sale.health()));
    }
  }
}

/** A waiting-list view without its clock: what tells a change. */
function signatureOf(view: WaitingListView): string {
  const { now: _now, ...rest } = view;
  return JSON.stringify(rest);
}

/** A seat map: the seats that are not available (HELD or CONFIRMED), and the counts. */
export interface SeatMap {
  states: Record<string, string>;
  counts: { initialStock: number; available: number; held: number; confirmed: number };
}

/** Reads a sale's seat map (see {@link SeatRushHttpOptions.seatMap}). */
export type SeatMapReader = (saleId: string) => Promise<SeatMap>;

/** The seat map from the hot store (the default). */
async function storeSeatMap(runtime: SeatRushRuntime, saleId: string): Promise<SeatMap> {
  const { inventory } = runtime.ports;
  const [all, counts] = await Promise.all([inventory.seatStates(saleId), inventory.counts(saleId)]);
  const states: Record<string, string> = {};
  for (const id in all) if (all[id] !== 'AVAILABLE') states[id] = all[id] as string;
  const { initialStock, available, held, confirmed } = counts;
  return { states, counts: { initialStock, available, held, confirmed } };
}

/** Runs `work` every `ms`, never two at once; a failure waits for the next round. */
function every(ms: number, work: () => Promise<void>): NodeJS.Timeout {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    work()
      .catch(() => undefined) // the next round tries again
      .finally(() => {
        running = false;
      });
  }, ms);
  timer.unref();
  return timer;
}
