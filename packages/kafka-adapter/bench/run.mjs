// Bundles a benchmark's TypeScript (workspace sources included) with tsup and runs it with Node.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { build } from 'tsup';

const entry = resolve(process.argv[2] ?? 'bench/publish.ts');
const outDir = mkdtempSync(join(tmpdir(), 'seatrush-bench-'));
await build({
  entry: [entry],
  outDir,
  format: ['cjs'],
  platform: 'node',
  target: 'node22',
  noExternal: [/.*/],
  config: false,
  dts: false,
  silent: true,
  esbuildOptions(options) {
    options.conditions = ['@seatrush/source'];
  },
});
const bundle = join(outDir, `${basename(entry, '.ts')}.cjs`);
const { status } = spawnSync(process.execPath, [bundle], {
  stdio: 'inherit',
  env: { ...process.env, NODE_NO_WARNINGS: '1', SEATRUSH_ROOT: resolve(import.meta.dirname, '../../..') },
});
rmSync(outDir, { recursive: true, force: true });
process.exit(status ?? 1);
