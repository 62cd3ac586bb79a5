import { ConfigurationError, SeatRushError, UnknownSaleError, ValidationError } from '@seatrush/core';
import { header, readBody, readJson } from './body';
import { buyerRoutes, joinContext } from './buyer-routes';
import { checkoutRoutes } from './checkout-routes';
import { addressGroup, clientAddressResolver } from './client-address';
import { type ErrorBody, HttpError } from './errors';
import type { SeatRushRequest, SeatRushResponse } from './exchange';
import type { Exchange, RouteSpec } from './exchange-context';
import { type GuardLimit, MemoryRequestGuard, type RequestGuard } from './guard/request-guard';
import { LiveUpdates } from './live';
import { operatorRoutes } from './operator-routes';
import {
  type Buyer,
  DEFAULT_BODY_LIMITS,
  DEFAULT_LIMITS,
  DEFAULT_SECURITY_HEADERS,
  DEFAULT_STREAMS,
  type Rate,
  type RateLimits,
  type SeatRushHttpOptions,
} from './options';
import { isSafeId, type Route, Router } from './router';
import { StreamHub } from './sse';
import { waitingListRoutes } from './waiting-list-routes';

/** The API, ready to mount: {@link SeatRushHttp.handle} answers a request, or leaves it to the next handler. */
export interface SeatRushHttp {
  /**
   * Answers `request` when it is one of the API's routes (its `url` relative to where the API is
   * mounted) and resolves true; resolves false, writing nothing, when it is not (the host's other
   * routes, or a 404 of its own). Never rejects: every failure is an answer.
   */
  handle(request: SeatRushRequest, response: SeatRushResponse): Promise<boolean>;
  /** Refuses a session from now on, on every instance (logout): through the guard's blocklist. */
  revoke(sessionId: string, ttlMs: number): Promise<void>;
  /** The guard the API checks every request with (to charge a host's own routes, e.g. sign-in). */
  readonly guard: RequestGuard;
  /** Open SSE streams in this process. */
  readonly streams: number;
  /** Ends every stream (telling clients to reconnect) and stops the live updates. */
  close(): void;
}

interface Budget {
  capacity: number;
  refillPerSecond: number;
}

