import { loadConfig } from './config';
import { createLogger } from './ops/logger';
import { startApp } from './server';

/**
 * The example app's entry point (`node dist/main.js`, `pnpm start`, `./scripts/demo.sh`):
 * configuration from the environment, the demo sale opened, the URL printed. SIGINT/SIGTERM shut
 * it down gracefully.
 */
/** The longest a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_BOUND_MS = 15_000;

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger(config.logLevel);
  const app = await startApp(config, { log });
  const mode = app.platform.mode === 'memory' ? 'embedded in-memory default' : 'Redis + Kafka + PostgreSQL';
  log.info({ url: app.url, mode, worker: config.worker }, 'SeatRush example app started');
  // the human-facing lines go to stderr, so stdout stays pure JSON logs
  process.stderr.write(
    [
      '',
      `  SeatRush example app (${mode})`,
      `  Buyers:    ${app.url}/`,
      `  Operators: ${app.url}/operator.html`,
      config.operatorTokenGenerated
        ? `  Operator token (random, set OPERATOR_TOKEN to choose one): ${config.operatorToken}`
        : '  Operator token: from OPERATOR_TOKEN',
      `  Metrics:   ${app.url}/metrics   Health: ${app.url}/health`,
      '',
      '',
    ].join('\n'),
  );
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
}

main().catch((error: unknown) => {
  process.stderr.write(
    `SeatRush example app failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
