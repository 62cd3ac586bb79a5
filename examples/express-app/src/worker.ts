import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { separateSecrets } from '@seatrush/http';
import express from 'express';
import { loadConfig } from './config';
import { createLogger } from './ops/logger';
import { AppMetrics } from './ops/metrics';
import { PaymentSimulator } from './payment-simulator';
import { createPlatform } from './platform/platform';

/**
 * The worker on its own (`node dist/worker.js`): the Kafka consumer side of the pipeline — the
 * SDK's `ReservationProcessor` (persist, charge, confirm or compensate) — for scaling out beside
 * API instances started with `WORKER=false`. Every worker joins the same consumer group, so Kafka
 * spreads the partitions over them. It serves `/health` and `/metrics` on PORT (default 3000; set
 * it apart from the API's when both run on one machine).
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger(config.logLevel).child({ role: 'worker' });
  if (!config.servers) {
    throw new Error('the worker consumes from Kafka: set REDIS_URL, KAFKA_BROKERS and DATABASE_URL');
  }
  // the buyer checkout's simulator keeps its payments in the API process: a worker here would void none
  if (config.checkout === 'buyer')
    throw new Error('CHECKOUT=buyer runs the worker inside the API (WORKER=true)');
  const { serverPorts } = await import('./platform/servers');
  const ports = await serverPorts(config.servers, { namespace: config.namespace, log });
  const platform = createPlatform(ports, {
    tokenSecret: separateSecrets(config.sessionSecret).admissionSecret,
    worker: true,
    saleLoops: false,
    powDifficulty: config.powDifficulty,
    payments: new PaymentSimulator(config.payment),
    log,
  });
  await platform.runtime.start();

  const metrics = new AppMetrics();
  const app = express();
  app.get('/health', async (_req, res) => {
    const { dependencies, breakers } = await platform.runtime.health();
    const ok = Object.values(dependencies).every((d) => d.ok);
    res
      .status(ok ? 200 : 503)
      .json({ status: ok ? 'ok' : 'degraded', role: 'worker', dependencies, breakers });
  });
  app.get('/metrics', async (_req, res) => {
    metrics.consumerLag.set(await platform.runtime.workerLag().catch(() => -1));
    for (const [pool, usage] of Object.entries(platform.pools())) {
      for (const state of ['total', 'idle', 'waiting'] as const)
        metrics.poolUsage.set({ pool, state }, usage[state]);
    }
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const { port } = server.address() as AddressInfo;
  log.info({ port, namespace: config.namespace }, 'SeatRush worker started');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'worker shutting down: finishing the events in hand');
    server.close();
    platform.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'worker shutdown failed');
        process.exit(1);
      },
    );
  };
  // a stray rejection is a bug to see in the logs, not a reason to drop every buyer's connection
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `SeatRush worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