/** Builds the API over a runtime; every option is checked here, once. */
export function createSeatRushHttp(options: SeatRushHttpOptions): SeatRushHttp {
  const { runtime } = options;
  if (typeof options.identify !== 'function')
    throw new ConfigurationError('identify: a function (request) => buyer | null');
  if (typeof options.authorizeOperator !== 'function') {
    throw new ConfigurationError('authorizeOperator: a function (request) => boolean');
  }
  const limits: RateLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const budget = (name: keyof RateLimits): Budget => budgetOf(name, limits[name]);
  const budgets = {
    global: budget('global'),
    address: budget('perAddress'),
    buyer: budget('perBuyer'),
    joins: budget('joins'),
    joinsPerAddress: limits.joinsPerAddress
      ? budgetOf('joinsPerAddress', limits.joinsPerAddress)
      : { ...budget('joins'), capacity: budget('joins').capacity * 4 },
    operator: budget('operator'),
    operatorFailures: budget('operatorFailures'),
  };
  const bodyLimits = { ...DEFAULT_BODY_LIMITS, ...options.bodyLimits };
  const guard = options.guard ?? new MemoryRequestGuard();
  const resolveAddress = clientAddressResolver(options.trustProxy ?? false);
  const headers =
    options.securityHeaders === false ? {} : { ...DEFAULT_SECURITY_HEADERS, ...options.securityHeaders };
  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  const hub = new StreamHub({ ...DEFAULT_STREAMS, ...options.streams });
  const live = new LiveUpdates(runtime, hub, options.seatMap);
  const now = () => runtime.clock.now();
  const observe = options.observe;
  const routes: Array<Route<RouteSpec>> = [
    ...buyerRoutes({
      runtime,
      live,
      bodyLimit: bodyLimits.buyer,
      challenges: options.challenges,
      queueStatusCodes: statusCodesOf(options.queueStatusCodes),
    }),
    ...waitingListRoutes({
      runtime,
      live,
      bodyLimit: bodyLimits.buyer,
      // the waiting list runs the guard the queue runs, unless the host gives another
      joinGuard: options.joinGuard ?? runtime.joinGuard ?? undefined,
      joinContext,
    }),
    ...checkoutRoutes({
      runtime,
      live,
      webhookLimit: bodyLimits.webhook,
      onPayment: options.onPayment,
    }),
    ...operatorRoutes({
      runtime,
      live,
      guard,
      bodyLimit: bodyLimits.operator,
      saleDefinitionLimit: bodyLimits.saleDefinition,
      invitations: options.invitations,
      subjectOf: (kind, value) => (kind === 'ip' ? `ip:${addressGroup(value)}` : `user:${value}`),
    }),
  ];
  // each route knows its pattern, for `observe` (metrics by route, never by raw path)
  const router = new Router<RouteSpec>(routes.map((r) => ({ ...r, route: { ...r.route, pattern: r.path } })));
  const limit = (scope: string, key: string, b: Budget): GuardLimit => ({ scope, key, ...b });

  /** Checks the blocklist and charges every budget of the request: one store call. */
  async function admit(subjects: string[], charges: GuardLimit[], at: number): Promise<void> {
    const verdict = await guard.check({ subjects, limits: charges, now: at });
    if (verdict.ok) return;
    if (verdict.code === 'BLOCKED') {
      throw new HttpError('BLOCKED', 'access refused', { reason: verdict.reason, until: verdict.until });
    }
    const seconds = String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1_000)));
    throw new HttpError(
      'RATE_LIMITED',
      `too many requests (${verdict.scope})`,
      { scope: verdict.scope, retryAfterMs: verdict.retryAfterMs },
      { headers: { 'Retry-After': seconds } },
    );
  }

  async function identify(request: SeatRushRequest, at: number): Promise<Buyer> {
    const buyer = await options.identify(request, at);
    if (!buyer) throw new HttpError('UNAUTHENTICATED', 'sign in first');
    if (!isSafeId(buyer.id))
      throw new ConfigurationError('identify returned a buyer id outside the safe alphabet');
    return buyer;
  }

  /** A browser sends cookies by itself: a cookie-authenticated change must come from our own pages. */
  function checkOrigin(request: SeatRushRequest): void {
    const origin = header(request, 'origin');
    if (origin === undefined) {
      if (header(request, 'sec-fetch-site') === 'cross-site') throw badOrigin();
      return;
    }
    if (allowedOrigins.has(origin)) return;
    const host = header(request, 'host');
    const at = origin.indexOf('://');
    if (host === undefined || at < 0 || origin.slice(at + 3) !== host) throw badOrigin();
  }

  async function operatorAccess(request: SeatRushRequest, address: string, at: number): Promise<void> {
    await admit(
      [`ip:${address}`, `operator-auth:${address}`],
      [limit('global', 'global', budgets.global), limit('operator', `op:${address}`, budgets.operator)],
      at,
    );
    if (await options.authorizeOperator(request)) return;
    // a failure spends the address's failure budget; once spent, the address is blocked a while
    const failures = await guard.check({
      subjects: [],
      limits: [limit('operator-auth', `op-fail:${address}`, budgets.operatorFailures)],
      now: at,
    });
    if (!failures.ok) {
      await guard.block({
        subject: `operator-auth:${address}`,
        reason: 'OPERATOR_AUTH_FAILURES',
        ttlMs: 15 * 60_000,
        now: at,
      });
    }
    throw new HttpError('UNAUTHENTICATED', 'operator authentication required');
  }

  async function run(
    request: SeatRushRequest,
    response: SeatRushResponse,
    spec: RouteSpec,
    params: Record<string, string>,
  ) {
    const at = now();
    const method = request.method ?? 'GET';
    const ip = resolveAddress(request.socket?.remoteAddress, header(request, 'x-forwarded-for'));
    const address = addressGroup(ip);
    let buyer: Buyer | null = null;
    if (spec.access === 'operator') {
      await operatorAccess(request, address, at);
    } else {
      const subjects = [`ip:${address}`];
      const charges = [
        limit('global', 'global', budgets.global),
        limit('ip', `ip:${address}`, budgets.address),
      ];
      if (spec.access === 'buyer') {
        buyer = await identify(request, at);
        if (buyer.cookie && method !== 'GET' && method !== 'HEAD') checkOrigin(request);
        subjects.push(`user:${buyer.id}`);
        if (buyer.sessionId) subjects.push(`session:${buyer.sessionId}`);
        charges.push(limit('user', `user:${buyer.id}`, budgets.buyer));
        if (spec.joins) {
          charges.push(limit('joins', `join:${buyer.id}`, budgets.joins));
          charges.push(limit('joins', `join-ip:${address}`, budgets.joinsPerAddress));
        }
      }
      await admit(subjects, charges, at);
    }
    const body =
      spec.rawBodyLimit !== undefined
        ? await readBody(request, spec.rawBodyLimit)
        : spec.bodyLimit === undefined
          ? EMPTY_BODY
          : await readJson(request, spec.bodyLimit);
    const exchange: Exchange = { request, response, params, ip, address, now: at, buyer, body, headers };
    await spec.handle(exchange);
  }

  /** Answers what a route threw; the answer's code. */
  function fail(response: SeatRushResponse, error: unknown): string {
    const { status, body, extra } = answerOf(error);
    if (response.headersSent) {
      if (!response.writableEnded) response.end();
      return body.error.code;
    }
    const payload = JSON.stringify(body);
    response.writeHead(status, {
      ...headers,
      ...extra,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(payload),
      'Cache-Control': 'no-store',
      // a body left unread (too large, refused before reading) must not be parsed as the next request
      ...(status === 413 || status === 415 ? { Connection: 'close' } : {}),
    });
    response.end(payload);
    return body.error.code;
  }

  return {
    guard,
    get streams() {
      return hub.size;
    },
    async handle(request, response) {
      const started = observe ? performance.now() : 0;
      let match: ReturnType<typeof router.match> = null;
      let code: string | undefined;
      try {
        const url = request.url ?? '/';
        const query = url.indexOf('?');
        match = router.match(request.method ?? 'GET', query < 0 ? url : url.slice(0, query));
        if (!match) return false;
        await run(request, response, match.route, match.params);
      } catch (error) {
        code = fail(response, error);
      }
      if (observe) {
        observe({
          method: request.method ?? 'GET',
          route: match?.route.pattern ?? 'unmatched',
          params: match?.params ?? {},
          status: (response as { statusCode?: number }).statusCode ?? 0,
          code,
          durationMs: performance.now() - started,
        });
      }
      return true;
    },
    async revoke(sessionId, ttlMs) {
      await guard.block({ subject: `session:${sessionId}`, reason: 'SIGNED_OUT', ttlMs, now: now() });
    },
    close() {
      hub.close();
      live.close();
    },
  };
}

