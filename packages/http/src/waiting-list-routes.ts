import type { JoinGuard, RuntimeSale, SeatRushRuntime } from '@seatrush/core';
import { z } from 'zod';
import { ChallengeBody } from './buyer-routes';
import { HttpError } from './errors';
import { buyerOf, type Exchange, json, noContent, type RouteSpec, saleOf } from './exchange-context';
import { parse } from './input';
import type { LiveUpdates } from './live';
import { type Route, route } from './router';
import { frame } from './sse';
import { reservationView } from './views';
import { waitingListChannel, waitingListView } from './waiting-list-view';

const JoinBody = z.strictObject({
  size: z.number().int().positive().max(100),
  /** Seated sales: `split` (default) accepts close seats when no row has them side by side. */
  fallback: z.enum(['split', 'refuse']).optional(),
  /** The answer to the bot guard's challenge, as with a queue join (or a pass from one solved lately). */
  challenge: ChallengeBody.optional(),
});

/** What the waiting-list routes need. */
export interface WaitingListRouteDeps {
  runtime: SeatRushRuntime;
  live: LiveUpdates;
  bodyLimit: number;
  /** The bot guard the sale's queue runs (`runtime.joinGuard`, or the host's own); none: no guard. */
  joinGuard: JoinGuard | undefined;
  joinContext(exchange: Exchange): NonNullable<Parameters<JoinGuard>[0]['context']>;
}

const CLAIM_REFUSALS: Readonly<Record<string, string>> = {
  NOT_OFFERED: 'there is no such offer for you',
  ALREADY_CLAIMED: 'this offer was claimed already',
  OFFER_EXPIRED: 'the offer was not claimed in time and went to the next party',
  SALE_NOT_WARM: 'the sale is being restored: try again in a few seconds',
};

/**
 * The waiting list after sell-out (the buyer is always `identify`'s): join with a party size,
 * see the place (or `null` on `/place`), follow it over SSE, leave (or decline an outstanding
 * offer, whose units go to the next party at once), and claim an offer, which answers the
 * reservation the offer became. Joins spend the join budget and run the queue's bot guard (the
 * runtime's `joinGuard`), with a challenge answer in the body as a queue join takes it.
 */
