import type { AcceptedHold, ChallengeProvider, RuntimeSale, SeatRushRuntime } from '@seatrush/core';
import { headersFingerprintOf, subjectOf } from '@seatrush/core/services';
import { z } from 'zod';
import { header } from './body';
import { HttpError } from './errors';
import { buyerOf, type Exchange, json, noContent, type RouteSpec, saleOf } from './exchange-context';
import { Id, idempotencyKeyOf, parse } from './input';
import type { LiveUpdates } from './live';
import { type Route, route } from './router';
import { scopedIdempotencyKey } from './scoped-key';
import { frame } from './sse';
import { queueView, reservationView, saleInfo } from './views';

/** The answer to the bot guard's challenge (proof of work), sent with a join of the queue or the waiting list. */
export const ChallengeBody = z.strictObject({
  challengeId: z.string().min(1).max(128),
  answer: z.string().min(1).max(256),
});

const JoinBody = z.strictObject({
  challenge: ChallengeBody.optional(),
  /** A signed invitation to the bypass or priority lane. */
  invitation: z.string().min(1).max(2_048).optional(),
  /**
   * The admission token the buyer holds from an earlier admission: a room that lost its state (a
   * wiped store) admits them again while it is valid, instead of queueing them at the back.
   */
  admissionToken: z.string().min(1).max(2_048).optional(),
  /**
   * The queue pass of the buyer's latest waiting answer (`queue.queuePass`): a room that lost its
   * state puts a waiting buyer back at their ticket, instead of at the back.
   */
  queuePass: z.string().min(1).max(2_048).optional(),
});
const ReserveBody = z.union([
  z.strictObject({ seatIds: z.array(Id).min(1).max(100) }),
  z.strictObject({ quantity: z.number().int().positive().max(100) }),
]);
const GroupBody = z.strictObject({
  size: z.number().int().positive().max(100),
  section: Id.optional(),
  fallback: z.enum(['split', 'refuse']).optional(),
});
const DEVICE = /^[A-Za-z0-9_-]{8,128}$/;

const MESSAGES: Readonly<Record<string, string>> = {
  NOT_ADMITTED: 'you are not admitted (join the queue and wait for your turn)',
  SOLD_OUT: 'sold out',
  SEAT_TAKEN: 'a seat you chose is taken',
  NO_ADJACENT_SEATS: 'no row has that many seats side by side',
  UNKNOWN_SECTION: 'no such section in the seat map',
  UNKNOWN_SEAT: 'a seat you chose is not in the seat map',
  WRONG_SELECTION: 'choose seats for a seated sale, a quantity for general admission',
  LIMIT_EXCEEDED: 'that would pass the tickets-per-user limit',
  IDEMPOTENCY_KEY_REUSED: 'this Idempotency-Key was used for a different request',
  SALE_NOT_WARM: 'the sale is not loaded yet',
  SALE_NOT_OPEN: 'the sale is not open',
  PIPELINE_STALLED: 'orders are not being processed right now; nothing was held, try again shortly',
  BUSY: 'the sale is busy; try again',
};

/** What the buyer routes need. */
export interface BuyerRouteDeps {
  runtime: SeatRushRuntime;
  live: LiveUpdates;
  bodyLimit: number;
  challenges: ChallengeProvider | undefined;
  /** The status of join and status answers per waiting-room state (unset: 201 for a new join, else 200). */
  queueStatusCodes: Readonly<Partial<Record<string, number>>>;
}

/**
 * The buyer API: sales and seat maps, the waiting room, reservations (single and group), the
 * waiting list, and their SSE streams. The buyer is always the host's `identify`, never a body.
 */
