// Bundles the simulator's CLI (workspace sources included) with esbuild and runs it with Node,
// passing the arguments through: `pnpm simulate --seeds 200 --from 1`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundleForNode } from './bundle.mjs';

const here = import.meta.dirname;
const outDir = mkdtempSync(join(here, '../node_modules/.seatrush-simulate-'));
const outfile = join(outDir, 'cli.mjs');
await bundleForNode(join(here, '../src/cli.ts'), outfile);
const { status } = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: 'inherit' });
rmSync(outDir, { recursive: true, force: true });
process.exit(status ?? 1);
