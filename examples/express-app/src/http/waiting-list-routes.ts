import type { RuntimeSale } from '@seatrush/core';
import { z } from '@seatrush/core/ports';
import { type Request, type Response, Router } from 'express';
import type { Logger } from 'pino';
import type { Platform } from '../platform/platform';
import type { BuyerCaches } from './buyer-routes';
import { HttpError } from './errors';
import { reservationView } from './reservation-view';
import { sessionOf } from './session';
import type { SseHub } from './sse';
import { IdParam, parse, saleOf } from './validate';

/** A buyer's place on a sale's waiting list, as the client sees it. */
export interface WaitingListView {
  saleId: string;
  /**
   * WAITING: in the list; OFFERED: units are held for the party until `offer.deadline` (claim
   * them); CLAIMED: the offer is the reservation `reservationId`; LAPSED: the offer was not
   * claimed in time, or was declined, and went to the next party.
   */
  state: 'WAITING' | 'OFFERED' | 'CLAIMED' | 'LAPSED';
  size: number;
  fallback: 'split' | 'refuse';
  joinedAt: number;
  /** Parties ahead while WAITING; null otherwise. */
  ahead: number | null;
  /** The outstanding offer while OFFERED. */
  offer: { offerId: string; quantity: number; seatIds: string[]; deadline: number } | null;
  /** The reservation the claimed offer became (follow it with the reservation view and stream). */
  reservationId: string | null;
  /** The server's clock, for countdowns that agree with it. */
  now: number;
}

const JoinBody = z
  .object({
    size: z.number().int().positive().max(100),
    /** Seated sales: `split` (default) accepts close seats when no row has them side by side. */
    fallback: z.enum(['split', 'refuse']).optional(),
  })
  .strict();

/** The SSE channel of one buyer's waiting-list place. */
export function waitingListChannel(saleId: string, userId: string): string {
  return `waiting-list:${saleId}:${userId}`;
}

/** The buyer's waiting-list view, or null when the buyer is not (and never was) on the list. */
export async function loadWaitingListView(
  platform: Platform,
  runtime: RuntimeSale,
  userId: string,
): Promise<WaitingListView | null> {
  const place = await runtime.waitingList!.position(userId);
  if (!place) return null;
  const { entry, ahead } = place;
  const now = platform.now();
  let state = entry.state;
  if (state === 'OFFERED') {
    // the store lapses an offer at its next round; the buyer is told as soon as it is over
    const hold = entry.offerId
      ? await platform.runtime.ports.inventory.getHold(runtime.sale.id, entry.offerId)
      : null;
    if ((entry.deadline ?? 0) <= now || hold?.status !== 'HELD') state = 'LAPSED';
  }
  return {
    saleId: runtime.sale.id,
    state,
    size: entry.size,
    fallback: entry.fallback,
    joinedAt: entry.joinedAt,
    ahead: state === 'WAITING' ? ahead : null,
    offer:
      state === 'OFFERED' && entry.offerId && entry.deadline !== undefined
        ? {
            offerId: entry.offerId,
            quantity: entry.size,
            seatIds: entry.seatIds ?? [],
            deadline: entry.deadline,
          }
        : null,
    reservationId: state === 'CLAIMED' ? (entry.offerId ?? null) : null,
    now,
  };
}

/**
 * Pushes waiting-list changes to the buyers' streams: an offer at once (the `offered` hook of the
 * instance that made it), and every open stream re-checked every two seconds for what happened
 * elsewhere (another instance's offer, a lapse, a move up the list); a view is sent when it changed.
 */