export function buyerRoutes(deps: BuyerRouteDeps): Array<Route<RouteSpec>> {
  const { runtime, live } = deps;
  const limit = deps.bodyLimit;
  const ownHold = async (x: Exchange) => {
    const sale = saleOf(runtime, x);
    const reservationId = x.params.reservationId as string;
    const hold = await runtime.ports.inventory.getHold(sale.sale.id, reservationId);
    // someone else's reservation is answered as absent: ids are not an oracle
    if (!hold || hold.userId !== buyerOf(x).id)
      throw new HttpError('NOT_FOUND', `no reservation ${reservationId}`);
    return { sale, hold, reservationId };
  };

  /** Extends or releases the buyer's own hold; a refusal is answered with its code. */
  const changeOwnHold = async (x: Exchange, change: 'extendHold' | 'releaseHold', done: string) => {
    const { sale, reservationId } = await ownHold(x);
    const outcome = await sale.reservations[change]({ userId: buyerOf(x).id, reservationId });
    if (!outcome.ok) throw new HttpError(outcome.code, `the hold cannot be ${done} (${outcome.code})`);
    return { sale, reservationId, hold: outcome.hold };
  };

  const answerHold = (
    x: Exchange,
    sale: RuntimeSale,
    result:
      | AcceptedHold
      | { ok: false; code: string; reservationId?: string; seatIds?: string[]; tokenRefusal?: string },
    extra: Record<string, unknown> = {},
  ) => {
    if (result.ok) {
      live.seatsChanged(sale.sale.id);
      const reservation = reservationView(result.hold, null, result.amountCents);
      json(x, result.replayed ? 200 : 201, { reservation, ...extra, replayed: result.replayed });
      return;
    }
    if (result.code === 'OUTCOME_UNKNOWN') {
      const poll = `sales/${sale.sale.id}/reservations/${result.reservationId}`;
      json(
        x,
        202,
        {
          reservation: { id: result.reservationId, saleId: sale.sale.id, status: 'PENDING' },
          message:
            'the outcome is not known yet: poll the reservation, or retry with the same Idempotency-Key',
          poll,
        },
        { 'Retry-After': '1' },
      );
      return;
    }
    throw new HttpError(result.code, MESSAGES[result.code] ?? result.code, {
      ...(result.seatIds ? { seatIds: result.seatIds } : {}),
      ...(result.tokenRefusal ? { tokenRefusal: result.tokenRefusal } : {}),
      ...(result.code === 'PIPELINE_STALLED' ? { retryAfterMs: 2_000 } : {}),
    });
  };

  const requireOpen = (sale: RuntimeSale) => {
    if (sale.state !== 'OPEN')
      throw new HttpError('SALE_NOT_OPEN', `the sale is ${sale.state.toLowerCase()}`);
  };

  /**
   * What both reserve routes read before they ask, in this order: the sale, the Idempotency-Key,
   * the body, the service the sale offers for it (`serviceOf` refuses a sale that has none), the
   * sale's state. `ask` is the buyer's part of the request: who, their key scoped to them, and the
   * admission token they hold.
   */
  const reserveRequest = <S extends z.ZodType, T>(
    x: Exchange,
    what: string,
    schema: S,
    serviceOf: (sale: RuntimeSale) => T,
  ) => {
    const sale = saleOf(runtime, x);
    const buyer = buyerOf(x);
    const key = idempotencyKeyOf(header(x.request, 'idempotency-key'));
    const body = parse(what, schema, x.body);
    const service = serviceOf(sale);
    requireOpen(sale);
    const token = header(x.request, 'x-admission-token');
    const ask = {
      userId: buyer.id,
      idempotencyKey: scopedIdempotencyKey(buyer.id, key),
      ...(token ? { admissionToken: token.slice(0, 2_048) } : {}),
    };
    return { sale, service, body, ask };
  };

  return [
    route('GET', '/sales', {
      access: 'public',
      handle: (x) =>
        json(x, 200, {
          sales: runtime.sales().map((s) => ({ id: s.sale.id, name: s.sale.name, state: s.state })),
        }),
    }),
    route('GET', '/sales/:saleId', {
      access: 'public',
      handle: (x) => {
        const sale = saleOf(runtime, x);
        // the description is serialized once per definition (a seat map's sections can be large);
        // only the state and the time are written per request: the same bytes as serializing it all
        const described = live.saleInfo(sale.sale, (definition) => JSON.stringify(saleInfo(definition)));
        const body = `{"sale":${described.slice(0, -1)},"state":${JSON.stringify(sale.state)}},"now":${x.now}}`;
        x.response.writeHead(200, {
          ...x.headers,
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': Buffer.byteLength(body),
        });
        x.response.end(body);
      },
    }),
    route('GET', '/sales/:saleId/seats', {
      access: 'public',
      handle: async (x) => {
        const sale = saleOf(runtime, x);
        const snapshot = await live.seats(sale.sale.id);
        x.response.writeHead(200, { ...x.headers, 'Content-Type': 'application/json; charset=utf-8' });
        x.response.end(snapshot.json);
      },
    }),
    route('GET', '/sales/:saleId/seats/stream', {
      access: 'public',
      handle: async (x) => {
        const sale = saleOf(runtime, x);
        live.hub.admit(x.address, null);
        const snapshot = await live.seats(sale.sale.id);
        const stream = live.hub.open(x.response, `seats:${sale.sale.id}`, x.address, null);
        stream.response.write(snapshot.frame);
      },
    }),

    route('POST', '/sales/:saleId/challenge', {
      access: 'buyer',
      // issuing costs the server an HMAC and a random nonce: it spends the join budget
      joins: true,
      handle: async (x) => {
        const sale = saleOf(runtime, x);
        if (!deps.challenges) throw new HttpError('NOT_FOUND', 'this server issues no challenges');
        // bound to the subject the bot guard verifies answers for: the buyer's user subject
        const subject = subjectOf('user', buyerOf(x).id);
        const challenge = await deps.challenges.issue({ subject, now: x.now });
        json(x, 201, { challenge, saleId: sale.sale.id }, { 'Cache-Control': 'no-store' });
      },
    }),
    route('POST', '/sales/:saleId/queue', {
      access: 'buyer',
      joins: true,
      bodyLimit: limit,
      handle: async (x) => {
        const sale = saleOf(runtime, x);
        const body = parse('join', JoinBody, x.body);
        if (sale.state === 'CLOSED') throw new HttpError('SALE_CLOSED', 'the sale is closed');
        const outcome = await sale.queue.join({
          userId: buyerOf(x).id,
          context: joinContext(x),
          ...(body.challenge ? { challenge: body.challenge } : {}),
          ...(body.invitation ? { invitation: body.invitation } : {}),
          ...(body.admissionToken ? { admissionToken: body.admissionToken } : {}),
          ...(body.queuePass ? { queuePass: body.queuePass } : {}),
        });
        if (!outcome.ok) {
          const {
            ok: _,
            code,
            message,
            ...details
          } = outcome as { ok: false; code: string; message?: string };
          const retryAfterMs = (details as { retryAfterMs?: number }).retryAfterMs;
          throw new HttpError(
            code,
            message ?? code,
            details,
            retryAfterMs === undefined
              ? {}
              : { headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1_000))) } },
          );
        }
        const view = queueView(sale, outcome.status, x.now);
        json(
          x,
          deps.queueStatusCodes[view.state] ?? (outcome.alreadyJoined ? 200 : 201),
          { queue: view, alreadyJoined: outcome.alreadyJoined },
          queueHeaders(view.refreshMs),
        );
      },
    }),
    route('GET', '/sales/:saleId/queue', {
      access: 'buyer',
      handle: async (x) => {
        const sale = saleOf(runtime, x);
        const status = await sale.queue.status({ userId: buyerOf(x).id });
        if (!status) throw new HttpError('NOT_IN_QUEUE', 'you are not in the queue');
        const view = queueView(sale, status, x.now);
        json(x, deps.queueStatusCodes[view.state] ?? 200, { queue: view }, queueHeaders(view.refreshMs));
      },
    }),
    // where the buyer is, if anywhere: what a page asks when it loads, so not being in the queue is
    // an answer (`queue: null`), not a 404 a browser logs as an error
    route('GET', '/sales/:saleId/queue/place', {
      access: 'buyer',
      handle: async (x) => {
        const sale = saleOf(runtime, x);
        const status = await sale.queue.status({ userId: buyerOf(x).id });
        json(
          x,
          200,
          { queue: status ? queueView(sale, status, x.now) : null },
          { 'Cache-Control': 'no-store' },
        );
      },
    }),
    route('GET', '/sales/:saleId/queue/stream', {
      access: 'buyer',
      handle: async (x) => {
        const sale = saleOf(runtime, x);
        const buyer = buyerOf(x);
        live.hub.admit(x.address, buyer.id);
        const status = await sale.queue.status({ userId: buyer.id });
        if (!status) throw new HttpError('NOT_IN_QUEUE', 'you are not in the queue');
        const view = queueView(sale, status, x.now);
        const stream = live.hub.open(x.response, `queue:${sale.sale.id}`, x.address, buyer.id);
        live.watchQueue(sale, stream, buyer.id, status.lane ? Number.POSITIVE_INFINITY : view.ticket);
        stream.response.write(frame('queue', view));
      },
    }),
    route('POST', '/sales/:saleId/queue/heartbeat', {
      access: 'buyer',
      handle: async (x) => {
        const beat = await saleOf(runtime, x).waitingRoom.heartbeat({ userId: buyerOf(x).id });
        if (!beat.ok) throw new HttpError('NOT_IN_QUEUE', 'you are not in the queue');
        json(x, 200, { state: beat.state });
      },
    }),
    route('DELETE', '/sales/:saleId/queue', {
      access: 'buyer',
      handle: async (x) => {
        const { left } = await saleOf(runtime, x).waitingRoom.leave({ userId: buyerOf(x).id });
        if (!left) throw new HttpError('NOT_IN_QUEUE', 'you are not in the queue');
        noContent(x);
      },
    }),

    route('POST', '/sales/:saleId/reservations', {
      access: 'buyer',
      bodyLimit: limit,
      handle: async (x) => {
        const { sale, service, body, ask } = reserveRequest(
          x,
          'reservation',
          ReserveBody,
          (s) => s.reservations,
        );
        const selection =
          'seatIds' in body
            ? { kind: 'seats' as const, seatIds: body.seatIds }
            : { kind: 'quantity' as const, quantity: body.quantity };
        answerHold(x, sale, await healthOf(sale, () => service.reserve({ ...ask, selection })));
      },
    }),
    route('POST', '/sales/:saleId/group-reservations', {
      access: 'buyer',
      bodyLimit: limit,
      handle: async (x) => {
        const { sale, service, body, ask } = reserveRequest(x, 'group reservation', GroupBody, groupsOf);
        const result = await healthOf(sale, () =>
          service.reserveGroup({
            ...ask,
            size: body.size,
            ...(body.section ? { section: body.section } : {}),
            ...(body.fallback ? { fallback: body.fallback } : {}),
          }),
        );
        answerHold(x, sale, result, result.ok ? { adjacent: result.adjacent } : {});
      },
    }),
    route('GET', '/sales/:saleId/reservations/:reservationId', {
      access: 'buyer',
      handle: async (x) => {
        const { sale, hold, reservationId } = await ownHold(x);
        json(x, 200, { reservation: reservationView(hold, await sale.reservation(reservationId)) });
      },
    }),
    // a reservation a page saved, if the server still knows it: what the page asks when it loads,
    // so a stale id (the hold ended and was forgotten, another buyer's) is an answer
    // (`reservation: null`), not a 404 a browser logs as an error
    route('GET', '/sales/:saleId/reservations/:reservationId/status', {
      access: 'buyer',
      handle: async (x) => {
        const sale = saleOf(runtime, x);
        const reservationId = x.params.reservationId as string;
        const hold = await runtime.ports.inventory.getHold(sale.sale.id, reservationId);
        const view =
          hold && hold.userId === buyerOf(x).id
            ? reservationView(hold, await sale.reservation(reservationId))
            : null;
        json(x, 200, { reservation: view }, { 'Cache-Control': 'no-store' });
      },
    }),
    route('GET', '/sales/:saleId/reservations/:reservationId/stream', {
      access: 'buyer',
      handle: async (x) => {
        const buyer = buyerOf(x);
        live.hub.admit(x.address, buyer.id);
        const { sale, hold, reservationId } = await ownHold(x);
        const view = reservationView(hold, await sale.reservation(reservationId));
        const stream = live.hub.open(
          x.response,
          `reservation:${sale.sale.id}:${reservationId}`,
          x.address,
          buyer.id,
        );
        live.watchReservations(sale);
        stream.response.write(frame('reservation', view));
        if (view.status !== 'HELD') live.hub.end(stream);
      },
    }),
    route('POST', '/sales/:saleId/reservations/:reservationId/extend', {
      access: 'buyer',
      handle: async (x) => {
        const { sale, reservationId, hold } = await changeOwnHold(x, 'extendHold', 'extended');
        live.reservationChanged(sale.sale.id, reservationId);
        json(x, 200, { reservation: reservationView(hold, null) });
      },
    }),
    route('DELETE', '/sales/:saleId/reservations/:reservationId', {
      access: 'buyer',
      handle: async (x) => {
        const { sale, reservationId, hold } = await changeOwnHold(x, 'releaseHold', 'released');
        live.seatsChanged(sale.sale.id);
        live.reservationChanged(sale.sale.id, reservationId);
        json(x, 200, { reservation: reservationView(hold, null) });
      },
    }),
  ];
}

