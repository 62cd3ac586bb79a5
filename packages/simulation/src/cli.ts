import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { FAULT_KINDS, type FaultKind } from './faults';
import type { SimulationConfig, SimulationResult } from './simulation';

// The simulator (core and its schemas included) is loaded where a run, a replay command or a
// shrink needs it: an exploring main thread only shares out the seeds and prints what comes back,
// so its start-up CPU is not spent unless it reports a failure.
const simulation = () => import('./simulation');
const shrinking = () => import('./shrink');

/**
 * `pnpm simulate --seeds N --from S [--workers W] [--digest]`: explores N seeds and prints the
 * sales per minute, and per minute of CPU; the seeds are shared out over W worker threads (one per
 * core by default: runs are independent, each thread has its own globals and virtual timers);
 * `--digest` prints one hash of every run's outcome, to compare two versions over the same seeds;
 * `pnpm simulate --seed S [--buyers B --instances I --checkout auto|buyer --steps M --faults a,b]`:
 * replays one run.
 * A failure prints its seed and the one-line command that replays it, then shrinks it.
 */

/** What an exploring worker thread is given: its seeds and the command line's options. */
interface WorkerTask {
  seeds: number[];
  argv: string[];
}

/** What it sends back, one message per seed. */
type WorkerMessage = { result: SimulationResult };

const { values } = parseArgs({
  args: isMainThread ? process.argv.slice(2) : (workerData as WorkerTask).argv,
  options: {
    workers: { type: 'string' },
    seeds: { type: 'string' },
    from: { type: 'string' },
    seed: { type: 'string' },
    buyers: { type: 'string' },
    'buyer-ids': { type: 'string' },
    instances: { type: 'string' },
    steps: { type: 'string' },
    faults: { type: 'string' },
    checkout: { type: 'string' },
    'no-shrink': { type: 'boolean' },
    digest: { type: 'boolean' },
    help: { type: 'boolean' },
  },
});

const USAGE = `pnpm simulate --seeds N [--from S] [--workers W] [--no-shrink] [--digest]   explore N seeds from S
pnpm simulate --seed S [--buyers B | --buyer-ids 1,2] [--instances 1-3] [--checkout auto|buyer]
              [--steps M] [--faults ${FAULT_KINDS.join(',')}|none]   replay one run as JSON`;

const int = (value: string | undefined) => (value === undefined ? undefined : Number.parseInt(value, 10));
const faults = values.faults === undefined ? undefined : parseFaults(values.faults);

function parseFaults(list: string): FaultKind[] {
  if (list === 'none') return [];
  const kinds = list.split(',').filter(Boolean);
  const unknown = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
  if (unknown.length > 0)
    throw new Error(`unknown fault kinds ${unknown.join(', ')}; known: ${FAULT_KINDS.join(', ')}`);
  return kinds as FaultKind[];
}

function configOf(seed: number): SimulationConfig {
  const config: SimulationConfig = { seed };
  const buyers = int(values.buyers);
  const instances = int(values.instances);
  const steps = int(values.steps);
  if (buyers !== undefined) config.buyers = buyers;
  if (values['buyer-ids'] !== undefined) {
    config.buyerIds = values['buyer-ids'].split(',').map((id) => Number.parseInt(id, 10));
    config.buyers = config.buyerIds.length;
  }
  if (instances !== undefined) config.instances = instances;
  if (steps !== undefined) config.maxSteps = steps;
  if (faults !== undefined) config.faults = faults;
  if (values.checkout !== undefined) {
    if (values.checkout !== 'auto' && values.checkout !== 'buyer')
      throw new Error(`--checkout is auto or buyer, not ${values.checkout}`);
    config.checkout = values.checkout;
  }
  return config;
}

/**
 * What a run came to, as `--digest` hashes it: its seed, verdict (the invariant and step of a
 * failure), whether it settled, its steps, virtual time and fingerprint (a hash of every step and
 * its time). A change that only makes the simulator or the memory adapters cheaper keeps it.
 */
function outcomeOf(result: SimulationResult): string {
  const failure = result.failure ? `${result.failure.invariant}@${result.failure.step}` : 'ok';
  return `${result.config.seed} ${failure} ${result.completed ? 'settled' : 'unsettled'} ${result.steps} ${result.virtualMs} ${result.fingerprint}`;
}

