import { parseArgs } from 'node:util';
import { FAULT_KINDS, type FaultKind } from './faults';
import { replayCommand, shrinkFailure } from './shrink';
import { runSimulation, type SimulationConfig, type SimulationResult } from './simulation';

/**
 * `pnpm simulate --seeds N --from S`: explores N seeds and prints the sales per minute;
 * `pnpm simulate --seed S [--buyers B --instances I --steps M --faults a,b]`: replays one run.
 * A failure prints its seed and the one-line command that replays it, then shrinks it.
 */
const { values } = parseArgs({
  options: {
    seeds: { type: 'string' },
    from: { type: 'string' },
    seed: { type: 'string' },
    buyers: { type: 'string' },
    'buyer-ids': { type: 'string' },
    instances: { type: 'string' },
    steps: { type: 'string' },
    faults: { type: 'string' },
    'no-shrink': { type: 'boolean' },
  },
});

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
  return config;
}

async function report(result: SimulationResult): Promise<void> {
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

if (values.seed !== undefined) {
  const result = await runSimulation(configOf(Number.parseInt(values.seed, 10)));
  console.log(JSON.stringify({ ...result, failure: result.failure ?? null }, null, 2));
  if (!result.ok) await report(result);
  process.exitCode = result.ok ? 0 : 1;
} else {
  const count = int(values.seeds) ?? 100;
  const from = int(values.from) ?? 1;
  const started = performance.now();
  let failures = 0;
  let completed = 0;
  let steps = 0;
  for (let seed = from; seed < from + count; seed++) {
    const result = await runSimulation(configOf(seed));
    steps += result.steps;
    if (result.completed) completed += 1;
    if (!result.ok) {
      failures += 1;
      await report(result);
    }
  }
  const seconds = (performance.now() - started) / 1_000;
  console.log(
    `${count} sales (seeds ${from}-${from + count - 1}) in ${seconds.toFixed(1)} s: ${Math.round((count / seconds) * 60)} sales/minute, ${Math.round(steps / seconds)} steps/s; ${completed} settled, ${failures} failed`,
  );
  process.exitCode = failures > 0 ? 1 : 0;
}
