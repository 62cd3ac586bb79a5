import { expect } from 'vitest';
import { freshId, heldOf, loadGeneralSale, reserveRequest, units } from './fixtures';
import { type Check, type Factory, registerChecks } from './harness';
import { holdOutboxChecks } from './hold-outbox';
import { checkAgainstModel, stripedModelPlan } from './inventory-model-run';
import { expectInvariant, type InventoryStoreSubject, inventoryStoreChecks } from './inventory-store';

/**
 * The checks of `describeInventoryStore` whose promise a striped store keeps per stripe, not per
 * sale, and so does not pass as written: an idempotency key is the user's (it lives on the user's
 * home stripe), and the outbox gate reads the home stripe's outbox. The striped suite replaces
 * them with `stripedInventoryChecks`.
 */
export const perStripeInventoryChecks: readonly string[] = [
  'refuses IDEMPOTENCY_KEY_REUSED when a key comes back with another payload, changing nothing',
  'outbox gate: refuses PIPELINE_STALLED past the lag limit and changes nothing; a replay is still answered',
  // its random commands reuse a key from another user; stripedInventoryChecks has a model check
  // whose reuses are the same user's
  'agrees with the reference model on random command sequences (general admission and seats)',
];

type Subject = InventoryStoreSubject;

/** Checks of a store that spreads a general-admission sale over stripes, each with its own stock. */
export const stripedInventoryChecks: readonly Check<Subject>[] = [
  {
    category: 'behaviour',
    name: 'striped: a key back from its user with another payload is refused IDEMPOTENCY_KEY_REUSED; another user never gets the first hold',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10 });
      const request = reserveRequest(saleId, 'u1', units(1), now);
      const first = heldOf(await inventory.reserve(request));
      const before = await inventory.counts(saleId);
      const changed = { ...request, reservationId: freshId('r'), selection: units(2) };
      expect(await inventory.reserve(changed)).toEqual({ ok: false, code: 'IDEMPOTENCY_KEY_REUSED' });
      expect(await inventory.counts(saleId)).toEqual(before);
      const other = await inventory.reserve({ ...request, reservationId: freshId('r'), userId: 'u2' });
      if (other.ok) {
        expect(other.replayed, 'another user is never answered the first hold').toBe(false);
        expect(other.hold.reservationId).not.toBe(first.reservationId);
      } else {
        expect(other.code).toBe('IDEMPOTENCY_KEY_REUSED');
      }
      await expectInvariant(inventory, saleId);
    },
  },
  {
    category: 'behaviour',
    name: 'striped: one user buys every unit one at a time (the home stripe borrows the rest), then SOLD_OUT',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 25, ticketsPerUser: 100 });
      for (let i = 0; i < 25; i++)
        heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', units(1), now)));
      expect(await inventory.reserve(reserveRequest(saleId, 'u1', units(1), now))).toEqual({
        ok: false,
        code: 'SOLD_OUT',
      });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 0, held: 25, confirmed: 0 });
    },
  },
  {
    category: 'behaviour',
    name: 'striped: a quantity larger than any one stripe holds is gathered from several',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 9, ticketsPerUser: 100 });
      heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', units(8), now)));
      expect(await inventory.reserve(reserveRequest(saleId, 'u2', units(2), now))).toEqual({
        ok: false,
        code: 'SOLD_OUT',
      });
      heldOf(await inventory.reserve(reserveRequest(saleId, 'u3', units(1), now)));
      expect(await inventory.counts(saleId)).toMatchObject({ available: 0, held: 9 });
    },
  },
  {
    category: 'concurrency',
    name: 'striped: 400 concurrent buyers of 1-3 units for 150 units, 4 a user: no oversell, limits exact, retries answered alike',
    timeoutMs: 60_000,
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 150, ticketsPerUser: 4 });
      const requests = Array.from({ length: 400 }, (_, i) =>
        reserveRequest(saleId, `u${i % 90}`, units(1 + (i % 3)), now),
      );
      // every request twice, at once: the second is a retry of the first
      const outcomes = await Promise.all([...requests, ...requests].map((r) => inventory.reserve(r)));
      const perUser = new Map<string, number>();
      const byKey = new Map<string, string>();
      for (const [i, outcome] of outcomes.entries()) {
        const request = requests[i % requests.length]!;
        if (!outcome.ok) {
          expect(['SOLD_OUT', 'LIMIT_EXCEEDED']).toContain(outcome.code);
          continue;
        }
        const seen = byKey.get(request.idempotencyKey);
        if (seen) expect(outcome.hold.reservationId, 'a retry answers the same hold').toBe(seen);
        else {
          byKey.set(request.idempotencyKey, outcome.hold.reservationId);
          perUser.set(request.userId, (perUser.get(request.userId) ?? 0) + outcome.hold.quantity);
        }
      }
      const sold = [...perUser.values()].reduce((a, b) => a + b, 0);
      for (const [user, count] of perUser) expect(count, `units of ${user}`).toBeLessThanOrEqual(4);
      expect(sold).toBeLessThanOrEqual(150);
      expect(await inventory.counts(saleId)).toMatchObject({ available: 150 - sold, held: sold });
      await expectInvariant(inventory, saleId);
    },
  },
  {
    category: 'model',
    name: 'striped: agrees with the reference model on random command sequences (general admission)',
    timeoutMs: 120_000,
    async run({ inventory }) {
      await checkAgainstModel(inventory, stripedModelPlan);
    },
  },
];

/**
 * Registers the InventoryStore conformance suite for a store that stripes general-admission stock:
 * every check of `describeInventoryStore` but `perStripeInventoryChecks`, and
 * `stripedInventoryChecks` in their place.
 */
export function describeStripedInventoryStore(name: string, factory: Factory<InventoryStoreSubject>): void {
  registerChecks(`InventoryStore conformance, striped: ${name}`, factory, [
    ...[...inventoryStoreChecks, ...holdOutboxChecks].filter(
      (c) => !perStripeInventoryChecks.includes(c.name),
    ),
    ...stripedInventoryChecks,
  ]);
}
