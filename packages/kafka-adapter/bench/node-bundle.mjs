// Bundles TypeScript that runs as its own Node process (a benchmark, a crash test's worker) from the
// workspace's sources, with tsup: the benchmark runner and the crash test share it.
import { build } from 'tsup';

/**
 * ES module output (`<entry>.js`) with a `require` of its own: kafkajs is CommonJS, and its
 * require() of Node's modules needs one in an ES module.
 */
export const esmWithRequire = {
  format: ['esm'],
  outExtension: () => ({ js: '.js' }),
  banner: {
    js: "import { createRequire as __seatrushRequire } from 'node:module'; const require = __seatrushRequire(import.meta.url);",
  },
};

/**
 * Bundles `options.entry` into `options.outDir` for Node 22, everything inlined but
 * @platformatic/kafka (it loads its own WebAssembly next to its modules) and
 * @confluentinc/kafka-javascript (its native addon), so `outDir` must be inside the package, where
 * node_modules has them; workspace packages read from their sources.
 * @param {import('tsup').Options} options the entries, the output and the format
 */
export function bundleForNode(options) {
  return build({
    platform: 'node',
    target: 'node22',
    noExternal: [/^(?!@platformatic\/kafka|@confluentinc\/kafka-javascript)/],
    external: ['@platformatic/kafka', '@confluentinc/kafka-javascript'],
    config: false,
    dts: false,
    silent: true,
    esbuildOptions(esbuild) {
      esbuild.conditions = ['@seatrush/source'];
    },
    ...options,
  });
}
