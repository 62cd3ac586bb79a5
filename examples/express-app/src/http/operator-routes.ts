import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { RuntimeSale } from '@seatrush/core';
import { SaleDefinition } from '@seatrush/core';
import { seatsOf, z } from '@seatrush/core/ports';
import { subjectOf } from '@seatrush/core/services';
import { readCookie } from '@seatrush/http';
import { type Request, type RequestHandler, Router } from 'express';
import type { StatsSampler } from '../ops/stats';
import type { PaymentSimulatorSettings } from '../payment-simulator';
import type { Platform } from '../platform/platform';
import { HttpError } from './errors';
import type { SseHub } from './sse';
import { IdParam, parse, saleOf } from './validate';

const OPERATOR_COOKIE = 'sr_operator';
const PaymentBody = z
  .object({ latencyMs: z.number().int().min(0).max(60_000), failureRate: z.number().min(0).max(1) })
  .strict();
const BlockBody = z
  .object({
    kind: z.enum(['ip', 'user', 'device']),
    value: z.string().min(1).max(256),
    reason: z.string().min(1).max(200),
    ttlMs: z
      .number()
      .int()
      .positive()
      .max(30 * 24 * 3_600_000),
  })
  .strict();
const SessionBody = z.object({ token: z.string().min(1).max(256) }).strict();
/** The queueing choices sent beside a sale definition: `{ …definition, queueing: { preQueue } }`. */
const SaleQueueingBody = z.object({ preQueue: z.boolean().optional() }).strict();

/**
 * Operator authentication: `Authorization: Bearer <token>` for scripts, or a cookie set by
 * `POST /api/operator/session` for the dashboard (EventSource cannot send headers). The cookie
 * holds an HMAC of the token, never the token itself.
 */
export class OperatorAuth {
  readonly #token: Buffer;
  readonly #cookieValue: string;

  constructor(token: string) {
    this.#token = digest(token);
    this.#cookieValue = createHmac('sha256', token).update('seatrush-operator-session').digest('base64url');
  }

