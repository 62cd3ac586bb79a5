// Bundles a TypeScript entry of this workspace for Node with esbuild, the workspace packages read
// from their sources: the simulator's CLI (simulate.mjs) and compare.mjs's drivers share it.
import { build } from 'esbuild';

/**
 * Bundles `entry` into the ES module `outfile` for Node 22, everything inlined.
 * @param {string} entry the TypeScript entry point
 * @param {string} outfile the bundle to write
 * @param {import('esbuild').BuildOptions} [options] anything else esbuild takes (plugins, …)
 */
export function bundleForNode(entry, outfile, options = {}) {
  return build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    conditions: ['@seatrush/source'],
    logLevel: 'error',
    ...options,
  });
}
