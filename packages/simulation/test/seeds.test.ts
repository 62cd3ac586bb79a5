import { describe, expect, it } from 'vitest';
import { replayCommand } from '../src/shrink';
import { runSimulation } from '../src/simulation';

// CI's seed run: a fixed set of whole sales with every fault kind on. Each seed is its own test,
// so a failure names its seed and prints the one-line command that replays it exactly.
const SEEDS = Array.from({ length: 64 }, (_, i) => i + 1);

describe('simulated sales', () => {
  it.each(SEEDS)('seed %i keeps every invariant and settles', async (seed) => {
    const result = await runSimulation({ seed });
    const why = result.failure
      ? `${result.failure.message}\nreplay: ${replayCommand(result.config)}\nlast steps: ${result.failure.recent.join(' | ')}`
      : '';
    expect(result.ok, why).toBe(true);
    expect(result.completed, `did not settle; replay: ${replayCommand(result.config)}`).toBe(true);
  });
});
