import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests run against the TypeScript sources of the workspace packages, never a stale dist/.
// Listed most specific first: an alias matches its key and any path under it.
const alias = {
  '@seatrush/core/ports': here('./packages/core/src/subpaths/ports.ts'),
  '@seatrush/core/services': here('./packages/core/src/subpaths/services.ts'),
  '@seatrush/core/memory': here('./packages/core/src/subpaths/memory.ts'),
  '@seatrush/core/testing': here('./packages/core/src/subpaths/testing.ts'),
  '@seatrush/core': here('./packages/core/src/index.ts'),
  '@seatrush/conformance': here('./packages/conformance/src/index.ts'),
  '@seatrush/redis-adapter': here('./packages/redis-adapter/src/index.ts'),
  '@seatrush/kafka-adapter': here('./packages/kafka-adapter/src/index.ts'),
  '@seatrush/pg-adapter': here('./packages/pg-adapter/src/index.ts'),
  '@seatrush/simulation': here('./packages/simulation/src/index.ts'),
  '@seatrush/http': here('./packages/http/src/index.ts'),
  '@seatrush/stripe-adapter': here('./packages/stripe-adapter/src/index.ts'),
  '@seatrush/test-support': here('./test/support/index.ts'),
};

const integration = '**/*.integration.test.ts';
const cluster = '**/*.cluster.test.ts';

// Retries: the integration and cluster tests run against real servers on a small shared machine,
// where a consumer-group rebalance or a leader election can outlast a test's bound; a retried test
// starts from scratch and must pass whole, so a real defect still fails (every time). The unit
// project retries once for the same reason under a loaded CI machine. Flakes we find are fixed at
// their cause (see the git log), not left to the retry.
export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
          exclude: [integration, cluster, '**/node_modules/**'],
          // a bound, not a measurement: CI machines are small and run many files at once
          testTimeout: 30_000,
          hookTimeout: 60_000,
          retry: 1,
        },
      },
      {
        // the servers' addresses come from the environment (or testcontainers, where Docker answers)
        extends: true,
        test: {
          name: 'integration',
          include: [
            `packages/*/test/${integration}`,
            `examples/*/test/${integration}`,
            `test/${integration}`,
          ],
          exclude: ['**/node_modules/**'],
          globalSetup: ['./test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          retry: 2,
        },
      },
      {
        // the scale-out servers: `pnpm services up cluster` starts them, ./scripts/test.sh always does
        extends: true,
        test: {
          name: 'cluster',
          include: [`packages/*/test/${cluster}`, `test/${cluster}`],
          exclude: ['**/node_modules/**'],
          testTimeout: 90_000,
          hookTimeout: 120_000,
          retry: 2,
        },
      },
    ],
  },
});
