import type { InventoryStore } from '@seatrush/core';
import { expect } from 'vitest';
import {
  asOwner,
  freshId,
  generalSnapshot,
  heldOf,
  loadAssignedSale,
  loadGeneralSale,
  reserveRequest,
  seats,
  units,
} from './fixtures';
import type { Check } from './harness';

/**
 * The outbox of `InventoryStore`: every hold a buyer is told about is written there in the same
 * atomic step as the hold, leaves it only through `markRelayed`, and the gate refuses new holds
 * while the oldest entry is older than the request's `relayLagLimitMs`. Registered with
 * `describeInventoryStore`.
 */
export const holdOutboxChecks: readonly Check<{ inventory: InventoryStore }>[] = [
  {
    category: 'behaviour',
    name: 'outbox: each new hold is written once, with its record; replays and refusals write nothing',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 3 });
      const first = reserveRequest(saleId, 'u1', units(2), now);
      const hold = heldOf(await inventory.reserve(first));
      heldOf(await inventory.reserve({ ...first, reservationId: freshId('r'), now: now + 5 }));
      expect(await inventory.reserve(reserveRequest(saleId, 'u2', units(2), now + 6))).toMatchObject({
        ok: false,
        code: 'SOLD_OUT',
      });
      expect(await inventory.unrelayed({ saleId, enqueuedUpTo: now + 10, limit: 10 })).toEqual([
        { reservationId: first.reservationId, enqueuedAt: now, hold },
      ]);
    },
  },
  {
    category: 'behaviour',
    name: 'outbox: answers entries up to a time, oldest first, at most `limit`; markRelayed removes them, idempotently',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 10 });
      const ids: string[] = [];
      for (let i = 0; i < 4; i += 1) {
        const request = reserveRequest(saleId, `u${i}`, units(1), now + i * 100);
        heldOf(await inventory.reserve(request));
        ids.push(request.reservationId);
      }
      const ofAll = async (upTo: number, limit = 10) =>
        (await inventory.unrelayed({ saleId, enqueuedUpTo: upTo, limit })).map((e) => e.reservationId);
      expect(await ofAll(now + 150)).toEqual(ids.slice(0, 2));
      expect(await ofAll(now + 1_000, 3)).toEqual(ids.slice(0, 3));
      await inventory.markRelayed({ saleId, reservationIds: [ids[0]!, ids[2]!] });
      await inventory.markRelayed({ saleId, reservationIds: [ids[0]!] });
      expect(await ofAll(now + 1_000)).toEqual([ids[1], ids[3]]);
      // the outbox is per sale
      const other = await loadGeneralSale(inventory, { stock: 1 });
      expect(await inventory.unrelayed({ saleId: other, enqueuedUpTo: now + 1_000, limit: 10 })).toEqual([]);
    },
  },
  {
    category: 'concurrency',
    name: 'outbox: concurrent markRelayed calls over two sales each remove exactly their own entries',
    async run({ inventory }, { now }) {
      const sales = [
        await loadGeneralSale(inventory, { stock: 20 }),
        await loadGeneralSale(inventory, { stock: 20 }),
      ];
      const ids = new Map<string, string[]>();
      for (const saleId of sales) {
        const made = await Promise.all(
          Array.from({ length: 12 }, async (_, i) => {
            const request = reserveRequest(saleId, `u${i}`, units(1), now + i);
            return heldOf(await inventory.reserve(request)).reservationId;
          }),
        );
        ids.set(saleId, made);
      }
      // all in one burst: the first 9 of each sale, one call each, some twice
      await Promise.all(
        sales.flatMap((saleId) =>
          [...ids.get(saleId)!.slice(0, 9), ids.get(saleId)![0]!].map((id) =>
            inventory.markRelayed({ saleId, reservationIds: [id] }),
          ),
        ),
      );
      for (const saleId of sales) {
        const left = (await inventory.unrelayed({ saleId, enqueuedUpTo: now + 100, limit: 20 })).map(
          (e) => e.reservationId,
        );
        expect(left.sort()).toEqual(ids.get(saleId)!.slice(9).sort());
      }
    },
  },
  {
    category: 'behaviour',
    name: 'outbox: keeps its entries, and the hold in them, when the hold expires or is released',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 5 });
      const released = heldOf(await inventory.reserve(reserveRequest(saleId, 'u1', units(1), now)));
      const expired = heldOf(
        await inventory.reserve(reserveRequest(saleId, 'u2', units(1), now, { holdMs: 1_000 })),
      );
      await inventory.release(asOwner(released, now + 1));
      await inventory.expireDue({ saleId, now: now + 2_000, limit: 10 });
      const entries = await inventory.unrelayed({ saleId, enqueuedUpTo: now, limit: 10 });
      expect(entries.map((e) => [e.reservationId, e.hold?.status]).sort()).toEqual(
        [
          [released.reservationId, 'RELEASED'],
          [expired.reservationId, 'EXPIRED'],
        ].sort(),
      );
    },
  },
  {
    category: 'behaviour',
    name: 'outbox gate: refuses PIPELINE_STALLED past the lag limit and changes nothing; a replay is still answered',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 5 });
      const stuck = reserveRequest(saleId, 'u1', units(1), now, { relayLagLimitMs: 1_000 });
      heldOf(await inventory.reserve(stuck));
      // within the limit: still selling
      heldOf(
        await inventory.reserve(
          reserveRequest(saleId, 'u2', units(1), now + 1_000, { relayLagLimitMs: 1_000 }),
        ),
      );
      const late = reserveRequest(saleId, 'u3', units(1), now + 1_001, { relayLagLimitMs: 1_000 });
      expect(await inventory.reserve(late)).toEqual({ ok: false, code: 'PIPELINE_STALLED' });
      expect(await inventory.counts(saleId)).toMatchObject({ available: 3, held: 2 });
      expect(await inventory.reserve({ ...stuck, now: now + 1_001 })).toMatchObject({
        ok: true,
        replayed: true,
      });
      // a request without a limit is not gated
      heldOf(await inventory.reserve(reserveRequest(saleId, 'u4', units(1), now + 1_001)));
      await inventory.markRelayed({ saleId, reservationIds: [stuck.reservationId] });
      heldOf(await inventory.reserve(late));
    },
  },
  {
    category: 'behaviour',
    name: 'outbox: a reload of the sale keeps the entries (they were acknowledged to buyers)',
    async run({ inventory }, { now }) {
      const saleId = await loadGeneralSale(inventory, { stock: 5 });
      const request = reserveRequest(saleId, 'u1', units(1), now);
      heldOf(await inventory.reserve(request));
      await inventory.load(generalSnapshot(saleId, { stock: 5 }));
      const entries = await inventory.unrelayed({ saleId, enqueuedUpTo: now, limit: 10 });
      expect(entries.map((e) => e.reservationId)).toEqual([request.reservationId]);
    },
  },
  {
    category: 'behaviour',
    name: 'outbox: a group hold is written like any other, and the gate refuses a group too',
    async run({ inventory }, { now }) {
      if (!inventory.reserveGroup) return;
      const saleId = await loadAssignedSale(inventory);
      const rows = [['A1', 'A2', 'A3', 'A4']];
      const group = {
        saleId,
        userId: 'g1',
        reservationId: freshId('r'),
        idempotencyKey: freshId('k'),
        size: 2,
        rows,
        fallback: 'split' as const,
        holdMs: 60_000,
        requireAdmission: false,
        now,
        relayLagLimitMs: 500,
      };
      const held = await inventory.reserveGroup(group);
      expect(held).toMatchObject({ ok: true, replayed: false });
      expect(
        (await inventory.unrelayed({ saleId, enqueuedUpTo: now, limit: 10 })).map((e) => e.reservationId),
      ).toEqual([group.reservationId]);
      expect(
        await inventory.reserveGroup({
          ...group,
          userId: 'g2',
          reservationId: freshId('r'),
          idempotencyKey: freshId('k'),
          now: now + 501,
        }),
      ).toEqual({ ok: false, code: 'PIPELINE_STALLED' });
      expect(
        await inventory.reserve(
          reserveRequest(saleId, 'g3', seats('A4'), now + 501, { relayLagLimitMs: 500 }),
        ),
      ).toEqual({
        ok: false,
        code: 'PIPELINE_STALLED',
      });
    },
  },
];
