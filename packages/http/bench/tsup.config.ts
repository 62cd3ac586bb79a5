import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsup';
import { embedLua as embedAdapterLua } from '../../redis-adapter/tsup.config';
import { embedLua } from '../tsup.config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The benchmarks, bundled with the package's sources (run: `pnpm --filter @seatrush/http bench`),
 * and, for `BENCH_STORE=servers`, the adapters' sources (their Lua scripts embedded as their builds
 * do); the drivers stay external (the workspace root has them).
 */
export default defineConfig({
  entry: {
    ratios: 'bench/ratios.ts',
    'sse-server': 'bench/sse-server.ts',
    load: 'bench/load.ts',
    'bare-sse-server': 'bench/bare-sse-server.ts',
    'raw-socket-sse-server': 'bench/raw-socket-sse-server.ts',
    'sse-node-server': 'bench/sse-node-server.ts',
    'many-streams': 'bench/many-streams.ts',
    'many-streams-server': 'bench/many-streams-server.ts',
  },
  outDir: 'dist/bench',
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  clean: false,
  noExternal: [/^@seatrush\//],
  external: ['fastify', 'autocannon', 'ioredis', 'zod', 'pg', 'kafkajs', '@platformatic/kafka'],
  esbuildPlugins: [embedLua(), embedAdapterLua()],
  esbuildOptions(options) {
    options.conditions = ['@seatrush/source'];
    options.alias = {
      '@seatrush/redis-adapter': source('../../redis-adapter/src/index.ts'),
      '@seatrush/pg-adapter': source('../../pg-adapter/src/index.ts'),
      '@seatrush/kafka-adapter': source('../../kafka-adapter/src/index.ts'),
    };
  },
});