const EMPTY_BODY = Object.freeze({});

function budgetOf(name: string, rate: Rate | undefined): Budget {
  if (!rate || !(rate.perSecond > 0) || !(rate.burst >= 1)) {
    throw new ConfigurationError(`limits.${name}: perSecond > 0 and burst >= 1`);
  }
  return { capacity: rate.burst, refillPerSecond: rate.perSecond };
}

function statusCodesOf(
  codes: SeatRushHttpOptions['queueStatusCodes'],
): Readonly<Partial<Record<string, number>>> {
  for (const [state, code] of Object.entries(codes ?? {})) {
    if (
      !['WAITING', 'ADMITTED', 'PRE_QUEUE'].includes(state) ||
      !Number.isInteger(code) ||
      code < 200 ||
      code > 299
    ) {
      throw new ConfigurationError(
        `queueStatusCodes.${state}: a 2xx status of WAITING, ADMITTED or PRE_QUEUE`,
      );
    }
  }
  return { ...codes };
}

function badOrigin(): HttpError {
  return new HttpError('BAD_ORIGIN', 'this change must come from the site itself (Origin)');
}

/**
 * When to try again after a refusal that passes by itself, for answers that do not say it
 * themselves: SALE_NOT_WARM is a sale the store lost being rebuilt from the source of truth.
 */
const RETRY_AFTER_MS: Readonly<Record<string, number>> = { SALE_NOT_WARM: 1_000 };

/** The answer of whatever a route threw: a 4xx for the client's mistakes, 503 for the stores, 500 for bugs. */
function answerOf(error: unknown): { status: number; body: ErrorBody; extra: Record<string, string> } {
  if (error instanceof HttpError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message, ...error.details } };
    // a refusal that passes by itself says when to try again, to every HTTP client too
    const retryAfterMs = body.error.retryAfterMs ?? RETRY_AFTER_MS[error.code];
    if (typeof retryAfterMs !== 'number') return { status: error.status, body, extra: { ...error.headers } };
    body.error.retryAfterMs = retryAfterMs;
    const seconds = String(Math.max(1, Math.ceil(retryAfterMs / 1_000)));
    return { status: error.status, body, extra: { 'Retry-After': seconds, ...error.headers } };
  }
  if (error instanceof ValidationError) {
    return {
      status: 400,
      body: { error: { code: error.code, message: error.message, issues: error.issues } },
      extra: {},
    };
  }
  if (error instanceof UnknownSaleError) {
    return { status: 404, body: { error: { code: error.code, message: error.message } }, extra: {} };
  }
  if (error instanceof SeatRushError && error.code === 'INFRASTRUCTURE') {
    // not "nothing was changed": a release the store made but the source of truth could not record
    // is refused too, and so is a write whose outcome is unknown; every route is safe to repeat
    return {
      status: 503,
      body: {
        error: { code: 'INFRASTRUCTURE', message: 'a store is unavailable; send the same request again' },
      },
      extra: { 'Retry-After': '1' },
    };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } }, extra: {} };
}