/** One hash of every run's outcome, in seed order (whatever the order the threads answered in). */
function digestOf(seeds: readonly number[], outcomes: ReadonlyMap<number, string>): string {
  const hash = createHash('sha256');
  for (const seed of seeds) hash.update(`${outcomes.get(seed)}\n`);
  return hash.digest('hex').slice(0, 16);
}

async function report(result: SimulationResult): Promise<void> {
  const { replayCommand, shrinkFailure } = await shrinking();
  console.log(`FAIL seed ${result.config.seed}: ${result.failure!.message} (step ${result.failure!.step})`);
  console.log(`  replay: ${replayCommand(result.config)}`);
  console.log(`  last steps: ${result.failure!.recent.slice(-8).join(' | ')}`);
  if (values['no-shrink']) return;
  const { result: short, runs } = await shrinkFailure(result);
  console.log(
    `  shrunk in ${runs} runs to ${short.config.buyerIds.length} buyers, ${short.failure!.step} steps, faults [${short.config.faults.join(',')}]`,
  );
  console.log(`  replay the short one: ${replayCommand(short.config)}`);
}

/** Runs `seeds` on `workers` threads (here when 1), calling `onResult` with each run's result. */
async function explore(
  seeds: number[],
  workers: number,
  onResult: (result: SimulationResult) => Promise<void>,
): Promise<void> {
  if (workers <= 1) {
    const { runSimulation } = await simulation();
    for (const seed of seeds) await onResult(await runSimulation(configOf(seed)));
    return;
  }
  // failures are reported (and shrunk) here, one at a time, in the order they arrive
  let reporting = Promise.resolve();
  await Promise.all(
    Array.from({ length: workers }, (_, index) => {
      const task: WorkerTask = {
        seeds: seeds.filter((_, i) => i % workers === index),
        argv: process.argv.slice(2),
      };
      const worker = new Worker(new URL(import.meta.url), { workerData: task });
      worker.on('message', (message: WorkerMessage) => {
        reporting = reporting.then(() => onResult(message.result));
      });
      return new Promise<void>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`simulation worker exited with ${code}`)),
        );
      });
    }),
  );
  await reporting;
}

if (values.help) {
  console.log(USAGE);
} else if (!isMainThread) {
  const { runSimulation } = await simulation();
  for (const seed of (workerData as WorkerTask).seeds) {
    const message: WorkerMessage = { result: await runSimulation(configOf(seed)) };
    parentPort!.postMessage(message);
  }
} else if (values.seed !== undefined) {
  const { runSimulation } = await simulation();
  const result = await runSimulation(configOf(Number.parseInt(values.seed, 10)));
  console.log(JSON.stringify({ ...result, failure: result.failure ?? null }, null, 2));
  if (!result.ok) await report(result);
  process.exitCode = result.ok ? 0 : 1;
} else {
  const count = int(values.seeds) ?? 100;
  const from = int(values.from) ?? 1;
  const workers = Math.max(1, Math.min(count, int(values.workers) ?? availableParallelism()));
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  let failures = 0;
  let completed = 0;
  let steps = 0;
  const seeds = Array.from({ length: count }, (_, i) => from + i);
  const outcomes = new Map<number, string>();
  await explore(seeds, workers, async (result) => {
    outcomes.set(result.config.seed, outcomeOf(result));
    steps += result.steps;
    if (result.completed) completed += 1;
    if (!result.ok) {
      failures += 1;
      await report(result);
    }
  });
  const seconds = (performance.now() - started) / 1_000;
  // CPU time of every thread: on a shared machine the wall-clock rate moves with the neighbours'
  // load, the rate per CPU-minute much less
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    `${count} sales (seeds ${from}-${from + count - 1}) in ${seconds.toFixed(1)} s on ${workers} thread${workers === 1 ? '' : 's'}: ${Math.round((count / seconds) * 60)} sales/minute, ${Math.round(steps / seconds)} steps/s; CPU ${cpuSeconds.toFixed(1)} s, ${Math.round((count / cpuSeconds) * 60)} sales per CPU-minute; ${completed} settled, ${failures} failed`,
  );
  if (values.digest) console.log(`digest of the ${count} runs' outcomes: ${digestOf(seeds, outcomes)}`);
  process.exitCode = failures > 0 ? 1 : 0;
}
