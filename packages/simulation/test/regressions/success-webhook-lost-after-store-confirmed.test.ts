import { describe, it } from 'vitest';
import { expectSeedKeepsInvariants } from '../ci-seeds';

// Open (docs/simulation.md §Findings): seed 21728 (`--instances 1 --checkout buyer`) fails
// `settles`. The first delivery of a payment's success webhook confirmed the hold in the store
// and failed before its record; the retry found the hold CONFIRMED and failed on a store call; the
// provider then gave up on the webhook. The row stays PAYMENT_PENDING with its hold CONFIRMED:
// the hold never expires, and the sweeper's check of the rows in flight looks only at holds that
// ended. `it.fails` keeps the seed replayed: it turns red once core settles it, and then becomes
// a plain `it`, as the other regression tests here.
describe('a success webhook lost for good after the store confirmed the hold', () => {
  it.fails('seed 21728: the sale settles (open: it does not yet)', async () => {
    await expectSeedKeepsInvariants(21728);
  }, 60_000);
});
