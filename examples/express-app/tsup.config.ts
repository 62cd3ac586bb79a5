import { defineConfig } from 'tsup';

// An application, not a library: ESM bundles of its own code (the server and the stand-alone
// worker); dependencies stay external, ioredis included (it comes with the workspace).
export default defineConfig({
  entry: ['src/main.ts', 'src/worker.ts', 'src/ops/rebuild-read-side-main.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node24',
  external: ['ioredis'],
});
