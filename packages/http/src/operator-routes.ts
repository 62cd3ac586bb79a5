import type { Invitations, SeatRushRuntime } from '@seatrush/core';
import { AdaptiveChange } from '@seatrush/core/services';
import { z } from 'zod';
import { HttpError } from './errors';
import { json, noContent, type RouteSpec, saleOf } from './exchange-context';
import type { RequestGuard } from './guard/request-guard';
import { Id, parse } from './input';
import type { LiveUpdates } from './live';
import { type Route, route } from './router';
import { frame } from './sse';

const RateBody = z
  .strictObject({
    usersPerInterval: z.number().int().positive().max(100_000).optional(),
    maxActive: z.number().int().positive().max(10_000_000).optional(),
  })
  .refine(
    (b) => b.usersPerInterval !== undefined || b.maxActive !== undefined,
    'give usersPerInterval and/or maxActive',
  );
const QueueingBody = z.strictObject({ method: z.enum(['fifo', 'random', 'passthrough', 'reject']) });
const InvitationBody = z.strictObject({
  userId: Id,
  lane: z.enum(['priority', 'bypass']),
  validForMs: z
    .number()
    .int()
    .min(1_000)
    .max(30 * 24 * 3_600_000),
});
const BlockBody = z.strictObject({
  kind: z.enum(['ip', 'user']),
  value: z.string().min(1).max(128),
  reason: z.string().min(1).max(200),
  ttlMs: z
    .number()
    .int()
    .positive()
    .max(30 * 24 * 3_600_000),
});
const UnblockBody = BlockBody.pick({ kind: true, value: true });

/** What the operator routes need. */
export interface OperatorRouteDeps {
  runtime: SeatRushRuntime;
  live: LiveUpdates;
  guard: RequestGuard;
  bodyLimit: number;
  saleDefinitionLimit: number;
  invitations: Invitations | undefined;
  /** The guard subject of a blocklist entry (`ip:` entries are grouped as requests are). */
  subjectOf(kind: 'ip' | 'user', value: string): string;
}

/**
 * The operator API: sales and their lifecycle, the admission rate, the queueing method,
 * invitations, stats (and their stream), reconciliation, dead letters and the blocklist. Every
 * route runs after the host's `authorizeOperator`, and reads its body only then.
 */
