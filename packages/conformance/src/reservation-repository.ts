import {
  type ReconciliationRecord,
  type ReservationRepository,
  type ReservationRow,
  type ReservationStatus,
  SaleDefinition,
} from '@seatrush/core';
import fc from 'fast-check';
import { expect } from 'vitest';
import { assignedSaleDefinition, freshId, generalSaleDefinition, startOfTest } from './fixtures';
import { type Check, expectValidationError, type Factory, registerChecks } from './harness';

/** The port `describeReservationRepository` tests. */
export interface ReservationRepositorySubject {
  repository: ReservationRepository;
}

type Subject = ReservationRepositorySubject;

/** A valid reservation row with fresh ids unless given. */
export function reservationRow(saleId: string, overrides: Partial<ReservationRow> = {}): ReservationRow {
  const now = startOfTest();
  return {
    reservationId: freshId('r'),
    saleId,
    userId: 'u1',
    idempotencyKey: freshId('k'),
    quantity: 1,
    seatIds: [],
    amountCents: 5_000,
    status: 'REQUESTED',
    paymentId: null,
    failureReason: null,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

async function savedGeneralSale(repository: ReservationRepository, capacity = 10) {
  const saleId = freshId('sale');
  await repository.saveSale(SaleDefinition.parse(generalSaleDefinition(saleId, { capacity })));
  return saleId;
}

/** One REQUESTED reservation, inserted under a fresh saved sale. */
async function insertedRow(repository: ReservationRepository): Promise<ReservationRow> {
  const row = reservationRow(await savedGeneralSale(repository));
  await repository.insertMany([row]);
  return row;
}

/** A reconciliation run that found the store and the truth agreeing (one held, one confirmed, one pending). */
function consistentReconciliation(saleId: string): ReconciliationRecord {
  return {
    saleId,
    ranAt: startOfTest(),
    storeAvailable: 8,
    storeHeld: 1,
    storeConfirmed: 1,
    truthConfirmed: 1,
    truthPending: 1,
    consistent: true,
    repaired: false,
  };
}

/** Every check of `describeReservationRepository`, exported so a suite's own tests can run them one by one. */
export const reservationRepositoryChecks: readonly Check<Subject>[] = [
  {
    category: 'behaviour',
    name: 'saves and returns a sale definition (seats included), and null for an unknown one',
    async run({ repository }) {
      const saleId = freshId('sale');
      const sale = SaleDefinition.parse(assignedSaleDefinition(saleId));
      await repository.saveSale(sale);
      expect(await repository.getSale(saleId)).toEqual(sale);
      const changed = { ...sale, name: 'Renamed' };
      await repository.saveSale(changed);
      expect((await repository.getSale(saleId))?.name).toBe('Renamed');
      expect(await repository.getSale(freshId('sale'))).toBeNull();
    },
  },
  {
    category: 'behaviour',
    name: 'lists every sale until it is recorded closed; the first close stands',
    async run({ repository }) {
      const open = await savedGeneralSale(repository);
      const closing = await savedGeneralSale(repository);
      const listed = async () => (await repository.listOpenSales()).map((sale) => sale.id);
      expect(await listed()).toEqual(expect.arrayContaining([open, closing]));
      expect((await repository.listOpenSales()).find((sale) => sale.id === open)).toEqual(
        await repository.getSale(open),
      );
      const at = startOfTest();
      await repository.recordSaleClosed(closing, at);
      await repository.recordSaleClosed(closing, at + 1);
      expect(await listed()).toContain(open);
      expect(await listed()).not.toContain(closing);
      // closed, not forgotten: its definition is still there
      expect(await repository.getSale(closing)).not.toBeNull();
      await expectValidationError(() => repository.recordSaleClosed('bad id', at));
    },
  },
  {
    category: 'behaviour',
    name: 'inserts new rows once, by reservation id and by idempotency key, reporting the rest as existing',
    async run({ repository }) {
      const saleId = await savedGeneralSale(repository);
      const a = reservationRow(saleId);
      const b = reservationRow(saleId, { userId: 'u2', quantity: 2 });
      expect(await repository.insertMany([a, b])).toEqual({
        inserted: [a.reservationId, b.reservationId],
        existing: [],
      });
      const sameKey = reservationRow(saleId, { idempotencyKey: a.idempotencyKey });
      const c = reservationRow(saleId, { userId: 'u3' });
      const result = await repository.insertMany([a, sameKey, c, c]);
      expect(result.inserted).toEqual([c.reservationId]);
      expect(result.existing.sort()).toEqual(
        [a.reservationId, sameKey.reservationId, c.reservationId].sort(),
      );
      expect(await repository.get(a.reservationId)).toEqual(a);
      expect(await repository.get(sameKey.reservationId)).toBeNull();
      expect(await repository.get(freshId('r'))).toBeNull();
    },
  },
  {
    category: 'behaviour',
    name: 'moves a reservation only from one of the expected statuses',
    async run({ repository }) {
      const row = await insertedRow(repository);
      const now = row.createdAt + 1_000;
      expect(
        await repository.transition({
          reservationId: row.reservationId,
          from: ['PAYMENT_PENDING'],
          to: 'CONFIRMED',
          now,
        }),
      ).toBe(false);
      expect(
        await repository.transition({
          reservationId: row.reservationId,
          from: ['REQUESTED'],
          to: 'PAYMENT_PENDING',
          now,
        }),
      ).toBe(true);
      expect(
        await repository.transition({
          reservationId: row.reservationId,
          from: ['PAYMENT_PENDING'],
          to: 'CONFIRMED',
          paymentId: 'pay_1',
          now: now + 1,
        }),
      ).toBe(true);
      expect(await repository.get(row.reservationId)).toEqual({
        ...row,
        status: 'CONFIRMED',
        paymentId: 'pay_1',
        updatedAt: now + 1,
      });
      expect(
        await repository.transition({ reservationId: freshId('r'), from: ['REQUESTED'], to: 'FAILED', now }),
      ).toBe(false);
      const failed = reservationRow(row.saleId);
      await repository.insertMany([failed]);
      await repository.transition({
        reservationId: failed.reservationId,
        from: ['REQUESTED'],
        to: 'FAILED',
        failureReason: 'PAYMENT_DECLINED',
        now,
      });
      expect(await repository.get(failed.reservationId)).toMatchObject({
        status: 'FAILED',
        failureReason: 'PAYMENT_DECLINED',
      });
    },
  },
  {
    category: 'behaviour',
    name: 'totals confirmed and pending units, and builds the warm-up snapshot from them',
    async run({ repository }) {
      const saleId = freshId('sale');
      await repository.saveSale(SaleDefinition.parse(assignedSaleDefinition(saleId, { ticketsPerUser: 3 })));
      const rows = [
        reservationRow(saleId, {
          userId: 'u1',
          quantity: 2,
          seatIds: ['A1', 'A2'],
          status: 'CONFIRMED',
          paymentId: 'p1',
        }),
        reservationRow(saleId, { userId: 'u2', quantity: 1, seatIds: ['B1'], status: 'PAYMENT_PENDING' }),
        reservationRow(saleId, { userId: 'u3', quantity: 1, seatIds: ['B2'], status: 'REQUESTED' }),
        reservationRow(saleId, { userId: 'u4', quantity: 1, seatIds: ['B3'], status: 'FAILED' }),
        reservationRow(saleId, { userId: 'u5', quantity: 1, seatIds: ['B4'], status: 'COMPENSATED' }),
      ];
      await repository.insertMany(rows);
      const totals = await repository.totals(saleId);
      expect({
        ...totals,
        confirmedSeatIds: [...totals.confirmedSeatIds].sort(),
        pendingSeatIds: [...totals.pendingSeatIds].sort(),
      }).toEqual({
        saleId,
        initialStock: 10,
        confirmedUnits: 2,
        confirmedSeatIds: ['A1', 'A2'],
        pendingUnits: 2,
        pendingSeatIds: ['B1', 'B2'],
      });
      const snapshot = await repository.loadSnapshot(saleId);
      expect(snapshot).toMatchObject({ saleId, initialStock: 10, available: 6, ticketsPerUser: 3 });
      expect([...(snapshot?.seatIds ?? [])].sort()).toEqual([
        'A1',
        'A2',
        'A3',
        'A4',
        'A5',
        'B1',
        'B2',
        'B3',
        'B4',
        'B5',
      ]);
      expect([...(snapshot?.confirmedSeatIds ?? [])].sort()).toEqual(['A1', 'A2']);
      expect(snapshot?.confirmedPerUser.u1).toBe(2);
      expect(snapshot?.confirmedPerUser.u4 ?? 0).toBe(0);
      expect(await repository.loadSnapshot(freshId('sale'))).toBeNull();
    },
  },
  {
    category: 'behaviour',
    name: 'records a reconciliation',
    async run({ repository }) {
      const saleId = await savedGeneralSale(repository);
      await repository.recordReconciliation(consistentReconciliation(saleId));
    },
  },
  {
    category: 'behaviour',
    name: 'answers the latest reconciliation of a sale, null before the first',
    async run({ repository }) {
      const lastReconciliation = repository.lastReconciliation?.bind(repository);
      expect(lastReconciliation, 'the repository implements lastReconciliation').toBeTypeOf('function');
      const saleId = await savedGeneralSale(repository);
      expect(await lastReconciliation!(saleId)).toBeNull();
      const run = consistentReconciliation(saleId);
      await repository.recordReconciliation(run);
      const later = {
        ...run,
        ranAt: run.ranAt + 60_000,
        storeConfirmed: 2,
        consistent: false,
        repaired: true,
      };
      await repository.recordReconciliation(later);
      expect(await lastReconciliation!(saleId)).toEqual(later);
      expect(await lastReconciliation!(await savedGeneralSale(repository))).toBeNull();
    },
  },
  {
    category: 'behaviour',
    name: "records a buyer's release once, row or no row, and lists the released among the ids asked, per sale",
    async run({ repository }) {
      const recordRelease = repository.recordRelease?.bind(repository);
      const listReleased = repository.listReleased?.bind(repository);
      expect(recordRelease, 'the repository implements recordRelease').toBeTypeOf('function');
      expect(listReleased, 'the repository implements listReleased').toBeTypeOf('function');
      const saleId = await savedGeneralSale(repository);
      const inFlight = reservationRow(saleId);
      await repository.insertMany([inFlight]);
      const kept = reservationRow(saleId);
      await repository.insertMany([kept]);
      // a release may come before the worker writes the row
      const unwritten = freshId('r');
      const at = startOfTest();
      await recordRelease!({ saleId, reservationId: inFlight.reservationId, at });
      await recordRelease!({ saleId, reservationId: unwritten, at });
      // idempotent: a second record changes nothing
      await recordRelease!({ saleId, reservationId: inFlight.reservationId, at: at + 1 });
      const asked = [inFlight.reservationId, kept.reservationId, unwritten, freshId('r')];
      expect(new Set(await listReleased!(saleId, asked))).toEqual(
        new Set([inFlight.reservationId, unwritten]),
      );
      expect(await listReleased!(saleId, [])).toEqual([]);
      // another sale's list knows nothing of them
      expect(await listReleased!(await savedGeneralSale(repository), asked)).toEqual([]);
      // the record changes no row: the worker ends it
      expect(await repository.get(inFlight.reservationId)).toMatchObject({ status: 'REQUESTED' });
      await expectValidationError(() => recordRelease!({ saleId, reservationId: 'not valid!', at }));
      await expectValidationError(() => listReleased!(saleId, ['not valid!']));
    },
  },
  {
    category: 'bad input',
    name: 'rejects a batch with an invalid row as a whole: nothing is inserted',
    async run({ repository }) {
      const saleId = await savedGeneralSale(repository);
      const good = reservationRow(saleId);
      const bad = reservationRow(saleId, { quantity: 0, userId: 'not valid' });
      const error = await expectValidationError(() => repository.insertMany([good, bad]));
      expect(error.issues.length).toBeGreaterThanOrEqual(2);
      expect(await repository.get(good.reservationId)).toBeNull();
      await expectValidationError(() =>
        repository.insertMany([{ ...good, status: 'LOST' as ReservationStatus }]),
      );
      expect(await repository.get(good.reservationId)).toBeNull();
    },
  },
  {
    category: 'bad input',
    name: 'rejects an invalid sale, transition or id with a ValidationError',
    async run({ repository }) {
      const row = await insertedRow(repository);
      await expectValidationError(() =>
        repository.saveSale({ ...SaleDefinition.parse(generalSaleDefinition(freshId('sale'))), tiers: [] }),
      );
      await expectValidationError(() =>
        repository.transition({
          reservationId: row.reservationId,
          from: ['REQUESTED'],
          to: 'SHIPPED' as ReservationStatus,
          now: 1,
        }),
      );
      await expectValidationError(() =>
        repository.transition({
          reservationId: row.reservationId,
          from: ['REQUESTED'],
          to: 'FAILED',
          now: -1,
        }),
      );
      await expectValidationError(() => repository.get('bad:id'));
      await expectValidationError(() =>
        repository.recordReconciliation({ saleId: 'a b' } as unknown as Parameters<
          ReservationRepository['recordReconciliation']
        >[0]),
      );
      expect((await repository.get(row.reservationId))?.status).toBe('REQUESTED');
    },
  },
  {
    category: 'concurrency',
    name: 'inserts each row once when 40 concurrent batches overlap',
    timeoutMs: 60_000,
    async run({ repository }) {
      const saleId = await savedGeneralSale(repository, 1_000);
      const rows = Array.from({ length: 100 }, (_, i) => reservationRow(saleId, { userId: `u${i}` }));
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, b) =>
          repository.insertMany(rows.slice((b * 10) % 100, ((b * 10) % 100) + 10)),
        ),
      );
      const inserted = results.flatMap((r) => r.inserted);
      expect(inserted.sort()).toEqual(rows.map((r) => r.reservationId).sort());
      expect(results.flatMap((r) => r.existing)).toHaveLength(300);
      expect((await repository.totals(saleId)).pendingUnits).toBe(100);
    },
  },
  {
    category: 'concurrency',
    name: 'lets exactly one of 50 concurrent guarded transitions win',
    timeoutMs: 60_000,
    async run({ repository }) {
      const saleId = await savedGeneralSale(repository);
      const row = reservationRow(saleId, { status: 'PAYMENT_PENDING' });
      await repository.insertMany([row]);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          repository.transition({
            reservationId: row.reservationId,
            from: ['PAYMENT_PENDING'],
            to: i % 2 === 0 ? 'CONFIRMED' : 'FAILED',
            now: row.createdAt + i,
          }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await repository.get(row.reservationId))?.status).toBe(
        winner % 2 === 0 ? 'CONFIRMED' : 'FAILED',
      );
    },
  },
  {
    category: 'model',
    name: 'agrees with a reference model on random inserts and transitions',
    timeoutMs: 120_000,
    async run({ repository }) {
      const statuses = ['REQUESTED', 'PAYMENT_PENDING', 'CONFIRMED', 'FAILED', 'COMPENSATED'] as const;
      const command = fc.oneof(
        fc.record({
          kind: fc.constant('insert' as const),
          pick: fc.nat(7),
          quantity: fc.integer({ min: 1, max: 3 }),
        }),
        fc.record({
          kind: fc.constant('transition' as const),
          pick: fc.nat(7),
          from: fc.uniqueArray(fc.constantFrom(...statuses), { minLength: 1, maxLength: 2 }),
          to: fc.constantFrom(...statuses),
        }),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(command, { minLength: 5, maxLength: 25, size: 'max' }),
          async (commands) => {
            const saleId = await savedGeneralSale(repository, 100);
            const ids = Array.from({ length: 8 }, () => freshId('r'));
            const model = new Map<string, { status: ReservationStatus; quantity: number }>();
            for (const c of commands) {
              const reservationId = ids[c.pick] as string;
              if (c.kind === 'insert') {
                const row = reservationRow(saleId, {
                  reservationId,
                  quantity: c.quantity,
                  idempotencyKey: `key-${reservationId}`,
                });
                const result = await repository.insertMany([row]);
                expect(result.inserted.length).toBe(model.has(reservationId) ? 0 : 1);
                if (!model.has(reservationId))
                  model.set(reservationId, { status: 'REQUESTED', quantity: c.quantity });
              } else {
                const current = model.get(reservationId);
                const moved = await repository.transition({
                  reservationId,
                  from: c.from,
                  to: c.to,
                  now: startOfTest(),
                });
                const expected = current !== undefined && c.from.includes(current.status);
                expect(moved).toBe(expected);
                if (expected && current) current.status = c.to;
              }
            }
            let confirmed = 0;
            let pending = 0;
            for (const [id, row] of model) {
              expect((await repository.get(id))?.status).toBe(row.status);
              if (row.status === 'CONFIRMED') confirmed += row.quantity;
              if (row.status === 'REQUESTED' || row.status === 'PAYMENT_PENDING') pending += row.quantity;
            }
            expect(await repository.totals(saleId)).toMatchObject({
              confirmedUnits: confirmed,
              pendingUnits: pending,
            });
          },
        ),
        { numRuns: 30 },
      );
    },
  },
];

/**
 * Registers the ReservationRepository conformance suite: sales, idempotent batch inserts, guarded
 * transitions, totals and snapshots, bad input (all or nothing), races and a model.
 */
export function describeReservationRepository(
  name: string,
  factory: Factory<ReservationRepositorySubject>,
): void {
  registerChecks(`ReservationRepository conformance: ${name}`, factory, reservationRepositoryChecks);
}
