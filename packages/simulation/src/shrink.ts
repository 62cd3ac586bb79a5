import { FAULT_KINDS } from './faults';
import {
  type ResolvedConfig,
  runSimulation,
  type SimulationConfig,
  type SimulationResult,
} from './simulation';

/** The one line that replays a run exactly. */
export function replayCommand(config: ResolvedConfig): string {
  const contiguous = config.buyerIds.every((id, i) => id === i);
  const buyers = contiguous
    ? ` --buyers ${config.buyerIds.length}`
    : ` --buyer-ids ${config.buyerIds.join(',')}`;
  const faults =
    config.faults.length === FAULT_KINDS.length ? '' : ` --faults ${config.faults.join(',') || 'none'}`;
  return `pnpm simulate --seed ${config.seed}${buyers} --instances ${config.instances} --checkout ${config.checkout} --steps ${config.maxSteps}${faults}`;
}

/** Options of {@link shrinkFailure}. */
export interface ShrinkOptions {
  /** Runs tried at most (each is a whole run); default 60. */
  maxRuns?: number;
  /** What `inventory` the failing run had (a test's broken adapter), kept for every try. */
  base?: Pick<SimulationConfig, 'inventory' | 'repository' | 'leases' | 'saleControl'>;
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
  // every try may run as long as the original did: fewer buyers may fail later, not sooner
  const limit = failing.config.maxSteps;
  const attempt = async (change: Partial<ResolvedConfig>): Promise<boolean> => {
    if (runs >= maxRuns) return false;
    runs += 1;
    const result = await runSimulation({ ...options.base, ...best.config, maxSteps: limit, ...change });
    if (result.ok || result.failure?.invariant !== best.failure!.invariant) return false;
    best = result;
    return true;
  };
  for (let progress = true; progress && runs < maxRuns; ) {
    progress = false;
    for (const kind of best.config.faults) {
      if (await attempt({ faults: best.config.faults.filter((k) => k !== kind) })) progress = true;
    }
    if (best.config.instances > 1 && (await attempt({ instances: best.config.instances - 1 }))) {
      progress = true;
    }
    const ids = best.config.buyerIds;
    const half = Math.ceil(ids.length / 2);
    for (const keep of [ids.slice(0, half), ids.slice(half)]) {
      if (
        keep.length > 0 &&
        keep.length < ids.length &&
        (await attempt({ buyerIds: keep, buyers: keep.length }))
      ) {
        progress = true;
        break;
      }
    }
    for (const id of best.config.buyerIds) {
      if (best.config.buyerIds.length === 1) break;
      const keep = best.config.buyerIds.filter((other) => other !== id);
      if (await attempt({ buyerIds: keep, buyers: keep.length })) progress = true;
    }
  }
  // the shortest run: stopped at the failing step, which it still reaches
  if (best.failure!.step < best.config.maxSteps) {
    runs += 1;
    const capped = await runSimulation({ ...options.base, ...best.config, maxSteps: best.failure!.step });
    if (!capped.ok && capped.failure?.invariant === best.failure!.invariant) best = capped;
  }
  return { result: best, runs };
}
