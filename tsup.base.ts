import { defineConfig, type Options } from 'tsup';

/** The one build every library package shares: ESM + CJS + type declarations for Node 22+. */
export function libraryBuild(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node22',
    ...overrides,
  });
}
