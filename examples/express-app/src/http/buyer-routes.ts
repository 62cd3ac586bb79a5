import { randomUUID } from 'node:crypto';
import type {
  GroupReserveResult,
  HoldRecord,
  ReservationRow,
  ReserveResult,
  RuntimeSale,
  SaleDefinition,
  Selection,
} from '@seatrush/core';
import { seatsOf, z } from '@seatrush/core/ports';
import { headersFingerprintOf } from '@seatrush/core/services';
import type { PgReadModel } from '@seatrush/pg-adapter';
import { type Request, type Response, Router } from 'express';
import type { QueueStatusCodes } from '../config';
import type { AppMetrics } from '../ops/metrics';
import type { Platform } from '../platform/platform';
import type { TtlCache } from './cache';
import { clientIp, deviceFingerprint } from './defences';
import { HttpError } from './errors';
import { type QueueView, sendQueueAnswer } from './queue-answers';
import { isFinal, type ReservationView, reservationChannel, reservationView } from './reservation-view';
import { sessionOf } from './session';
import type { SseHub } from './sse';
import { IdParam, parse, saleOf } from './validate';

/** Hot read data kept in the in-process cache. */
export interface BuyerCaches {
  saleInfo: TtlCache<SaleInfo>;
  seats: TtlCache<SeatSnapshot>;
}

/** What the client needs to draw a sale (static for the sale's life, so it is cached). */
export interface SaleInfo {
  id: string;
  name: string;
  kind: 'general' | 'assigned';
  tier: string | null;
  tiers: SaleDefinition['tiers'];
  holdMs: number;
  ticketsPerUser: number;
  opensAt: number;
  sections: Array<{
    id: string;
    name: string;
    rows: Array<{ id: string; seats: Array<{ id: string; label: string; tier: string }> }>;
  }>;
}

/** The live part of a seat map: only the seats that are not available, plus the counts. */
export interface SeatSnapshot {
  states: Record<string, 'HELD' | 'CONFIRMED'>;
  counts: { initialStock: number; available: number; held: number; confirmed: number };
  now: number;
}

const JoinBody = z
  .object({
    challengeId: z.string().min(1).max(128),
    answer: z.string().min(1).max(512),
    /** A signed invitation to the bypass or priority lane (from the operator's join link). */
    invitation: z.string().min(1).max(2048).optional(),
  })
  .strict();
const ReserveBody = z.union([
  z.object({ seatIds: z.array(IdParam).min(1).max(100) }).strict(),
  z.object({ quantity: z.number().int().positive().max(100) }).strict(),
]);
const GroupBody = z
  .object({
    size: z.number().int().positive().max(100),
    section: IdParam.optional(),
    /** `split` (default): the closest free seats when no row has them side by side; `refuse`: NO_ADJACENT_SEATS. */
    fallback: z.enum(['split', 'refuse']).optional(),
  })
  .strict();
const IdempotencyHeader = z
  .string({ error: 'the Idempotency-Key header is required' })
  .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'Idempotency-Key must be 1-128 characters of A-Z a-z 0-9 _ . -');

/** Builds the static description of a sale for clients. */
export function saleInfoOf(sale: SaleDefinition): SaleInfo {
  return {
    id: sale.id,
    name: sale.name,
    kind: sale.inventory.kind,
    tier: sale.inventory.kind === 'general' ? sale.inventory.tier : null,
    tiers: sale.tiers,
    holdMs: sale.holdMs,
    ticketsPerUser: sale.limits.ticketsPerUser,
    opensAt: sale.opensAt,
    sections:
      sale.inventory.kind === 'assigned'
        ? sale.inventory.sections.map((s) => ({
            id: s.id,
            name: s.name,
            rows: s.rows.map((r) => ({
              id: r.id,
              seats: r.seats.map((x) => ({ id: x.id, label: x.label, tier: x.tier })),
            })),
          }))
        : [],
  };
}

/** The amount of a hold from the sale's price list. */
export function amountOf(sale: SaleDefinition, hold: { quantity: number; seatIds: string[] }): number {
  const prices = new Map(sale.tiers.map((t) => [t.id, t.priceCents]));
  if (sale.inventory.kind === 'general') return (prices.get(sale.inventory.tier) ?? 0) * hold.quantity;
  const tierOf = new Map(seatsOf(sale).map((s) => [s.id, s.tier]));
  return hold.seatIds.reduce((sum, id) => sum + (prices.get(tierOf.get(id) ?? '') ?? 0), 0);
}

