import { FakePaymentGateway } from '@seatrush/core';
import { MemoryInventoryStore, MemoryReservationRepository } from '@seatrush/core/memory';
import { describe, expect, it } from 'vitest';
import { countWrites, MONEY_READS, type ServerChanges } from '../src/changes';
import { InvariantChecker } from '../src/invariants';
import { runSimulation } from '../src/simulation';

/** A checker over fresh servers, the gateway's writes counted as the simulation counts them. */
function checkerOver(verifyChanges: boolean) {
  const changes: ServerChanges = { store: 0, truth: 0, money: 0 };
  const server = new FakePaymentGateway();
  const gateway = countWrites(() => server, 'money', changes, MONEY_READS);
  const checker = new InvariantChecker({
    saleId: 'sale-1',
    capacity: 10,
    inventory: new MemoryInventoryStore(),
    repository: new MemoryReservationRepository(),
    payments: server,
    changes,
    verifyChanges,
  });
  const charge = (key: string) =>
    ({ reservationId: 'r1', userId: 'u1', amountCents: 500, idempotencyKey: key }) as const;
  return { changes, server, gateway, checker, charge };
}

describe("the checker's change counting", () => {
  it('re-checks the money once a write to the provider is counted', async () => {
    const { changes, gateway, checker, charge } = checkerOver(false);
    await checker.afterStep();
    await gateway.charge(charge('k1'));
    await gateway.charge(charge('k2')); // a second charge of r1: a double charge
    expect(changes.money).toBe(4); // two calls, each counted when made and when answered
    await expect(checker.afterStep()).rejects.toThrow(/double-charge: r1 charged 2 times/);
  });

  it('does not re-read what no counted write changed (so every write must be counted)', async () => {
    const { server, checker, charge } = checkerOver(false);
    await checker.afterStep();
    await server.charge(charge('k1'));
    await server.charge(charge('k2')); // behind the counter's back
    await expect(checker.afterStep()).resolves.toBeUndefined();
    await expect(checker.afterSettling()).rejects.toThrow(/double-charge/); // settling reads all
  });

  it('with verifyChanges, fails a change of the state that no write counted', async () => {
    const { server, checker, charge } = checkerOver(true);
    await checker.afterStep();
    await server.charge(charge('k1'));
    await expect(checker.afterStep()).rejects.toThrow(/unnoticed-write/);
  });

  it('counts every write of whole sales: both checkouts, a wiped store, a crash, every fault', async () => {
    // seed 9: two instances, a wipe and a crash with the buyer-driven checkout; a wipe with auto-pay
    const configs = [{ seed: 9 }, { seed: 9, checkout: 'auto' as const }];
    for (const config of configs) {
      const verified = await runSimulation({ ...config, verifyChanges: true });
      expect(verified.failure?.invariant, verified.failure?.message).not.toBe('unnoticed-write');
      expect(verified.stats.wipes).toBe(1); // the rebuilt store's writes are counted too
      const plain = await runSimulation(config);
      // the verification only reads: the run and its verdict are the same
      expect(verified.fingerprint).toBe(plain.fingerprint);
      expect(verified.failure?.message).toBe(plain.failure?.message);
    }
  });
});
