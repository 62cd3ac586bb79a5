// Measures the simulator of this working tree against the simulator of a git revision, side by
// side in one run: `node packages/simulation/bin/compare.mjs --base HEAD --seeds 40 --from 1`. Both are bundled over
// this tree's core (so only the simulator differs), run the same seeds at the same time, one
// process each (so they share the machine's load), and print the CPU per sale of each, their
// ratio, and whether every run went the same way (fingerprint, steps, verdict): a change that only
// makes the simulator cheaper keeps every run identical. `--core <revision>` runs both over that
// revision's core instead (the seeds that found a core bug then must find it with both);
// `--base-memory` gives the base its own revision's memory adapters (core's `src/memory`), the
// rest of core shared, to measure a change of the memory adapters too.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleForNode } from './bundle.mjs';

const { values } = parseArgs({
  options: {
    base: { type: 'string', default: 'HEAD' },
    core: { type: 'string' },
    'base-memory': { type: 'boolean' },
    seeds: { type: 'string', default: '40' },
    from: { type: 'string', default: '1' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(
    'node packages/simulation/bin/compare.mjs [--base <git revision>] [--core <git revision>] [--base-memory] [--seeds N] [--from S]',
  );
  process.exit(0);
}
const count = Number.parseInt(values.seeds, 10);
const from = Number.parseInt(values.from, 10);
const here = import.meta.dirname;
const packageDir = join(here, '..');
// under the package's node_modules, so both bundles resolve @seatrush/core to this tree's
const work = mkdtempSync(join(packageDir, 'node_modules/.seatrush-compare-'));

/** Runs the seeds one after another and prints one JSON line: CPU, wall time, each run's outcome. */
const DRIVER = `
import { runSimulation } from './src/simulation';
const [from, count] = process.argv.slice(2).map(Number);
const runs = [];
const cpu = process.cpuUsage();
const started = performance.now();
for (let seed = from; seed < from + count; seed++) {
  const r = await runSimulation({ seed });
  runs.push({ seed, ok: r.ok, completed: r.completed, steps: r.steps, fingerprint: r.fingerprint, failure: r.failure ? r.failure.invariant + '@' + r.failure.step : null });
}
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ cpuSeconds: (used.user + used.system) / 1e6, wallSeconds: (performance.now() - started) / 1e3, runs }));
`;

const root = join(packageDir, '../..');

/** Writes the files of `path` at `revision` into `dir`. */
function extract(revision, path, dir) {
  mkdirSync(dir, { recursive: true });
  const tar = spawnSync('git', ['archive', '--format=tar', `${revision}:${path}`], {
    cwd: root,
    maxBuffer: 1 << 28,
  });
  if (tar.status !== 0) throw new Error(tar.stderr.toString());
  const untar = spawnSync('tar', ['-x', '-C', dir], { input: tar.stdout });
  if (untar.status !== 0) throw new Error(untar.stderr.toString());
}

/** With `--core`: @seatrush/core and its subpaths resolve to that revision's sources, on both sides. */
const coreAt = values.core ? join(work, 'core') : null;
/**
 * With `--base-memory`: the base side's core is the same, except its memory adapters
 * (`src/memory`), which are the base revision's.
 */
const baseCoreAt = values['base-memory'] ? join(work, 'base-core') : null;
const coreFrom = (dir) => ({
  name: 'core-at-revision',
  setup(build) {
    build.onResolve({ filter: /^@seatrush\/core(\/(ports|services|memory|testing))?$/ }, (args) => {
      const subpath = args.path.split('/')[2];
      return { path: join(dir, 'src', subpath ? `subpaths/${subpath}.ts` : 'index.ts') };
    });
  },
});

async function bundle(side, sources, core = coreAt) {
  const dir = join(work, side);
  mkdirSync(dir, { recursive: true });
  sources(join(dir, 'src'));
  writeFileSync(join(dir, 'driver.ts'), DRIVER);
  await bundleForNode(
    join(dir, 'driver.ts'),
    join(dir, 'driver.mjs'),
    // the revision's core imports its dependencies (zod, …) from this tree's core
    core ? { plugins: [coreFrom(core)], nodePaths: [join(root, 'packages/core/node_modules')] } : {},
  );
  return join(dir, 'driver.mjs');
}

function run(file) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, String(from), String(count)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop();
      if (code !== 0 || !line) reject(new Error(`${file} exited with ${code}`));
      else resolve(JSON.parse(line));
    });
  });
}

try {
  if (coreAt) extract(values.core, 'packages/core', coreAt);
  if (baseCoreAt) {
    if (coreAt) spawnSync('cp', ['-r', coreAt, baseCoreAt]);
    else {
      mkdirSync(baseCoreAt, { recursive: true });
      spawnSync('cp', ['-r', join(root, 'packages/core/src'), join(baseCoreAt, 'src')]);
    }
    rmSync(join(baseCoreAt, 'src/memory'), { recursive: true, force: true });
    extract(values.base, 'packages/core/src/memory', join(baseCoreAt, 'src/memory'));
  }
  const revision = spawnSync('git', ['rev-parse', '--short', values.base], {
    encoding: 'utf8',
  }).stdout.trim();
  if (!revision) throw new Error(`unknown revision ${values.base}`);
  const base = await bundle(
    'base',
    (src) => extract(values.base, 'packages/simulation/src', src),
    baseCoreAt ?? coreAt,
  );
  const current = await bundle('current', (src) => {
    spawnSync('cp', ['-r', join(packageDir, 'src'), src]);
  });
  const [before, after] = await Promise.all([run(base), run(current)]);
  const line = (name, r) => {
    const steps = r.runs.reduce((n, x) => n + x.steps, 0);
    const settled = r.runs.filter((x) => x.completed).length;
    const failed = r.runs.filter((x) => !x.ok).length;
    const failures = r.runs
      .filter((x) => !x.ok)
      .map((x) => `${x.seed} ${x.failure}`)
      .join(', ');
    return `${name}: ${count} sales (seeds ${from}-${from + count - 1}), ${steps} steps, CPU ${r.cpuSeconds.toFixed(1)} s, wall ${r.wallSeconds.toFixed(1)} s: ${Math.round((count / r.cpuSeconds) * 60)} sales per CPU-minute, ${Math.round(steps / r.cpuSeconds)} steps per CPU-second; ${settled} settled, ${failed} failed${failures ? ` (${failures})` : ''}`;
  };
  if (values.core) console.log(`both over the core of ${values.core}`);
  if (baseCoreAt)
    console.log(`the base with its own memory adapters (${values.base}), this tree with this tree's`);
  console.log(line(`base ${revision}`, before));
  console.log(line('this tree', after));
  console.log(`CPU per sale, this tree / base: ${(after.cpuSeconds / before.cpuSeconds).toFixed(2)}`);
  const differing = before.runs.filter((b, i) => {
    const a = after.runs[i];
    return b.fingerprint !== a.fingerprint || b.steps !== a.steps || b.ok !== a.ok || b.failure !== a.failure;
  });
  console.log(`runs identical (fingerprint, steps, verdict): ${count - differing.length}/${count}`);
  for (const b of differing) {
    const a = after.runs.find((x) => x.seed === b.seed);
    console.log(`  seed ${b.seed}: base ${JSON.stringify(b)}, this tree ${JSON.stringify(a)}`);
  }
  process.exitCode = differing.length > 0 ? 1 : 0;
} finally {
  rmSync(work, { recursive: true, force: true });
}