  /** Whether `token` is the operator token (compared in constant time). */
  accepts(token: string): boolean {
    return timingSafeEqual(digest(token), this.#token);
  }

  cookieValue(): string {
    return this.#cookieValue;
  }

  /** Whether the request carries the token or the operator cookie. */
  signedIn(req: Request): boolean {
    return this.signedInBy({ authorization: req.get('authorization'), cookie: req.headers.cookie });
  }

  /** Whether these headers carry the token or the operator cookie (a malformed cookie is 400 BAD_COOKIE). */
  signedInBy(headers: { authorization?: string | undefined; cookie?: string | undefined }): boolean {
    const header = headers.authorization;
    if (header?.startsWith('Bearer ') && this.accepts(header.slice(7).trim())) return true;
    const cookie = readCookie(headers.cookie, OPERATOR_COOKIE);
    return (
      cookie !== undefined &&
      cookie.length === this.#cookieValue.length &&
      timingSafeEqual(Buffer.from(cookie), Buffer.from(this.#cookieValue))
    );
  }

  /** 401 unless the request carries the token or the operator cookie. */
  guard(): RequestHandler {
    return (req, _res, next) => {
      if (this.signedIn(req)) return next();
      throw new HttpError('UNAUTHENTICATED', 'operator token required (Authorization: Bearer …)');
    };
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * The operator's routes the example keeps (its sales list, lifecycle, admission rate, queueing
 * method, reconciliation and dead letters are @seatrush/http's): the dashboard's sign-in, a sale's
 * definition with its queueing choices (defined DRAFT, then warmed up), the stats with their
 * history and read side, a seat's audit, alerts, the payment simulator and the blocklist.
 */
export function operatorRoutes(deps: {
  platform: Platform;
  auth: OperatorAuth;
  hub: SseHub;
  stats: StatsSampler;
}): Router {
  const { platform, auth, hub, stats } = deps;
  const router = Router();

  router.post('/session', (req, res) => {
    const { token } = parse('operator session', SessionBody, req.body ?? {});
    if (!auth.accepts(token)) throw new HttpError('UNAUTHENTICATED', 'wrong operator token');
    res.setHeader(
      'Set-Cookie',
      `${OPERATOR_COOKIE}=${auth.cookieValue()}; Path=/api/operator; HttpOnly; SameSite=Strict; Max-Age=43200`,
    );
    res.json({ ok: true });
  });

  // the dashboard's first question, answered 200 either way: not being signed in yet is an
  // expected state, and a 401 would show in the browser's console as an error
  router.get('/session', (req, res) => {
    res.json({ signedIn: auth.signedIn(req) });
  });

  router.use(auth.guard());

  const runtimeOf = (req: Request): RuntimeSale => saleOf(platform, req);

  router.post('/sales', async (req, res) => {
    const { queueing: queueingInput, ...definitionInput } = (req.body ?? {}) as Record<string, unknown>;
    const queueing = parse('sale queueing', SaleQueueingBody, queueingInput ?? {});
    const definition = parse('sale', SaleDefinition, definitionInput);
    const existing = platform.runtime.sale(definition.id);
    // a sale that was warmed up lives in the store: replacing its definition would leave the store
    // on the old one, so only a sale still in DRAFT may be redefined
    if (existing && existing.state !== 'DRAFT') {
      throw new HttpError(
        'INVALID_TRANSITION',
        `sale ${definition.id} is ${existing.state}: use a new sale id`,
      );
    }
    const runtime = await platform.runtime.define(definition, { queueing, start: false });
    res.status(201).json({ sale: { id: runtime.sale.id, name: runtime.sale.name, state: runtime.state } });
  });

  // on the real servers the stock figures come from the read side (PostgreSQL through the replica
  // pool) while it is fresh, with its staleness (stats.stock), and the queue's figures from the
  // sampler's latest tick: a dashboard's read sends nothing to the hot store (ops/stats.ts)
  router.get('/sales/:saleId/stats', async (req, res) => {
    const runtime = runtimeOf(req);
    const readSide = platform.readSide;
    const [sample, view] = await Promise.all([
      stats.sample(runtime),
      readSide?.model.saleStats({ saleId: runtime.sale.id }).catch(() => null) ?? null,
    ]);
    res.json({
      stats: sample,
      history: stats.history(runtime.sale.id),
      readSide:
        readSide && view
          ? { ...view, lag: readSide.lag(), stalenessMs: finiteOrNull(readSide.stalenessMs()) }
          : null,
    });
  });

  // the seat audit: who held or bought the seat, and when (from the read side's events)
  router.get('/sales/:saleId/seats/:seatId/history', async (req, res) => {
    const runtime = runtimeOf(req);
    const seatId = parse('seat id', IdParam, req.params.seatId);
    if (!seatsOf(runtime.sale).some((seat) => seat.id === seatId))
      throw new HttpError('UNKNOWN_SEAT', `no seat ${seatId} in sale ${runtime.sale.id}`);
    const readSide = platform.readSide;
    if (!readSide)
      throw new HttpError(
        'NOT_FOUND',
        'no seat audit here: it is read from the read side (the real servers)',
      );
    const query = { saleId: runtime.sale.id, seatId };
    const [holders, events] = await Promise.all([
      readSide.model.seatHolders(query),
      readSide.model.auditOfSeat(query),
    ]);
    res.json({ ...query, holders, events, stalenessMs: finiteOrNull(readSide.stalenessMs()) });
  });

  router.get('/sales/:saleId/stats/stream', async (req, res) => {
    const runtime = runtimeOf(req);
    if (!hub.accepting) throw new HttpError('SHUTTING_DOWN', 'the server is shutting down');
    const client = hub.open(req, res, `stats:${runtime.sale.id}`);
    client.send('stats', await stats.sample(runtime));
  });

  router.get('/alerts', (_req, res) => {
    res.json({ alerts: [...platform.alerts.recent].reverse() });
  });

  router.put('/payment-simulator', (req, res) => {
    const settings: PaymentSimulatorSettings = parse('payment simulator', PaymentBody, req.body ?? {});
    platform.payments.settings = settings;
    res.json({ payment: settings });
  });

  router.post('/blocklist', async (req, res) => {
    const body = parse('block', BlockBody, req.body ?? {});
    const subject = subjectOf(body.kind, body.value);
    await platform.blocklist.block({ subject, reason: body.reason, ttlMs: body.ttlMs, now: platform.now() });
    res.status(201).json({ blocked: subject });
  });

  router.delete('/blocklist', async (req, res) => {
    const body = parse('unblock', BlockBody.pick({ kind: true, value: true }), req.body ?? {});
    await platform.blocklist.unblock(subjectOf(body.kind, body.value));
    res.status(204).end();
  });

  return router;
}

/** A staleness for JSON: Infinity (never caught up yet) is null. */
function finiteOrNull(ms: number): number | null {
  return Number.isFinite(ms) ? ms : null;
}
