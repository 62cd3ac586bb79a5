import { defineConfig } from 'tsup';

// A tool, not a library: one ESM bundle of the command line, Node built-ins only.
export default defineConfig({
  entry: ['src/cli.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node24',
});
