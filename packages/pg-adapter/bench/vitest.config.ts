import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Runs the benchmark against the TypeScript sources (`pnpm --filter @seatrush/pg-adapter bench`);
 * the aliases are the root config's, most specific first (the bench's rows come from the tests'
 * fixtures, which build on the conformance suite's).
 */
export default defineConfig({
  resolve: {
    alias: {
      '@seatrush/core/ports': here('../../core/src/subpaths/ports.ts'),
      '@seatrush/core/services': here('../../core/src/subpaths/services.ts'),
      '@seatrush/core/memory': here('../../core/src/subpaths/memory.ts'),
      '@seatrush/core/testing': here('../../core/src/subpaths/testing.ts'),
      '@seatrush/core': here('../../core/src/index.ts'),
      '@seatrush/conformance': here('../../conformance/src/index.ts'),
      '@seatrush/test-support': here('../../../test/support/index.ts'),
    },
  },
  test: {
    root: here('..'),
    include: ['bench/**/*.bench.ts'],
    testTimeout: 120_000,
    reporters: ['default'],
  },
});