/**
 * The seat map a buyer sees (the caller caches it for 250 ms). On the real servers it is read
 * from the read side (PostgreSQL, through the replica pool: no hot-store read), as stale as
 * `readSide.stalenessMs()` and never more than MAX_STALENESS_MS (5 s): beyond that it is read
 * from the hot store and counted as a fallback. In memory it is read from the store.
 */
export async function loadSeats(platform: Platform, saleId: string): Promise<SeatSnapshot> {
  const readSide = platform.readSide;
  const sale = platform.runtime.sale(saleId)?.sale;
  if (readSide && sale) {
    if (readSide.fresh()) return loadSeatsFromReadSide(readSide.model, sale, platform.now());
    readSide.countFallback();
  }
  return loadSeatsFromStore(platform, saleId);
}

/**
 * The seat map from the read side's views: seats no event touched are available, a hold past its
 * expiry counts as available (its HoldExpired event may not be applied yet); general admission's
 * counts come from the sale's stats (units held and sold).
 */
export async function loadSeatsFromReadSide(
  model: PgReadModel,
  sale: SaleDefinition,
  now: number,
): Promise<SeatSnapshot> {
  const states: SeatSnapshot['states'] = {};
  let held = 0;
  let confirmed = 0;
  let initialStock: number;
  if (sale.inventory.kind === 'assigned') {
    initialStock = seatsOf(sale).length;
    for (const seat of await model.seatMap({ saleId: sale.id })) {
      if (seat.state === 'SOLD') {
        states[seat.seatId] = 'CONFIRMED';
        confirmed += 1;
      } else if (seat.state === 'HELD' && (seat.expiresAt === null || seat.expiresAt > now)) {
        states[seat.seatId] = 'HELD';
        held += 1;
      }
    }
  } else {
    initialStock = sale.inventory.capacity;
    const stats = await model.saleStats({ saleId: sale.id });
    held = stats.unitsHeld;
    confirmed = stats.totals.unitsSold;
  }
  const available = Math.max(0, initialStock - held - confirmed);
  return { states, counts: { initialStock, available, held, confirmed }, now };
}

/** Reads the live seat map from the hot store. */
export async function loadSeatsFromStore(platform: Platform, saleId: string): Promise<SeatSnapshot> {
  const [all, counts] = await Promise.all([
    platform.runtime.ports.inventory.seatStates(saleId),
    platform.runtime.ports.inventory.counts(saleId),
  ]);
  const states: SeatSnapshot['states'] = {};
  for (const [id, state] of Object.entries(all)) if (state !== 'AVAILABLE') states[id] = state;
  return {
    states,
    counts: {
      initialStock: counts.initialStock,
      available: counts.available,
      held: counts.held,
      confirmed: counts.confirmed,
    },
    now: platform.now(),
  };
}

/** A reservation's view, or null when the store does not know it. */
export async function loadReservation(
  platform: Platform,
  runtime: RuntimeSale,
  reservationId: string,
): Promise<ReservationView | null> {
  const [hold, row] = await Promise.all([
    platform.runtime.ports.inventory.getHold(runtime.sale.id, reservationId),
    platform.runtime.ports.repository.get(reservationId),
  ]);
  return hold ? viewOf(runtime, hold, row) : null;
}

/** The buyer's view of a hold and its row, priced from the sale when the row does not exist yet. */
function viewOf(runtime: RuntimeSale, hold: HoldRecord, row: ReservationRow | null): ReservationView {
  const view = reservationView(hold, row);
  return { ...view, amountCents: view.amountCents ?? amountOf(runtime.sale, hold) };
}

