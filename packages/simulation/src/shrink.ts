import { FAULT_KINDS } from './faults';
import {
  type ResolvedConfig,
  runSimulation,
  type SimulationConfig,
  type SimulationResult,
} from './simulation';

/** The one line that replays a run exactly. */
export function replayCommand(config: ResolvedConfig): string {
  const faults =
    config.faults.length === FAULT_KINDS.length ? '' : ` --faults ${config.faults.join(',') || 'none'}`;
  return `pnpm simulate --seed ${config.seed} --buyers ${config.buyers} --instances ${config.instances} --steps ${config.maxSteps}${faults}`;
}

/** Options of {@link shrinkFailure}. */
export interface ShrinkOptions {
  /** Runs tried at most (each is a whole run); default 60. */
  maxRuns?: number;
  /** What `inventory` the failing run had (a test's broken adapter), kept for every try. */
  base?: Pick<SimulationConfig, 'inventory'>;
}

/**
 * Shrinks a failing run to a shorter one failing the same invariant: fewer steps (up to the
 * failing one), fewer buyers, fewer instances, fewer fault kinds — each tried, kept when the
 * failure stays, until nothing shrinks further. The seed stays: every stream (buyers, faults,
 * scheduling) is drawn from it apart, so dropping one buyer or kind leaves the others' choices.
 */
export async function shrinkFailure(
  failing: SimulationResult,
  options: ShrinkOptions = {},
): Promise<{ result: SimulationResult; runs: number }> {
  if (failing.ok || !failing.failure) throw new Error('only a failing run can be shrunk');
  const maxRuns = options.maxRuns ?? 60;
  let best = failing;
  let runs = 0;
  const attempt = async (change: Partial<ResolvedConfig>): Promise<boolean> => {
    if (runs >= maxRuns) return false;
    runs += 1;
    const result = await runSimulation({ ...options.base, ...best.config, ...change });
    if (result.ok || result.failure?.invariant !== best.failure!.invariant) return false;
    best = result;
    return true;
  };
  for (let progress = true; progress && runs < maxRuns; ) {
    progress = false;
    if (best.failure!.step < best.config.maxSteps && (await attempt({ maxSteps: best.failure!.step })))
      progress = true;
    for (const buyers of [Math.floor(best.config.buyers / 2), best.config.buyers - 1]) {
      if (buyers >= 1 && buyers < best.config.buyers && (await attempt({ buyers }))) {
        progress = true;
        break;
      }
    }
    if (best.config.instances > 1 && (await attempt({ instances: best.config.instances - 1 })))
      progress = true;
    for (const kind of best.config.faults) {
      if (await attempt({ faults: best.config.faults.filter((k) => k !== kind) })) progress = true;
    }
  }
  return { result: best, runs };
}
