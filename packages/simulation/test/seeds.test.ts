import { describe, it } from 'vitest';
import { ciSeeds, expectSeedKeepsInvariants } from './ci-seeds';

// CI's seed run, first half (the other half is seeds-2.test.ts, so two workers share it): whole
// sales with every fault kind on. Each seed is its own test, so a failure names its seed and
// prints the one-line command that replays it exactly.
describe('simulated sales', () => {
  it.each(ciSeeds(0, 2))('seed %i keeps every invariant and settles', (seed) =>
    expectSeedKeepsInvariants(seed),
  );
});