/** Refusals that reached the stock path: they say the pipeline answered, just not with a hold. */
const STOCK_REFUSALS = new Set(['SOLD_OUT', 'SEAT_TAKEN', 'NO_ADJACENT_SEATS', 'LIMIT_EXCEEDED']);
/** Refusals that say the pipeline is struggling. */
const STRAINED = new Set(['BUSY', 'PIPELINE_STALLED', 'OUTCOME_UNKNOWN']);

/**
 * Feeds adaptive admission's health meter with a reserve that reached the stock path: a hold or
 * not, and its latency. Refusals before it (bad input, not admitted, a reused key) say nothing of
 * the pipeline's health and are left out; a store that failed counts as no hold.
 */
async function healthOf<R extends { ok: boolean; code?: string }>(
  sale: RuntimeSale,
  reserve: () => Promise<R>,
): Promise<R> {
  const started = performance.now();
  const pending = reserve();
  let result: R;
  try {
    result = await pending;
  } catch (error) {
    sale.adaptive.record({ held: false, latencyMs: performance.now() - started });
    throw error;
  }
  const code = result.ok ? '' : (result.code ?? '');
  if (result.ok || STOCK_REFUSALS.has(code) || STRAINED.has(code)) {
    sale.adaptive.record({ held: result.ok, latencyMs: performance.now() - started });
  }
  return result;
}

/** The group reservations of a seated sale; a general-admission sale has none. */
function groupsOf(sale: RuntimeSale): NonNullable<RuntimeSale['groups']> {
  if (!sale.groups) throw new HttpError('WRONG_SELECTION', 'group reservations are for seated sales');
  return sale.groups;
}

/** What the bot guard needs of a join: the client's address, user agent, header pattern and device. */
export function joinContext(x: Exchange) {
  const device = header(x.request, 'x-device-fingerprint');
  return {
    ip: x.ip,
    userAgent: (header(x.request, 'user-agent') ?? '').slice(0, 512),
    // the bot guard's "many users, one header pattern" rule; without it the guard refuses the join
    headersFingerprint: headersFingerprintOf(x.request.rawHeaders ?? x.request.headers),
    ...(device && DEVICE.test(device) ? { deviceId: device } : {}),
  };
}

function queueHeaders(refreshMs: number | null): Record<string, string> {
  return refreshMs === null
    ? { 'Cache-Control': 'no-store' }
    : { 'Cache-Control': 'no-store', 'Retry-After': String(Math.ceil(refreshMs / 1_000)) };
}