export class WaitingListLive {
  readonly #unsubscribe: Array<() => void> = [];
  readonly #last = new Map<string, string>();
  #subscribed = new WeakSet<RuntimeSale>();
  #timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly platform: Platform,
    private readonly hub: SseHub,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.#watchSales();
    this.#timers.push(this.#every(1_000, async () => this.#watchSales()));
    this.#timers.push(this.#every(2_000, () => this.#recheck()));
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    this.#subscribed = new WeakSet<RuntimeSale>();
  }

  /** Sends the buyer's current view to their streams (when it changed since the last one). */
  async push(runtime: RuntimeSale, userId: string, force = false): Promise<void> {
    const channel = waitingListChannel(runtime.sale.id, userId);
    if (this.hub.clients(channel).length === 0) {
      this.#last.delete(channel);
      return;
    }
    try {
      const view = await loadWaitingListView(this.platform, runtime, userId);
      if (!view) return;
      const { now: _now, ...rest } = view;
      const signature = JSON.stringify(rest);
      if (!force && this.#last.get(channel) === signature) return;
      this.#last.set(channel, signature);
      this.hub.broadcast(channel, 'waiting-list', view);
    } catch (error) {
      this.log.warn({ err: error, channel }, 'waiting-list update failed');
    }
  }

  /**
   * A stream opened: its sale's offers are heard from now on (not only from the next look at the
   * sales), and what it was sent first is remembered, so the re-check only sends changes.
   */
  opened(runtime: RuntimeSale, channel: string, view: WaitingListView): void {
    this.#watch(runtime);
    const { now: _now, ...rest } = view;
    this.#last.set(channel, JSON.stringify(rest));
  }

  #watchSales(): void {
    for (const runtime of this.platform.runtime.sales()) this.#watch(runtime);
  }

  #watch(runtime: RuntimeSale): void {
    if (this.#subscribed.has(runtime)) return;
    this.#subscribed.add(runtime);
    this.#unsubscribe.push(
      runtime.hooks.on('offered', (offer) => {
        if (this.platform.runtime.sale(runtime.sale.id) !== runtime) return; // a replaced sale
        void this.push(runtime, offer.userId, true);
      }),
    );
  }

  async #recheck(): Promise<void> {
    for (const channel of this.hub.channels('waiting-list:')) {
      const [, saleId, userId] = channel.split(':');
      const runtime = saleId ? this.platform.runtime.sale(saleId) : undefined;
      if (runtime && userId) await this.push(runtime, userId);
    }
    for (const channel of this.#last.keys()) {
      if (this.hub.clients(channel).length === 0) this.#last.delete(channel);
    }
  }

  #every(ms: number, work: () => Promise<void>): NodeJS.Timeout {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      work()
        .catch((error: unknown) => this.log.warn({ err: error }, 'waiting-list live update failed'))
        .finally(() => {
          running = false;
        });
    }, ms);
    timer.unref();
    return timer;
  }
}

/**
 * The waiting list after sell-out, for signed-in buyers (the user is the session's, never the
 * body's): join with a party size, see the place, leave (or decline an offer), follow it over SSE,
 * and claim an offer, which answers the reservation the offer became.
 */