/** The buyer API: sale info, seat map, waiting room, reservations, and their SSE streams. */
export function buyerRoutes(deps: {
  platform: Platform;
  hub: SseHub;
  caches: BuyerCaches;
  metrics: AppMetrics;
  queueView: (runtime: RuntimeSale, userId: string) => Promise<QueueView | null>;
  /** HTTP status per waiting-room state of join and status answers (unset: 201/200). */
  queueStatusCodes?: QueueStatusCodes;
}): Router {
  const { platform, hub, caches, metrics } = deps;
  const router = Router();

  const runtimeOf = (req: Request): RuntimeSale => saleOf(platform, req);

  const ownReservation = async (req: Request, res: Response) => {
    const session = sessionOf(res);
    const runtime = runtimeOf(req);
    const reservationId = parse('reservation id', IdParam, req.params.reservationId);
    const hold = await platform.runtime.ports.inventory.getHold(runtime.sale.id, reservationId);
    if (!hold) throw new HttpError('NOT_FOUND', `no reservation ${reservationId}`);
    // only the owner may see or change a reservation, whatever id a client guesses
    if (hold.userId !== session.userId)
      throw new HttpError('NOT_OWNER', 'this reservation belongs to someone else');
    const view = viewOf(runtime, hold, await platform.runtime.ports.repository.get(reservationId));
    return { session, runtime, reservationId, view };
  };

  router.get('/sales', (_req, res) => {
    res.json({
      sales: platform.runtime.sales().map((r) => ({ id: r.sale.id, name: r.sale.name, state: r.state })),
    });
  });

  router.get('/sales/:saleId', async (req, res) => {
    const runtime = runtimeOf(req);
    const info = await caches.saleInfo.get(runtime.sale.id, async () => saleInfoOf(runtime.sale));
    res.json({ sale: { ...info, state: runtime.state }, now: platform.now() });
  });

  router.get('/sales/:saleId/seats', async (req, res) => {
    const runtime = runtimeOf(req);
    res.json(await caches.seats.get(runtime.sale.id, () => loadSeats(platform, runtime.sale.id)));
  });

  router.get('/sales/:saleId/seats/stream', async (req, res) => {
    const runtime = runtimeOf(req);
    if (!hub.accepting) throw new HttpError('SHUTTING_DOWN', 'the server is shutting down');
    const client = hub.open(req, res, `seats:${runtime.sale.id}`);
    client.send('seats', await caches.seats.get(runtime.sale.id, () => loadSeats(platform, runtime.sale.id)));
  });

  router.post('/sales/:saleId/challenge', async (req, res) => {
    const session = sessionOf(res);
    const runtime = runtimeOf(req);
    const challenge = await platform.challenges.issue({ subject: session.userId, now: platform.now() });
    res.status(201).json({ challenge, saleId: runtime.sale.id });
  });

  router.post('/sales/:saleId/queue', async (req, res) => {
    const session = sessionOf(res);
    const runtime = runtimeOf(req);
    const { invitation, ...challenge } = parse('join', JoinBody, req.body ?? {});
    if (runtime.state === 'CLOSED') throw new HttpError('SALE_NOT_OPEN', 'the sale is closed');
    const device = deviceFingerprint(req);
    const outcome = await runtime.queue.join({
      userId: session.userId,
      challenge,
      ...(invitation ? { invitation } : {}),
      context: {
        ip: clientIp(req).slice(0, 64),
        ...(device ? { deviceId: device } : {}),
        userAgent: (req.get('user-agent') ?? '').slice(0, 512),
        headersFingerprint: headersFingerprintOf(req.rawHeaders),
      },
    });
    if (!outcome.ok) {
      // a `reject` room answers SOLD_OUT / SALE_CLOSED politely: the buyer is not queued
      throw new HttpError(outcome.code, outcome.message ?? outcome.code, {
        ...('retryAfterMs' in outcome && outcome.retryAfterMs !== undefined
          ? { retryAfterMs: outcome.retryAfterMs }
          : {}),
        ...('challenge' in outcome && outcome.challenge ? { challenge: outcome.challenge } : {}),
        // a refused invitation says why (EXPIRED, WRONG_USER, BAD_SIGNATURE, …); nothing was queued
        ...('reason' in outcome ? { reason: outcome.reason } : {}),
      });
    }
    const view = await deps.queueView(runtime, session.userId);
    if (!view) throw new HttpError('NOT_IN_QUEUE', 'you left the queue while joining; join again');
    sendQueueAnswer(res, {
      view,
      codes: deps.queueStatusCodes ?? {},
      defaultStatus: outcome.alreadyJoined ? 200 : 201,
      body: { queue: view, alreadyJoined: outcome.alreadyJoined },
    });
  });

  router.get('/sales/:saleId/queue', async (req, res) => {
    const session = sessionOf(res);
    const runtime = runtimeOf(req);
    const view = await deps.queueView(runtime, session.userId);
    if (!view) throw new HttpError('NOT_IN_QUEUE', 'you are not in the queue');
    sendQueueAnswer(res, {
      view,
      codes: deps.queueStatusCodes ?? {},
      defaultStatus: 200,
      body: { queue: view },
    });
  });

  // where the buyer is, if anywhere: what the page asks when it loads, so not being in the queue
  // is an answer (`queue: null`), not a 404 the browser would log as an error
  router.get('/sales/:saleId/queue/place', async (req, res) => {
    const session = sessionOf(res);
    const runtime = runtimeOf(req);
    res.set('Cache-Control', 'no-store');
    res.json({ queue: await deps.queueView(runtime, session.userId) });
  });

  router.get('/sales/:saleId/queue/stream', async (req, res) => {
    const session = sessionOf(res);
    const runtime = runtimeOf(req);
    if (!hub.accepting) throw new HttpError('SHUTTING_DOWN', 'the server is shutting down');
    const view = await deps.queueView(runtime, session.userId);
    if (!view) throw new HttpError('NOT_IN_QUEUE', 'you are not in the queue');
    const client = hub.open(req, res, `queue:${runtime.sale.id}:${session.userId}`);
    client.send('queue', view);
  });

  router.post('/sales/:saleId/queue/heartbeat', async (req, res) => {
    const session = sessionOf(res);
    const runtime = runtimeOf(req);
    const beat = await runtime.waitingRoom.heartbeat({ userId: session.userId });
    if (!beat.ok) throw new HttpError('NOT_IN_QUEUE', 'you are not in the queue');
    res.json({ state: beat.state });
  });

  router.delete('/sales/:saleId/queue', async (req, res) => {
    const session = sessionOf(res);
    const runtime = runtimeOf(req);
    const { left } = await runtime.waitingRoom.leave({ userId: session.userId });
    if (!left) throw new HttpError('NOT_IN_QUEUE', 'you are not in the queue');
    res.status(204).end();
  });

  router.post('/sales/:saleId/reservations', async (req, res) => {
    const session = sessionOf(res);
    const runtime = runtimeOf(req);
    const idempotencyKey = parse('Idempotency-Key header', IdempotencyHeader, req.get('idempotency-key'));
    const body = parse('reservation', ReserveBody, req.body ?? {});
    const state = runtime.state;
    if (state !== 'OPEN') throw new HttpError('SALE_NOT_OPEN', `the sale is ${state.toLowerCase()}`);
    const selection: Selection =
      'seatIds' in body
        ? { kind: 'seats', seatIds: body.seatIds }
        : { kind: 'quantity', quantity: body.quantity };
    const token = req.get('x-admission-token');
    const result = await runtime.reservations.reserve({
      userId: session.userId,
      idempotencyKey,
      selection,
      reservationId: randomUUID(),
      ...(token ? { admissionToken: token } : {}),
    });
    metrics.reserveOutcomes.inc({ sale: runtime.sale.id, code: result.ok ? 'ACCEPTED' : result.code });
    await answerHold(req, res, runtime, result);
  });

  router.post('/sales/:saleId/group-reservations', async (req, res) => {
    const session = sessionOf(res);
    const runtime = runtimeOf(req);
    const idempotencyKey = parse('Idempotency-Key header', IdempotencyHeader, req.get('idempotency-key'));
    const body = parse('group reservation', GroupBody, req.body ?? {});
    const state = runtime.state;
    if (state !== 'OPEN') throw new HttpError('SALE_NOT_OPEN', `the sale is ${state.toLowerCase()}`);
    const token = req.get('x-admission-token');
    // N seats together need assigned seating: a general-admission sale has no groups
    if (!runtime.groups)
      throw new HttpError('WRONG_SELECTION', 'group reservations need an assigned-seating sale');
    const result = await runtime.groups.reserveGroup({
      userId: session.userId,
      idempotencyKey,
      size: body.size,
      ...(body.section ? { section: body.section } : {}),
      ...(body.fallback ? { fallback: body.fallback } : {}),
      reservationId: randomUUID(),
      ...(token ? { admissionToken: token } : {}),
    });
    metrics.reserveOutcomes.inc({ sale: runtime.sale.id, code: result.ok ? 'ACCEPTED' : result.code });
    await answerHold(req, res, runtime, result, result.ok ? { adjacent: result.adjacent } : {});
  });

  router.get('/sales/:saleId/reservations/:reservationId', async (req, res) => {
    const { view } = await ownReservation(req, res);
    res.json({ reservation: view });
  });

  router.get('/sales/:saleId/reservations/:reservationId/stream', async (req, res) => {
    const { view, reservationId, runtime } = await ownReservation(req, res);
    if (!hub.accepting) throw new HttpError('SHUTTING_DOWN', 'the server is shutting down');
    const client = hub.open(req, res, reservationChannel(runtime.sale.id, reservationId));
    client.send('reservation', view);
    if (isFinal(view)) client.close();
  });

  router.post('/sales/:saleId/reservations/:reservationId/extend', async (req, res) => {
    const { session, runtime, reservationId } = await ownReservation(req, res);
    const outcome = await runtime.reservations.extendHold({ userId: session.userId, reservationId });
    if (!outcome.ok) throw new HttpError(outcome.code, `the hold cannot be extended (${outcome.code})`);
    const view = await loadReservation(platform, runtime, reservationId);
    hub.broadcast(reservationChannel(runtime.sale.id, reservationId), 'reservation', view);
    res.json({ reservation: view });
  });

  router.delete('/sales/:saleId/reservations/:reservationId', async (req, res) => {
    const { session, runtime, reservationId } = await ownReservation(req, res);
    const outcome = await runtime.reservations.releaseHold({ userId: session.userId, reservationId });
    if (!outcome.ok) throw new HttpError(outcome.code, `the hold cannot be released (${outcome.code})`);
    caches.seats.invalidate(runtime.sale.id);
    const view = await loadReservation(platform, runtime, reservationId);
    hub.broadcast(reservationChannel(runtime.sale.id, reservationId), 'reservation', view);
    res.json({ reservation: view });
  });

  /**
   * The answer to a hold request, true to what happened: 201 (or 200 for a replay) for a hold,
   * which is durable in the store's outbox when this is said; 202 when the store's answer did not
   * come in time (the hold may exist: poll it, or retry with the same Idempotency-Key); a refusal
   * otherwise, which changed nothing. A failing read of the row after the hold never turns the
   * answer into an error: the hold stands, so the hold is what is answered.
   */
  async function answerHold(
    req: Request,
    res: Response,
    runtime: RuntimeSale,
    result: ReserveResult | GroupReserveResult,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    if (!result.ok && result.code === 'OUTCOME_UNKNOWN') {
      const poll = `${req.baseUrl}/sales/${runtime.sale.id}/reservations/${result.reservationId}`;
      res
        .status(202)
        .location(poll)
        .set('Retry-After', '1')
        .json({
          reservation: { id: result.reservationId, saleId: runtime.sale.id, status: 'PENDING' },
          message:
            'the outcome is not known yet: poll the reservation, or retry with the same Idempotency-Key',
          poll,
        });
      return;
    }
    if (!result.ok) {
      throw new HttpError(result.code, messageOf(result.code), {
        ...(result.seatIds ? { seatIds: result.seatIds } : {}),
        ...(result.tokenRefusal ? { tokenRefusal: result.tokenRefusal } : {}),
        ...(result.code === 'PIPELINE_STALLED' ? { retryAfterMs: 2_000 } : {}),
      });
    }
    caches.seats.invalidate(runtime.sale.id);
    const held = { ...reservationView(result.hold, null), amountCents: result.amountCents };
    // a new hold is answered as made; a replay as it stands now (confirmed, failed or expired since)
    const view = result.replayed
      ? await loadReservation(platform, runtime, result.reservationId).then(
          (loaded) => loaded ?? held,
          () => held,
        )
      : held;
    res.status(result.replayed ? 200 : 201).json({ reservation: view, ...extra, replayed: result.replayed });
  }

  return router;
}

function messageOf(code: string): string {
  const messages: Record<string, string> = {
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
    PIPELINE_STALLED: 'orders are not being processed right now; nothing was held, try again shortly',
    BUSY: 'the sale is busy; try again',
  };
  return messages[code] ?? code;
}
