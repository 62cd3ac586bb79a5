import {
  createSeatRushHttp,
  type ExpressMiddleware,
  expressMiddleware,
  type RequestGuard,
  type SeatRushHttp,
} from '@seatrush/http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import type { AppMetrics } from '../ops/metrics';
import type { Platform } from '../platform/platform';
import type { CheckoutActivity } from './checkout-activity';
import { loadSeats } from './seat-map';
import type { DemoSessions } from './session';

/**
 * The buyer and operator API of `@seatrush/http` over the platform's runtime, with the demo's
 * identity: the demo login's signed cookie is the buyer, the operator token (or the dashboard's
 * cookie) the operator. Everything else (the routes, their defences, their streams) is the
 * package's.
 */
export function createSeatRushApi(deps: {
  config: AppConfig;
  platform: Platform;
  sessions: DemoSessions;
  /** The request guard (limits, blocks and signed-out sessions) the package checks every request with. */
  guard: RequestGuard;
  operatorSignedIn: (headers: { authorization?: string | undefined; cookie?: string | undefined }) => boolean;
  activity: CheckoutActivity;
  metrics: AppMetrics;
  log: Logger;
}): SeatRushHttp {
  const { config, platform, sessions } = deps;
  const { rates } = config;
  // a steady rate with bursts of twice it, as the demo's own limits had
  const rate = (perSecond: number) => ({ perSecond, burst: Math.max(1, Math.ceil(perSecond * 2)) });
  return createSeatRushHttp({
    runtime: platform.runtime,
    // the buyer and their session id: a signed-out session is refused in the guard's one check
    identify: (request, now) => sessions.cookies.identify(request, now),
    guard: deps.guard,
    authorizeOperator: (request) => {
      const { authorization, cookie } = request.headers;
      return deps.operatorSignedIn({
        authorization: typeof authorization === 'string' ? authorization : undefined,
        cookie: typeof cookie === 'string' ? cookie : undefined,
      });
    },
    limits: {
      perAddress: rate(rates.perIp),
      perBuyer: rate(rates.perUser),
      global: rate(rates.global),
      // a twentieth of a buyer's requests may be joins (the package's 0.5/s at the default 10/s);
      // an address's joins follow its request rate (many buyers may share one)
      joins: { perSecond: rates.perUser / 20, burst: Math.max(5, Math.ceil(rates.perUser / 2)) },
      joinsPerAddress: rate(rates.perIp),
    },
    streams: { perAddress: config.streamsPerIp },
    challenges: platform.proofOfWork,
    // on the real servers, seat maps come from the read side while it is fresh (seat-map.ts)
    seatMap: (saleId) => loadSeats(platform, saleId),
    queueStatusCodes: config.queueStatusCodes,
    // the demo listens on loopback by default: X-Forwarded-For is not believed unless configured
    trustProxy: false,
    invitations: platform.invitations,
    onPayment: ({ saleId, userId, payment }) => deps.activity.begun(saleId, userId, payment),
    observe: (answer) => {
      const { metrics } = deps;
      const status = String(answer.status);
      if (answer.status >= 500 || answer.route.startsWith('/operator')) {
        const ms = Math.round(answer.durationMs);
        deps.log.info(
          { method: answer.method, route: `/api${answer.route}`, status: answer.status, ms },
          'request',
        );
      }
      metrics.httpDuration.observe(
        { method: answer.method, route: `/api${answer.route}`, status },
        answer.durationMs / 1_000,
      );
      if (RESERVE_ROUTES.has(answer.route) && answer.params.saleId) {
        const code = answer.code ?? (answer.status === 202 ? 'OUTCOME_UNKNOWN' : 'ACCEPTED');
        metrics.reserveOutcomes.inc({ sale: answer.params.saleId, code });
      }
    },
  });
}

const RESERVE_ROUTES = new Set(['/sales/:saleId/reservations', '/sales/:saleId/group-reservations']);

/** One group of the package's routes the example serves through it: a path, and its methods (all when absent). */
export interface PackageRoute {
  path: RegExp;
  methods?: readonly string[];
}

/**
 * The route groups of the API the example serves through the package (paths relative to `/api`);
 * the others are still the example's own routes, mounted after it.
 */
export const PACKAGE_ROUTES: readonly PackageRoute[] = [
  // the sales, a sale's description, its seat map and the map's stream
  { path: /^\/sales\/?$/ },
  { path: /^\/sales\/[^/]+\/?$/ },
  { path: /^\/sales\/[^/]+\/seats(\/stream)?\/?$/ },
  // the buyer-driven checkout and the provider's webhook
  { path: /^\/sales\/[^/]+\/reservations\/[^/]+\/checkout(\/extend)?\/?$/ },
  { path: /^\/webhooks\/payments\/?$/ },
  // reservations: reserve, a group of seats together, and a reservation's view, status (a saved
  // id, 200 either way), stream, extension, release
  { path: /^\/sales\/[^/]+\/(group-)?reservations\/?$/ },
  { path: /^\/sales\/[^/]+\/reservations\/[^/]+(\/stream|\/extend|\/status)?\/?$/ },
  // the waiting room: the challenge, join, status, place, stream, heartbeat and leave
  { path: /^\/sales\/[^/]+\/challenge\/?$/ },
  { path: /^\/sales\/[^/]+\/queue(\/place|\/stream|\/heartbeat)?\/?$/ },
  // the waiting list after sell-out: join, place, stream, leave (or decline), claim an offer
  { path: /^\/sales\/[^/]+\/waiting-list(\/place|\/stream)?\/?$/ },
  { path: /^\/sales\/[^/]+\/waiting-list\/offers\/[^/]+\/claim\/?$/ },
  // operator: the sales list, the lifecycle, the admission rate, the queueing method, adaptive
  // admission, reconciliation, dead letters
  { path: /^\/operator\/sales\/?$/, methods: ['GET', 'HEAD'] },
  { path: /^\/operator\/sales\/[^/]+\/(warm-up|open|pause|resume|close|reconcile)\/?$/ },
  { path: /^\/operator\/sales\/[^/]+\/(admission-rate|queueing|adaptive|adaptive\/adjust)\/?$/ },
  { path: /^\/operator\/dead-letters(\/[^/]+\/redrive)?\/?$/ },
];

/**
 * Mounts the package for the paths of {@link PACKAGE_ROUTES}; every other path goes on. The
 * package's answers are timed by its `observe` (by route pattern), so `res.locals.seatrushApi`
 * tells the app's own timing to leave them out.
 */
export function packageRoutes(api: SeatRushHttp, routes = PACKAGE_ROUTES): RequestHandler {
  const serve: ExpressMiddleware = expressMiddleware(api);
  const ours = (method: string, path: string) =>
    routes.some((route) => route.path.test(path) && (!route.methods || route.methods.includes(method)));
  return (req, res, next) => {
    if (!ours(req.method, req.path)) return next();
    res.locals.seatrushApi = true;
    serve(req, res, next);
  };
}
