import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { type AppConfig, loadConfig } from './config';
import { createLogger } from './ops/logger';
import { startApp } from './server';

/**
 * The example app's entry point (`node dist/main.js`, `pnpm start`, `./scripts/demo.sh`):
 * configuration from the environment, the demo sale opened, the URL printed. SIGINT/SIGTERM shut
 * it down gracefully. With `PROCESSES=N` (real servers only) this process is the primary of N
 * node:cluster workers, each a whole instance of the app on the same port (see {@link supervise}).
 */
/** The longest a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_BOUND_MS = 15_000;

/** What a worker process tells the primary once it serves. */
interface ReadyMessage {
  type: 'seatrush:ready';
  url: string;
  port: number;
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger(config.logLevel);
  if (config.processes > 1 && cluster.isPrimary) return supervise(config, log);
  const app = await startApp(config, { log });
  const mode = app.platform.mode === 'memory' ? 'embedded in-memory default' : 'Redis + Kafka + PostgreSQL';
  log.info({ url: app.url, mode, worker: config.worker, pid: process.pid }, 'SeatRush example app started');
  if (cluster.isWorker) {
    // the primary prints the banner once every process serves
    process.send?.({ type: 'seatrush:ready', url: app.url, port: app.port } satisfies ReadyMessage);
  } else {
    banner(config, app.url, mode);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // every step of close() is bounded; this bounds the whole, whatever a dependency does
    setTimeout(() => {
      log.error({ boundMs: SHUTDOWN_BOUND_MS }, 'shutdown took too long: exiting');
      process.exit(1);
    }, SHUTDOWN_BOUND_MS).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // a stray rejection is a bug to see in the logs, not a reason to drop every buyer's connection
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // a worker whose primary is gone (even SIGKILLed) must not serve on alone
  if (cluster.isWorker) process.on('disconnect', () => stop('primary gone'));
}

/** The human-facing lines, on stderr so stdout stays pure JSON logs. */
function banner(config: AppConfig, url: string, mode: string): void {
  process.stderr.write(
    [
      '',
      `  SeatRush example app (${mode})`,
      `  Buyers:    ${url}/`,
      `  Operators: ${url}/operator.html`,
      config.operatorTokenGenerated
        ? `  Operator token (random, set OPERATOR_TOKEN to choose one): ${config.operatorToken}`
        : '  Operator token: from OPERATOR_TOKEN',
      `  Metrics:   ${url}/metrics   Health: ${url}/health`,
      '',
      '',
    ].join('\n'),
  );
}

/**
 * `PROCESSES=N`: this process serves nothing itself; it forks N workers (node:cluster), each a
 * whole instance of the app (HTTP, worker, sale loops) on the same servers, namespace and secrets,
 * so they act as one sale as several instances do. They share the port by SO_REUSEPORT (each its
 * own accept queue) or, with `PROCESS_SHARING=cluster`, through this process's round robin. The
 * first starts alone (it creates the namespace's schema, topics and the demo sale), then the
 * others one by one. A worker that dies is replaced; SIGINT/SIGTERM stop them all gracefully.
 */
async function supervise(config: AppConfig, log: Logger): Promise<void> {
  // secrets generated here, once: each process generating its own would refuse the others' cookies
  const shared: Record<string, string> = {
    SESSION_SECRET: config.sessionSecret,
    INVITATION_SECRET: config.invitationSecret,
    OPERATOR_TOKEN: config.operatorToken,
  };
  let stopping = false;
  let port = config.port;
  const fork = (index: number): Promise<{ worker: Worker; ready: ReadyMessage }> =>
    new Promise((resolve, reject) => {
      // with reuseport every process binds the first one's port itself (PORT=0 would give each its own)
      const env =
        config.processSharing === 'reuseport' && index > 0 ? { ...shared, PORT: String(port) } : shared;
      const worker = cluster.fork({ ...env, SEATRUSH_PROCESS_INDEX: String(index) });
      const onExit = (code: number | null, signal: string | null) =>
        reject(new Error(`process ${index} exited (${signal ?? code}) while starting`));
      worker.once('exit', onExit);
      worker.on('message', (message: ReadyMessage) => {
        if (message?.type !== 'seatrush:ready') return;
        worker.off('exit', onExit);
        worker.once('exit', (code, signal) => {
          if (stopping) return;
          log.error({ index, pid: worker.process.pid, code, signal }, 'a process died: starting another');
          setTimeout(() => {
            if (!stopping) fork(index).catch((error: unknown) => log.error({ err: error }, 'restart failed'));
          }, 1_000);
        });
        resolve({ worker, ready: message });
      });
    });
  const stopAll = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down every process');
    setTimeout(() => process.exit(1), SHUTDOWN_BOUND_MS + 2_000).unref();
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    if (workers.length === 0) process.exit(0);
    let left = workers.length;
    for (const worker of workers) {
      worker.once('exit', () => {
        left--;
        if (left === 0) process.exit(0);
      });
      worker.process.kill('SIGTERM');
    }
  };
  process.on('SIGINT', () => stopAll('SIGINT'));
  process.on('SIGTERM', () => stopAll('SIGTERM'));
  try {
    const first = await fork(0);
    port = first.ready.port;
    for (let index = 1; index < config.processes; index++) await fork(index);
    const pids = Object.values(cluster.workers ?? {}).map((w) => w?.process.pid);
    log.info(
      { url: first.ready.url, processes: config.processes, sharing: config.processSharing, pids },
      'SeatRush example app started',
    );
    banner(
      config,
      first.ready.url,
      `Redis + Kafka + PostgreSQL, ${config.processes} processes (${config.processSharing})`,
    );
  } catch (error) {
    stopAll('start failed');
    throw error;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `SeatRush example app failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
