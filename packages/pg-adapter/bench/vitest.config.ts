import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Runs the benchmark against the TypeScript sources (`pnpm --filter @seatrush/pg-adapter bench`). */
export default defineConfig({
  resolve: { alias: { '@seatrush/core': here('../../core/src/index.ts') } },
  test: {
    root: here('..'),
    include: ['bench/**/*.bench.ts'],
    testTimeout: 120_000,
    reporters: ['default'],
  },
});
