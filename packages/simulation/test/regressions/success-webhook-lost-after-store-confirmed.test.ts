import { describe, it } from 'vitest';
import { expectSeedKeepsInvariants } from '../ci-seeds';

// Seed 21728 (`--instances 1 --checkout buyer`) failed `settles`. The first delivery of a
// payment's success webhook confirmed the hold in the store and failed before its record; the
// retry found the hold CONFIRMED and failed on a store call; the provider then gave up on the
// webhook. The row stayed PAYMENT_PENDING with its hold CONFIRMED: the hold never expires, and the
// sweeper's check of the rows in flight looked only at holds that ended. Fixed in core: that check
// also publishes the HoldExpired of a PAYMENT_PENDING row whose hold the store confirmed past its
// expiry, and the checkout, asking the provider, records the payment and the reservation CONFIRMED.
describe('a success webhook lost for good after the store confirmed the hold', () => {
  it('seed 21728: keeps every invariant and settles', async () => {
    await expectSeedKeepsInvariants(21728);
  }, 60_000);
});
