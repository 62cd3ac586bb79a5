import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The repository-level benchmarks (`pnpm exec vitest run --config test/bench/vitest.config.ts`),
 * against the TypeScript sources and the servers of `.services/env`. They print; they never assert
 * a timing.
 */
export default defineConfig({
  resolve: {
    alias: {
      '@seatrush/core/ports': here('../../packages/core/src/subpaths/ports.ts'),
      '@seatrush/core/services': here('../../packages/core/src/subpaths/services.ts'),
      '@seatrush/core/memory': here('../../packages/core/src/subpaths/memory.ts'),
      '@seatrush/core': here('../../packages/core/src/index.ts'),
      '@seatrush/pg-adapter': here('../../packages/pg-adapter/src/index.ts'),
      '@seatrush/redis-adapter': here('../../packages/redis-adapter/src/index.ts'),
    },
  },
  test: {
    root: here('../..'),
    include: ['test/bench/**/*.bench.ts'],
    testTimeout: 600_000,
    reporters: ['default'],
  },
});
