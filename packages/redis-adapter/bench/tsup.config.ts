import { defineConfig } from 'tsup';
import { embedLua } from '../tsup.config';

// The benchmarks are plain Node scripts: bundled from the workspace sources (the `@seatrush/source`
// export condition) into dist/bench, with the Lua scripts embedded as in the package's build and
// ioredis left to Node.
export default defineConfig({
  entry: {
    'hot-path': 'bench/hot-path.ts',
    'pre-queue': 'bench/pre-queue.ts',
    'group-reserve': 'bench/group-reserve.ts',
    ratios: 'bench/ratios.ts',
    'script-cost': 'bench/script-cost.ts',
    stripes: 'bench/stripes.ts',
  },
  outDir: 'dist/bench',
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  clean: false,
  dts: false,
  noExternal: [/^@seatrush\//],
  external: ['ioredis'],
  esbuildPlugins: [embedLua()],
  esbuildOptions(options) {
    options.conditions = ['@seatrush/source'];
  },
});
