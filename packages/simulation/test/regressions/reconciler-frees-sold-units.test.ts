import { describe, expect, it } from 'vitest';
import { replayCommand } from '../../src/shrink';
import { runSimulation, type SimulationConfig } from '../../src/simulation';

// Found by the simulation (issue 23, core bug 1; seed 20 at 08d5432 first): the reconciler read
// PostgreSQL's totals, then the store's counts, and repaired the store's confirmed units down to
// the truth's confirmed ones. A reservation the worker inserted and confirmed between the two
// reads, or any reservation confirmed in the store and still pending in PostgreSQL, was freed and
// sold again. Both seeds below failed at 55ea44b^ (`pnpm simulate --seeds 1400 --from 1
// --no-shrink`; none of seeds 1-200 met the bug there) and pass since the fix (55ea44b, 01394fa).
// A run's course moves with core's code: these seeds may stop meeting a repair one day, which
// packages/core/test/services/reconciler-interleaving.test.ts and the conformance repair checks
// keep covering.
const SEEDS: ReadonlyArray<{ config: SimulationConfig; failedWith: string }> = [
  {
    config: { seed: 542, buyers: 12, instances: 3, checkout: 'auto' },
    failedWith: 'agreement: store: available 4, confirmed 14; source of truth: 16 confirmed of 18',
  },
  {
    config: { seed: 1244, buyers: 13, instances: 3, checkout: 'auto' },
    failedWith: 'seats: seat A-1-1 is in live holds r5-1 and r7-1',
  },
];

describe('the reconciler never frees a sold unit (seeds that oversold)', () => {
  for (const { config, failedWith } of SEEDS) {
    it(`seed ${config.seed} (failed with "${failedWith}")`, async () => {
      const result = await runSimulation(config);
      const why = result.failure
        ? `${result.failure.message}\nreplay: ${replayCommand(result.config)}\nlast steps: ${result.failure.recent.join(' | ')}`
        : '';
      expect(result.ok, why).toBe(true);
      expect(result.completed, `did not settle (${result.unsettled ?? 'stopped early'})`).toBe(true);
    });
  }
});
