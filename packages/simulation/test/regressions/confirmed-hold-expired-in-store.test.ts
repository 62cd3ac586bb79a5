import { describe, it } from 'vitest';
import { expectSeedKeepsInvariants } from '../ci-seeds';

// Seed 33 (`--instances 1 --checkout buyer`, a wiped store) fails `agreement` since a99930c (issue
// 20: the sweeper's round asks `isWarm` after an `expireDue` that expired nothing, so a lost sale is
// rebuilt sooner; at a99930c^ the same seed settles clean): once settled, r9-1 is CONFIRMED in the
// source of truth and EXPIRED in the store. A core bug, reported to the lead; the seed is left out
// of CI's 64 until core was fixed (seed 33 settles at HEAD: the worker's re-confirm, 12e57e2/2a8b214).
//
// Seed 1172 (`--instances 3 --checkout buyer`) met the same window on the buyer-driven checkout's
// side: the paid webhook confirmed r28-1 in the store, the store was wiped and rebuilt before the
// checkout recorded it CONFIRMED, the rebuild held it again, and the hold expired. The checkout now
// confirms such a hold again after the record, and on the provider's next delivery.
describe('a confirmed reservation whose hold the store ends EXPIRED (fixed in core)', () => {
  for (const seed of [33, 1172]) {
    it(`seed ${seed}: keeps every invariant and settles`, async () => {
      await expectSeedKeepsInvariants(seed);
    }, 60_000);
  }
});
