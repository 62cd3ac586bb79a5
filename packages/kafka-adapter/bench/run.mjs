// Bundles a benchmark's TypeScript (workspace sources included) with tsup and runs it with Node.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { bundleForNode, esmWithRequire } from './node-bundle.mjs';

const entry = resolve(process.argv[2] ?? 'bench/publish.ts');
// Inside the package, so the bundle finds @platformatic/kafka in node_modules.
const outDir = mkdtempSync(join(import.meta.dirname, '../node_modules/.seatrush-bench-'));
await bundleForNode({
  // the publisher thread's module beside the bundle, where the publisher looks for it
  entry: {
    [basename(entry, '.ts')]: entry,
    'publisher-thread': resolve(import.meta.dirname, '../src/publisher-thread.ts'),
  },
  outDir,
  ...esmWithRequire,
});
const bundle = join(outDir, `${basename(entry, '.ts')}.js`);
const { status } = spawnSync(process.execPath, [bundle], {
  stdio: 'inherit',
  env: { ...process.env, NODE_NO_WARNINGS: '1', SEATRUSH_ROOT: resolve(import.meta.dirname, '../../..') },
});
rmSync(outDir, { recursive: true, force: true });
process.exit(status ?? 1);
