import { describe, it } from 'vitest';
import { ciSeeds, expectSeedKeepsInvariants } from './ci-seeds';

// CI's seed run, second half (see seeds.test.ts).
describe('simulated sales', () => {
  it.each(ciSeeds(1, 2))('seed %i keeps every invariant and settles', (seed) =>
    expectSeedKeepsInvariants(seed),
  );
});