export function waitingListRoutes(deps: {
  platform: Platform;
  hub: SseHub;
  caches: BuyerCaches;
  live: WaitingListLive;
}): Router {
  const { platform, hub, caches, live } = deps;
  const router = Router();

  const runtimeOf = (req: Request): RuntimeSale => saleOf(platform, req);

  const ownView = async (res: Response, runtime: RuntimeSale) => {
    const view = await loadWaitingListView(platform, runtime, sessionOf(res).userId);
    if (!view) throw new HttpError('NOT_ON_WAITING_LIST', 'you are not on the waiting list');
    return view;
  };

  router.post('/sales/:saleId/waiting-list', async (req, res) => {
    const { userId } = sessionOf(res);
    const runtime = runtimeOf(req);
    const body = parse('waiting list', JoinBody, req.body ?? {});
    if (body.fallback && runtime.sale.inventory.kind !== 'assigned') {
      throw new HttpError('WRONG_SELECTION', 'fallback is for seated sales only');
    }
    const state = runtime.state;
    // a paused sale keeps its list working (the host may pause public sale after the sell-out)
    if (state !== 'OPEN' && state !== 'PAUSED') {
      throw new HttpError('SALE_NOT_OPEN', `the sale is ${state.toLowerCase()}`);
    }
    const before = await loadWaitingListView(platform, runtime, userId);
    if (before && (before.state === 'WAITING' || before.state === 'OFFERED')) {
      res.status(200).json({ waitingList: before, alreadyJoined: true });
      return;
    }
    const { available } = await platform.runtime.ports.inventory.counts(runtime.sale.id);
    if (available >= body.size) {
      throw new HttpError('NOT_SOLD_OUT', `${available} left: reserve them instead of waiting`, {
        available,
      });
    }
    const outcome = await runtime.waitingList!.join({
      userId,
      size: body.size,
      ...(body.fallback ? { fallback: body.fallback } : {}),
    });
    if (!outcome.ok) {
      throw new HttpError(
        outcome.code,
        outcome.code === 'LIMIT_EXCEEDED'
          ? 'that party would pass the tickets-per-user limit'
          : 'the sale is not loaded yet',
      );
    }
    const view = await ownView(res, runtime);
    res.status(outcome.created ? 201 : 200).json({ waitingList: view, alreadyJoined: !outcome.created });
  });

  router.get('/sales/:saleId/waiting-list', async (req, res) => {
    const runtime = runtimeOf(req);
    const view = await ownView(res, runtime);
    res.set('Cache-Control', 'no-store');
    res.json({ waitingList: view });
  });

  // the buyer's entry if any: what the seat map asks when it opens, so not being on the list is an
  // answer (`waitingList: null`), not a 404 the browser would log as an error
  router.get('/sales/:saleId/waiting-list/place', async (req, res) => {
    const runtime = runtimeOf(req);
    res.set('Cache-Control', 'no-store');
    res.json({ waitingList: await loadWaitingListView(platform, runtime, sessionOf(res).userId) });
  });

  router.get('/sales/:saleId/waiting-list/stream', async (req, res) => {
    const { userId } = sessionOf(res);
    const runtime = runtimeOf(req);
    if (!hub.accepting) throw new HttpError('SHUTTING_DOWN', 'the server is shutting down');
    const view = await ownView(res, runtime);
    const channel = waitingListChannel(runtime.sale.id, userId);
    const client = hub.open(req, res, channel);
    live.opened(runtime, channel, view);
    client.send('waiting-list', view);
  });

  router.delete('/sales/:saleId/waiting-list', async (req, res) => {
    const { userId } = sessionOf(res);
    const runtime = runtimeOf(req);
    const view = await ownView(res, runtime);
    if (view.state !== 'WAITING' || !(await runtime.waitingList!.leave(userId))) {
      // an outstanding offer (perhaps made since the read) is declined: releasing its units
      // fires `released`, and the next round offers them to the next party at once
      const offered = view.state === 'WAITING' ? await ownView(res, runtime) : view;
      if (offered.state !== 'OFFERED' || !offered.offer) {
        throw new HttpError('NOT_ON_WAITING_LIST', 'you are not waiting and hold no offer');
      }
      await runtime.reservations.releaseHold({ userId, reservationId: offered.offer.offerId });
      caches.seats.invalidate(runtime.sale.id);
    }
    await live.push(runtime, userId);
    res.status(204).end();
  });

  router.post('/sales/:saleId/waiting-list/offers/:offerId/claim', async (req, res) => {
    const { userId } = sessionOf(res);
    const runtime = runtimeOf(req);
    const offerId = parse('offer id', IdParam, req.params.offerId);
    if (runtime.state === 'CLOSED') throw new HttpError('SALE_NOT_OPEN', 'the sale is closed');
    const result = await runtime.waitingList!.claim({ userId, offerId });
    if (!result.ok) {
      const messages: Record<typeof result.code, string> = {
        NOT_OFFERED: 'there is no such offer for you',
        ALREADY_CLAIMED: 'this offer was claimed already',
        OFFER_EXPIRED: 'the offer was not claimed in time and went to the next party',
        SALE_NOT_WARM: 'the sale is being restored: try again in a few seconds',
      };
      // the party's own repeat (a double click) learns which reservation its claim became
      const own = result.code === 'ALREADY_CLAIMED' ? await runtime.waitingList!.position(userId) : null;
      throw new HttpError(
        result.code,
        messages[result.code],
        own?.entry.offerId === offerId && own.entry.state === 'CLAIMED' ? { reservationId: offerId } : {},
      );
    }
    caches.seats.invalidate(runtime.sale.id);
    // the claim is answered as made (a hold, in the outbox): never a 5xx for a failing read after it
    const reservation = { ...reservationView(result.hold, null), amountCents: result.amountCents };
    await live.push(runtime, userId);
    res.status(201).json({ reservation });
  });

  return router;
}
