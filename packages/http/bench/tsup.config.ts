import { defineConfig } from 'tsup';

/** The benchmarks, bundled with the package's sources (run: `pnpm --filter @seatrush/http bench`). */
export default defineConfig({
  entry: {
    ratios: 'bench/ratios.ts',
    'sse-server': 'bench/sse-server.ts',
    load: 'bench/load.ts',
    'bare-sse-server': 'bench/bare-sse-server.ts',
  },
  outDir: 'dist/bench',
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  clean: false,
  noExternal: [/^@seatrush\//],
  external: ['fastify', 'autocannon', 'ioredis', 'zod'],
  esbuildOptions(options) {
    options.conditions = ['@seatrush/source'];
  },
});