export function waitingListRoutes(deps: WaitingListRouteDeps): Array<Route<RouteSpec>> {
  const { runtime, live } = deps;
  const listRoute = (method: string, path: string, spec: RouteSpec) =>
    route(method, `/sales/:saleId/waiting-list${path}`, spec);
  const listOf = (x: Exchange) => {
    const sale = saleOf(runtime, x);
    if (!sale.waitingList) throw new HttpError('NOT_FOUND', 'this sale has no waiting list');
    return { sale, list: sale.waitingList };
  };
  const ownView = async (x: Exchange, sale: RuntimeSale) => {
    const view = await waitingListView(runtime, sale, buyerOf(x).id, x.now);
    if (!view) throw new HttpError('NOT_ON_WAITING_LIST', 'you are not on the waiting list');
    return view;
  };
  const noStore = { 'Cache-Control': 'no-store' };

  return [
    listRoute('POST', '', {
      access: 'buyer',
      joins: true,
      bodyLimit: deps.bodyLimit,
      handle: async (x) => {
        const { sale, list } = listOf(x);
        const buyer = buyerOf(x);
        const body = parse('waiting list', JoinBody, x.body);
        if (body.fallback && sale.sale.inventory.kind !== 'assigned') {
          throw new HttpError('WRONG_SELECTION', 'fallback is for seated sales only');
        }
        // a paused sale keeps its list working (the host may pause public sale after the sell-out)
        if (sale.state !== 'OPEN' && sale.state !== 'PAUSED') {
          throw new HttpError('SALE_NOT_OPEN', `the sale is ${sale.state.toLowerCase()}`);
        }
        // the list is no way around the queue's bot guard: the same guard, the same proof of work
        if (deps.joinGuard) {
          const verdict = await deps.joinGuard({
            userId: buyer.id,
            context: deps.joinContext(x),
            ...(body.challenge ? { challenge: body.challenge } : {}),
            saleId: sale.sale.id,
            now: x.now,
          });
          if (!verdict.allowed) {
            const { allowed: _, code, message, ...details } = verdict;
            throw new HttpError(code, message ?? code, details);
          }
        }
        const before = await waitingListView(runtime, sale, buyer.id, x.now);
        if (before && (before.state === 'WAITING' || before.state === 'OFFERED')) {
          json(x, 200, { waitingList: before, alreadyJoined: true });
          return;
        }
        const { available } = await runtime.ports.inventory.counts(sale.sale.id);
        if (available >= body.size) {
          throw new HttpError('NOT_SOLD_OUT', `${available} left: reserve them instead of waiting`, {
            available,
          });
        }
        const outcome = await list.join({
          userId: buyer.id,
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
        const view = await ownView(x, sale);
        json(x, outcome.created ? 201 : 200, { waitingList: view, alreadyJoined: !outcome.created });
      },
    }),
    listRoute('GET', '', {
      access: 'buyer',
      handle: async (x) => {
        const { sale } = listOf(x);
        json(x, 200, { waitingList: await ownView(x, sale) }, noStore);
      },
    }),
    // the buyer's entry if any: what a page asks when it opens, so not being on the list is an
    // answer (`waitingList: null`), not a 404 a browser logs as an error
    listRoute('GET', '/place', {
      access: 'buyer',
      handle: async (x) => {
        const sale = saleOf(runtime, x);
        json(x, 200, { waitingList: await waitingListView(runtime, sale, buyerOf(x).id, x.now) }, noStore);
      },
    }),
    listRoute('GET', '/stream', {
      access: 'buyer',
      handle: async (x) => {
        const { sale } = listOf(x);
        const buyer = buyerOf(x);
        live.hub.admit(x.address, buyer.id);
        const view = await ownView(x, sale);
        const channel = waitingListChannel(sale.sale.id, buyer.id);
        const stream = live.hub.open(x.response, channel, x.address, buyer.id);
        live.watchWaitingList(sale, channel, view);
        stream.response.write(frame('waiting-list', view));
      },
    }),
    listRoute('DELETE', '', {
      access: 'buyer',
      handle: async (x) => {
        const { sale, list } = listOf(x);
        const userId = buyerOf(x).id;
        const view = await ownView(x, sale);
        if (view.state !== 'WAITING' || !(await list.leave(userId))) {
          // an outstanding offer (perhaps made since the read) is declined: releasing its units
          // fires `released`, and the list's next round offers them to the next party at once
          const offered = view.state === 'WAITING' ? await ownView(x, sale) : view;
          if (offered.state !== 'OFFERED' || !offered.offer) {
            throw new HttpError('NOT_ON_WAITING_LIST', 'you are not waiting and hold no offer');
          }
          await sale.reservations.releaseHold({ userId, reservationId: offered.offer.offerId });
          live.seatsChanged(sale.sale.id);
        }
        live.waitingListChanged(sale.sale.id, userId);
        noContent(x);
      },
    }),
    listRoute('POST', '/offers/:offerId/claim', {
      access: 'buyer',
      handle: async (x) => {
        const { sale, list } = listOf(x);
        const userId = buyerOf(x).id;
        const offerId = x.params.offerId as string;
        if (sale.state === 'CLOSED') throw new HttpError('SALE_NOT_OPEN', 'the sale is closed');
        const result = await list.claim({ userId, offerId });
        if (!result.ok) {
          // the party's own repeat (a double click) learns which reservation its claim became
          const own = result.code === 'ALREADY_CLAIMED' ? await list.position(userId) : null;
          throw new HttpError(
            result.code,
            CLAIM_REFUSALS[result.code] ?? result.code,
            own?.entry.offerId === offerId && own.entry.state === 'CLAIMED' ? { reservationId: offerId } : {},
          );
        }
        live.seatsChanged(sale.sale.id);
        live.waitingListChanged(sale.sale.id, userId);
        // the claim is answered as made (a hold, in the outbox): never a 5xx for a read after it
        json(x, 201, { reservation: reservationView(result.hold, null, result.amountCents) });
      },
    }),
  ];
}