export function operatorRoutes(deps: OperatorRouteDeps): Array<Route<RouteSpec>> {
  const { runtime, live } = deps;
  const operatorRoute = (method: string, path: string, spec: Omit<RouteSpec, 'access'>) =>
    route<RouteSpec>(method, `/operator${path}`, { access: 'operator', ...spec });
  const lifecycle = (name: 'open' | 'pause' | 'resume' | 'close') =>
    operatorRoute('POST', `/sales/:saleId/${name}`, {
      handle: async (x) => {
        const sale = saleOf(runtime, x);
        // the runtime's operator command: opening an open sale is no error, a refusal says why
        // (its codes are the API's: one vocabulary, RefusalCode in @seatrush/core)
        const outcome = await sale.command(name);
        if (!outcome.ok) throw new HttpError(outcome.code, outcome.message, { state: outcome.state });
        live.seatsChanged(sale.sale.id);
        await sale.waitingRoom.broadcast();
        json(x, 200, { sale: { id: sale.sale.id, state: outcome.state } });
      },
    });

  return [
    operatorRoute('GET', '/sales', {
      handle: (x) =>
        json(x, 200, {
          sales: runtime.sales().map((s) => ({ id: s.sale.id, name: s.sale.name, state: s.state })),
        }),
    }),
    operatorRoute('POST', '/sales', {
      bodyLimit: deps.saleDefinitionLimit,
      handle: async (x) => {
        const input = x.body as { id?: unknown };
        const existing = isId(input?.id) ? runtime.sale(input.id) : undefined;
        // a warmed sale lives in the store: only a sale still in DRAFT may be redefined
        if (existing && existing.state !== 'DRAFT') {
          throw new HttpError(
            'INVALID_TRANSITION',
            `sale ${existing.sale.id} is ${existing.state}: use a new id`,
          );
        }
        // `?start=false` leaves it in DRAFT (not loaded into the store) until `warm-up`
        const start = !/[?&]start=false(&|$)/.test(x.request.url ?? '');
        const sale = await runtime.define(x.body as Parameters<SeatRushRuntime['define']>[0], { start });
        json(x, 201, { sale: { id: sale.sale.id, name: sale.sale.name, state: sale.state } });
      },
    }),
    operatorRoute('POST', '/sales/:saleId/warm-up', {
      handle: async (x) => {
        const sale = saleOf(runtime, x);
        // loads a DRAFT sale (one defined with `?start=false`) into the store from the source of truth
        const outcome = await sale.command('warm-up');
        if (!outcome.ok) throw new HttpError(outcome.code, outcome.message, { state: outcome.state });
        live.seatsChanged(sale.sale.id);
        json(x, 200, { sale: { id: sale.sale.id, state: outcome.state } });
      },
    }),
    lifecycle('open'),
    lifecycle('pause'),
    lifecycle('resume'),
    lifecycle('close'),
    operatorRoute('PUT', '/sales/:saleId/admission-rate', {
      bodyLimit: deps.bodyLimit,
      handle: async (x) => {
        const sale = saleOf(runtime, x);
        const body = parse('admission rate', RateBody, x.body);
        const rate = {
          ...(body.usersPerInterval === undefined ? {} : { usersPerInterval: body.usersPerInterval }),
          ...(body.maxActive === undefined ? {} : { maxActive: body.maxActive }),
        };
        await sale.setAdmissionRate(rate);
        json(x, 200, { admission: sale.waitingRoom.admissionRate });
      },
    }),
    operatorRoute('GET', '/sales/:saleId/queueing', {
      handle: async (x) => json(x, 200, { queueing: await saleOf(runtime, x).queue.config() }),
    }),
    operatorRoute('PUT', '/sales/:saleId/queueing', {
      bodyLimit: deps.bodyLimit,
      handle: async (x) => {
        const sale = saleOf(runtime, x);
        const body = parse('queueing', QueueingBody, x.body);
        const config = await sale.queue.setMethod(body.method);
        await sale.waitingRoom.broadcast();
        json(x, 200, { queueing: config });
      },
    }),
    operatorRoute('POST', '/sales/:saleId/invitations', {
      bodyLimit: deps.bodyLimit,
      handle: (x) => {
        const sale = saleOf(runtime, x);
        const body = parse('invitation', InvitationBody, x.body);
        if (!deps.invitations)
          throw new HttpError('NOT_FOUND', 'invitations are not configured (options.invitations)');
        const claims = {
          saleId: sale.sale.id,
          userId: body.userId,
          lane: body.lane,
          expiresAt: x.now + body.validForMs,
        };
        json(x, 201, { invitation: { ...claims, token: deps.invitations.issue(claims) } });
      },
    }),
    operatorRoute('GET', '/sales/:saleId/adaptive', {
      handle: (x) => json(x, 200, { adaptive: saleOf(runtime, x).adaptive.view() }),
    }),
    operatorRoute('PUT', '/sales/:saleId/adaptive', {
      bodyLimit: deps.bodyLimit,
      handle: async (x) => {
        const sale = saleOf(runtime, x);
        // on/off and any bound; the merged policy is checked whole, a bad one changes nothing
        const change = parse('adaptive admission', AdaptiveChange, x.body);
        json(x, 200, { adaptive: await sale.adaptive.configure(change) });
      },
    }),
    // one adjustment now, besides the periodic ones (to see a change of health at once)
    operatorRoute('POST', '/sales/:saleId/adaptive/adjust', {
      handle: async (x) => {
        const sale = saleOf(runtime, x);
        const decision = await sale.adaptive.adjust();
        if (!decision) throw new HttpError('ADAPTIVE_OFF', 'adaptive admission is off for this sale');
        json(x, 200, { decision, adaptive: sale.adaptive.view() });
      },
    }),
    operatorRoute('GET', '/sales/:saleId/stats', {
      handle: async (x) => json(x, 200, { stats: await saleOf(runtime, x).health() }),
    }),
    operatorRoute('GET', '/sales/:saleId/stats/stream', {
      handle: async (x) => {
        const sale = saleOf(runtime, x);
        live.hub.admit(x.address, null);
        const stats = await sale.health();
        const stream = live.hub.open(x.response, `stats:${sale.sale.id}`, x.address, null);
        stream.response.write(frame('stats', stats));
      },
    }),
    operatorRoute('POST', '/sales/:saleId/reconcile', {
      handle: async (x) => {
        const sale = saleOf(runtime, x);
        const report = await sale.reconciler.reconcile(sale.sale.id);
        live.seatsChanged(sale.sale.id);
        json(x, 200, { reconciliation: report });
      },
    }),
    operatorRoute('GET', '/dead-letters', {
      // every worker's when the event bundle keeps them (Kafka's dead-letter topic), else this process's
      handle: async (x) => json(x, 200, { deadLetters: await runtime.listDeadLetters() }),
    }),
    operatorRoute('POST', '/dead-letters/:letterId/redrive', {
      handle: async (x) => {
        const id = x.params.letterId as string;
        // published again as it was (same event id): the worker's handling is idempotent, and a
        // reservation compensated on dead-lettering ends FAILED again, its result published again
        if (!(await runtime.redrive(id))) {
          throw new HttpError('NOT_FOUND', `no dead letter ${id} to redrive (gone, or a poison message)`);
        }
        json(x, 202, { redriven: id });
      },
    }),
    operatorRoute('POST', '/blocklist', {
      bodyLimit: deps.bodyLimit,
      handle: async (x) => {
        const body = parse('block', BlockBody, x.body);
        const subject = deps.subjectOf(body.kind, body.value);
        await deps.guard.block({ subject, reason: body.reason, ttlMs: body.ttlMs, now: x.now });
        json(x, 201, { blocked: subject, until: x.now + body.ttlMs });
      },
    }),
    operatorRoute('DELETE', '/blocklist', {
      bodyLimit: deps.bodyLimit,
      handle: async (x) => {
        const body = parse('unblock', UnblockBody, x.body);
        await deps.guard.unblock(deps.subjectOf(body.kind, body.value));
        noContent(x);
      },
    }),
  ];
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 64;
}
