import { describe, it } from 'vitest';
import { expectSeedKeepsInvariants } from '../ci-seeds';

// Seed 33 (`--instances 1 --checkout buyer`, a wiped store) fails `agreement` since a99930c (issue
// 20: the sweeper's round asks `isWarm` after an `expireDue` that expired nothing, so a lost sale is
// rebuilt sooner; at a99930c^ the same seed settles clean): once settled, r9-1 is CONFIRMED in the
// source of truth and EXPIRED in the store. A core bug, reported to the lead; the seed is left out
// of CI's 64 until core was fixed (seed 33 settles at HEAD: the worker's re-confirm, 12e57e2/2a8b214).
describe('a confirmed reservation whose hold the store ends EXPIRED (fixed in core)', () => {
  it('seed 33: keeps every invariant and settles', async () => {
    await expectSeedKeepsInvariants(33);
  }, 60_000);
});
