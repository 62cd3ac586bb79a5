import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SeatRushHttp, SessionCookies, separateSecrets } from '@seatrush/http';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { AppConfig } from './config';
import { authRoutes } from './http/auth-routes';
import { CheckoutActivity } from './http/checkout-activity';
import { checkoutRoutes, operatorCheckoutRoutes } from './http/checkout-routes';
import { defences } from './http/defences';
import { errorHandler, notFound } from './http/errors';
import { operatorQueueingRoutes } from './http/operator-queueing-routes';
import { OperatorAuth, operatorRoutes } from './http/operator-routes';
import { ResultMetrics } from './http/result-metrics';
import { createSeatRushApi, packageRoutes } from './http/seatrush-api';
import { DemoSessions, sessionReader } from './http/session';
import { SseHub } from './http/sse';
import { AppMetrics } from './ops/metrics';
import { StatsSampler } from './ops/stats';
import type { Platform } from './platform/platform';

/**
 * The web client's files: `public/` at the package root, found from this module's own location,
 * which is one folder below the root both as source (`src/app.ts`) and as the build
 * (`dist/main.js`), so `node dist/main.js` serves them from any working directory.
 */
export const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');

/** The assembled HTTP application and the pieces its owner starts and stops. */
export interface SeatRushApp {
  app: Express;
  /** The API of `@seatrush/http` the app mounts. */
  api: SeatRushHttp;
  hub: SseHub;
  metrics: AppMetrics;
  stats: StatsSampler;
  results: ResultMetrics;
  /** Starts the live loops (stats sampling, SSE fan-out). */
  start(): void;
  /** Ends every SSE stream (telling clients to reconnect) and stops the loops. */
  drain(): Promise<void>;
}

/** Builds the Express application over a platform (in-memory or real servers: same code). */
export function createApp(options: { config: AppConfig; platform: Platform; log: Logger }): SeatRushApp {
  const { config, platform, log } = options;
  const metrics = new AppMetrics();
  const hub = new SseHub({ onCountChange: (open) => metrics.sseConnections.set(open) });
  const now = () => platform.now();
  const stats = new StatsSampler(platform, metrics, hub);
  const results = new ResultMetrics(platform, metrics, stats);
  // the API's request guard lists signed-out sessions too (in Redis on the servers: every
  // instance), so the package's routes and the app's own refuse a cookie after its logout; the
  // session key is SESSION_SECRET's, not the admission tokens' (separateSecrets: one configured
  // secret, two keys)
  const requestGuard = platform.requestGuard;
  const { sessionSecret, admissionSecret } = separateSecrets(config.sessionSecret);
  const sessions = new DemoSessions(
    new SessionCookies({ secret: sessionSecret, admissionSecret, revocations: requestGuard }),
    requestGuard,
  );
  const operatorAuth = new OperatorAuth(config.operatorToken);
  const checkoutActivity = new CheckoutActivity(platform);
  metrics.watchAdaptive(() => platform.runtime.sales());
  metrics.watchBreakers(() => platform.runtime.breakers());
  if (platform.readSide) metrics.watchReadSide(platform.readSide);

  const app = express();
  app.disable('x-powered-by');
  // the demo listens on loopback by default: X-Forwarded-For is not believed unless configured
  app.set('trust proxy', false);
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      if (res.locals.seatrushApi) return; // timed by the package's observe, by route pattern
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      if (res.statusCode >= 500 || route.startsWith('/api/operator'))
        log.info(
          { method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1000) },
          'request',
        );
    });
    next();
  });
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    next();
  });

  app.get('/health', async (_req, res) => {
    const health = await platform.runtime.health();
    // the SDK's circuit breakers: an open one refuses its dependency's calls for a while (issue 20)
    const { dependencies, breakers } = health;
    const sales = health.sales.map(({ saleId, state, warm }) => ({ id: saleId, state, warm }));
    // which sales' leased loops (admission, reconciler) this instance runs now
    const loops = health.sales.map(({ saleId, loops }) => ({ id: saleId, ...loops }));
    const ok = Object.values(dependencies).every((d) => d.ok);
    res
      .status(ok ? 200 : 503)
      .json({ status: ok ? 'ok' : 'degraded', mode: platform.mode, dependencies, breakers, sales, loops });
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  // @seatrush/http serves the API's routes (it reads each body itself, after authentication, so
  // it comes before any body parser), with the demo's login as its identity
  const api = createSeatRushApi({
    config,
    platform,
    sessions,
    guard: requestGuard,
    operatorSignedIn: (headers) => operatorAuth.signedInBy(headers),
    activity: checkoutActivity,
    metrics,
    log,
  });
  app.use('/api', packageRoutes(api));
  // a sale definition carries its whole seat map; buyers' bodies are a few hundred bytes
  app.use('/api/operator', express.json({ limit: '10mb' }));
  app.use('/api', express.json({ limit: '64kb' }));
  app.use('/api/operator', operatorRoutes({ platform, auth: operatorAuth, hub, stats }));
  app.use('/api/operator', operatorQueueingRoutes({ platform, auth: operatorAuth }));
  app.use('/api/operator', operatorCheckoutRoutes({ auth: operatorAuth, activity: checkoutActivity }));
  app.use('/api', sessionReader(sessions, now));
  app.use('/api', defences(platform, requestGuard, metrics, config.rates));
  app.use('/api', authRoutes(sessions, now));
  app.use('/api', checkoutRoutes({ platform, activity: checkoutActivity }));
  app.use('/api', notFound);
  app.use(express.static(PUBLIC_DIR, { index: 'index.html', maxAge: '1m' }));
  app.use(notFound);
  app.use(errorHandler(log));

  return {
    app,
    api,
    hub,
    metrics,
    stats,
    results,
    start() {
      stats.start();
      results.start();
    },
    async drain() {
      api.close();
      hub.drain();
      results.stop();
      await stats.stop();
    },
  };
}
