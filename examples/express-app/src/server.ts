import { createServer, type Server } from 'node:http';
import { type BotGuardOptionsInput, memoryPorts } from '@seatrush/core';
import { type LaneListenOptions, listenInLanes, separateSecrets } from '@seatrush/http';
import type { Logger } from 'pino';
import { createApp, type SeatRushApp } from './app';
import type { AppConfig } from './config';
import { demoSale } from './demo-sale';
import { PaymentSimulator } from './payment-simulator';
import { type AppPorts, createPlatform, type Platform } from './platform/platform';

/** A started app: its address, its parts (for tests and tooling) and how to stop it. */
export interface RunningApp {
  url: string;
  port: number;
  server: Server;
  platform: Platform;
  seatrush: SeatRushApp;
  /** Graceful shutdown: stop accepting, drain SSE, finish requests, flush the publisher, disconnect. */
  close(): Promise<void>;
}

/** Options beyond the environment, for tests and embedding. */
export interface StartOptions {
  log: Logger;
  /** The ports to run on; the configuration decides (memory or servers) when absent. */
  ports?: AppPorts;
  botGuard?: BotGuardOptionsInput;
  /** Random source of the payment simulator (tests make failures deterministic). */
  random?: () => number;
}

/**
 * Starts the whole example: platform (SDK services over the chosen adapters), the demo sale
 * (created, warmed up and opened), the worker and loops, and the HTTP server.
 */
export async function startApp(config: AppConfig, options: StartOptions): Promise<RunningApp> {
  const { log } = options;
  const ports = options.ports ?? (await portsFor(config, log));
  const payments = new PaymentSimulator(config.payment, options.random);
  const platform = createPlatform(ports, {
    // the admission tokens' key, derived apart from the session cookies' (app.ts)
    tokenSecret: separateSecrets(config.sessionSecret).admissionSecret,
    invitationSecret: config.invitationSecret,
    worker: config.worker,
    saleLoops: config.saleLoops,
    powDifficulty: config.powDifficulty,
    adaptiveIntervalMs: config.adaptiveIntervalMs,
    strategy: config.strategy,
    waitingListClaimMs: config.waitingListClaimMs,
    payments,
    checkout: config.checkout,
    log,
    botGuard: options.botGuard ?? botGuardOptions(config),
  });
  // the sales the source of truth has (a restart must not forget them), before the demo's own
  const restored = await platform.runtime.start();
  if (restored.length > 0) log.info({ sales: restored }, 'sales restored from the source of truth');
  if (config.demoSale !== 'none' && !restored.includes(config.demoSaleId)) {
    const runtime = await platform.runtime.define(
      demoSale({
        id: config.demoSaleId,
        kind: config.demoSale,
        now: platform.now(),
        admitPerSecond: config.admitPerSecond,
        admissionIntervalMs: config.admissionIntervalMs,
        holdMs: config.holdMs,
      }),
      { start: false },
    );
    for (const command of ['warm-up', 'open'] as const) {
      const outcome = await runtime.command(command);
      if (!outcome.ok) throw new Error(`demo sale ${command} failed: ${outcome.code} ${outcome.message}`);
    }
  }
  const seatrush = createApp({ config, platform, log });
  seatrush.start();
  const server = createServer(seatrush.app);
  // SSE streams are long-lived: no request timeout, but headers must still arrive promptly
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  // idle keep-alive connections outlive a load balancer's idle timeout and the queue's heartbeat
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  const port = await listenInLanes(server, listenOptions(config));
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    server,
    platform,
    seatrush,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await seatrush.drain();
        server.closeIdleConnections();
        // requests in flight get a few seconds to finish; then the rest are cut
        const timeout = setTimeout(() => server.closeAllConnections(), 5_000);
        await closed;
        clearTimeout(timeout);
        await platform.close();
      })();
      return closing;
    },
  };
}

/**
 * What the server listens with: the configured backlog (the kernel caps it at
 * `net.core.somaxconn`), its accept lanes and, when several processes share the port with
 * `reuseport`, SO_REUSEPORT (each process its own sockets and accept queues). Under `cluster` the
 * primary holds the one socket: no lanes.
 */
export function listenOptions(config: AppConfig): LaneListenOptions {
  const cluster = config.processes > 1 && config.processSharing === 'cluster';
  return {
    port: config.port,
    host: config.host,
    backlog: config.listenBacklog,
    ...(config.processes > 1 && !cluster ? { reusePort: true } : {}),
    ...(config.acceptLanes > 1 && !cluster ? { lanes: config.acceptLanes } : {}),
  };
}

/** The bot guard's per-IP and per-device thresholds from the configuration; the SDK's defaults for the rest. */
function botGuardOptions(config: AppConfig): BotGuardOptionsInput {
  const perSecond = config.botPerIpPerSecond;
  return {
    burst: { perIp: { maxRequests: perSecond, windowMs: 1_000 } },
    rateLimits: { perIp: { kind: 'sliding-window', limit: perSecond * 6, windowMs: 10_000 } },
    device: { maxAccounts: config.botAccountsPerDevice },
  };
}

/** The ports the configuration asks for: the real servers when their URLs are set, else memory. */
async function portsFor(config: AppConfig, log: Logger): Promise<AppPorts> {
  if (!config.servers) return memoryPorts();
  const { serverPorts } = await import('./platform/servers');
  return serverPorts(config.servers, { namespace: config.namespace, log });
}
