import { UnknownSaleError, ValidationError } from '@seatrush/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPgConnection, PgReservationRepository, partitionNameOf, SeatAlreadySoldError } from '../src';
import {
  countRows,
  databaseUrl,
  type FreshSchema,
  freshSchema,
  generalSale,
  reservation,
  seatedSale,
} from './fixtures';

let db: FreshSchema;
beforeEach(async () => {
  db = await freshSchema({ max: 10 });
});
afterEach(async () => {
  await db.dispose();
});

describe('sales', () => {
  it('saves a sale with its seats and partition, and reads the definition back', async () => {
    const sale = seatedSale('s1', 5);
    await db.repository.saveSale(sale);
    expect(await db.repository.getSale('s1')).toEqual(sale);
    expect(await countRows(db.connection, 'seats', "sale_id = 's1'")).toBe(5);
    const { rows } = await db.connection.primary.query(
      `SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relname = $1`,
      [partitionNameOf('s1')],
    );
    expect(rows).toHaveLength(1);
  });

  it('replaces a definition saved again, dropping seats that left the map', async () => {
    await db.repository.saveSale(seatedSale('s1', 5));
    await db.repository.saveSale(seatedSale('s1', 3));
    expect((await db.repository.loadSnapshot('s1'))?.seatIds).toEqual(['A1', 'A2', 'A3']);
  });

  it('refuses to drop a seat that is sold, and changes nothing', async () => {
    await db.repository.saveSale(seatedSale('s1', 5));
    await db.repository.insertMany([reservation('s1', 5, { seatIds: ['A5'], status: 'CONFIRMED' })]);
    await expect(db.repository.saveSale(seatedSale('s1', 3))).rejects.toBeInstanceOf(ValidationError);
    expect((await db.repository.loadSnapshot('s1'))?.seatIds).toHaveLength(5);
  });

  it('refuses an invalid definition with every problem listed, and writes nothing', async () => {
    const bad = { ...generalSale('s1'), id: 'bad id!', holdMs: 5 };
    const error = await db.repository.saveSale(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path).sort()).toEqual(['holdMs', 'id']);
    expect(await countRows(db.connection, 'sales')).toBe(0);
  });

  it('answers null for an unknown sale', async () => {
    expect(await db.repository.getSale('nope')).toBeNull();
    expect(await db.repository.loadSnapshot('nope')).toBeNull();
    await expect(db.repository.totals('nope')).rejects.toBeInstanceOf(UnknownSaleError);
  });
});

describe('insertMany', () => {
  beforeEach(async () => {
    await db.repository.saveSale(generalSale('g1', 5_000));
  });

  it('reports which rows were new and which existed, by reservation id and by idempotency key', async () => {
    const first = await db.repository.insertMany([reservation('g1', 1), reservation('g1', 2)]);
    expect(first).toEqual({ inserted: ['g1-r1', 'g1-r2'], existing: [] });
    const second = await db.repository.insertMany([
      reservation('g1', 2),
      reservation('g1', 3),
      // a new reservation id replaying an idempotency key already used in the sale
      reservation('g1', 4, { idempotencyKey: 'k1' }),
      // repeated within one batch: inserted once, the repeat reported as existing
      reservation('g1', 3),
    ]);
    expect(second).toEqual({ inserted: ['g1-r3'], existing: ['g1-r2', 'g1-r4', 'g1-r3'] });
    expect(await countRows(db.connection, 'reservations')).toBe(3);
    expect(await db.repository.get('g1-r3')).toEqual(reservation('g1', 3));
  });

  it('keeps a reservation id unique across sales', async () => {
    await db.repository.saveSale(generalSale('g2'));
    await db.repository.insertMany([reservation('g1', 1)]);
    const result = await db.repository.insertMany([reservation('g2', 1, { reservationId: 'g1-r1' })]);
    expect(result).toEqual({ inserted: [], existing: ['g1-r1'] });
    expect((await db.repository.get('g1-r1'))?.saleId).toBe('g1');
  });

  it('writes a batch of thousands of rows in one call (beyond the 65,535-parameter cap of VALUES)', async () => {
    const rows = Array.from({ length: 6_000 }, (_, i) => reservation('g1', i));
    const result = await db.repository.insertMany(rows);
    expect(result.inserted).toHaveLength(6_000);
    expect(await countRows(db.connection, 'reservations')).toBe(6_000);
  });

  it('two workers writing the same 1,000 reservations concurrently produce exactly 1,000 rows', async () => {
    const rows = Array.from({ length: 1_000 }, (_, i) => reservation('g1', i));
    const other = createPgConnection({
      connectionString: databaseUrl(),
      schema: db.schema,
      pool: { max: 5 },
    });
    try {
      const workers = [db.repository, new PgReservationRepository(other)];
      // each worker writes in batches of 100, in a different order, all at once
      const runs = workers.map((worker, w) => {
        const order = w === 0 ? rows : [...rows].reverse();
        return Promise.all(
          Array.from({ length: 10 }, (_, b) => worker.insertMany(order.slice(b * 100, b * 100 + 100))),
        );
      });
      const results = (await Promise.all(runs)).flat();
      const inserted = results.flatMap((r) => r.inserted);
      expect(inserted).toHaveLength(1_000);
      expect(new Set(inserted).size).toBe(1_000);
      expect(results.flatMap((r) => r.existing)).toHaveLength(1_000);
      expect(await countRows(db.connection, 'reservations')).toBe(1_000);
      expect(await countRows(db.connection, 'reservation_ids')).toBe(1_000);
    } finally {
      await other.close();
    }
  });

  it('inserts each row once when many clients write overlapping batches at once', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => reservation('g1', i));
    // 40 batches of 50 overlapping windows: every row is written by several batches
    const batches = Array.from({ length: 40 }, (_, b) => {
      const start = (b * 37) % 400;
      return Array.from({ length: 50 }, (_, i) => rows[(start + i * 7) % 400]!);
    });
    const results = await Promise.all(batches.map((batch) => db.repository.insertMany(batch)));
    const inserted = results.flatMap((r) => r.inserted);
    expect(new Set(inserted).size).toBe(inserted.length);
    const written = new Set(batches.flat().map((r) => r.reservationId));
    expect(inserted.length).toBe(written.size);
    expect(await countRows(db.connection, 'reservations')).toBe(written.size);
  });

  it('refuses a batch with invalid rows, listing each, and writes none of it', async () => {
    const bad = [
      reservation('g1', 1),
      reservation('g1', 2, { quantity: -1 }),
      reservation('g1', 3, { status: 'SHIPPED' as never }),
      reservation('g1', 4, { quantity: 2, seatIds: ['A1'] }),
    ];
    const error = await db.repository.insertMany(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual([
      '1.quantity',
      '2.status',
      '3.seatIds',
    ]);
    expect(await countRows(db.connection, 'reservations')).toBe(0);
  });

  it('refuses a batch naming an unknown sale, and writes none of it', async () => {
    const error = await db.repository
      .insertMany([reservation('g1', 1), reservation('ghost', 2)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: '1.saleId', message: 'unknown sale ghost' }]);
    expect(await countRows(db.connection, 'reservations')).toBe(0);
    expect(await countRows(db.connection, 'reservation_ids')).toBe(0);
  });

  it('enforces quantities, statuses and sales in the database itself, whoever writes', async () => {
    const insert = (values: string) =>
      db.connection.primary.query(
        `INSERT INTO ${db.schema}.reservations (sale_id, reservation_id, user_id, idempotency_key, quantity,
           amount_cents, status, created_at, updated_at) VALUES ${values}`,
      );
    await expect(insert(`('g1', 'x1', 'u', 'k', 0, 0, 'REQUESTED', 1, 1)`)).rejects.toMatchObject({
      constraint: 'reservations_quantity_positive',
    });
    await expect(insert(`('g1', 'x1', 'u', 'k', 1, 0, 'SHIPPED', 1, 1)`)).rejects.toMatchObject({
      constraint: 'reservations_status_known',
    });
    await expect(insert(`('ghost', 'x1', 'u', 'k', 1, 0, 'REQUESTED', 1, 1)`)).rejects.toMatchObject({
      code: '23514', // no partition: an unknown sale has nowhere to go
    });
    expect(await countRows(db.connection, 'reservations')).toBe(0);
  });
});

describe('transition', () => {
  beforeEach(async () => {
    await db.repository.saveSale(seatedSale('s1', 10));
  });

  it('moves a reservation only from one of the given statuses', async () => {
    await db.repository.insertMany([reservation('s1', 1, { seatIds: ['A1'] })]);
    expect(
      await db.repository.transition({ reservationId: 's1-r1', from: ['CONFIRMED'], to: 'FAILED', now: 20 }),
    ).toBe(false);
    expect(
      await db.repository.transition({
        reservationId: 's1-r1',
        from: ['REQUESTED'],
        to: 'PAYMENT_PENDING',
        now: 21,
      }),
    ).toBe(true);
    expect(
      await db.repository.transition({
        reservationId: 's1-r1',
        from: ['REQUESTED', 'PAYMENT_PENDING'],
        to: 'CONFIRMED',
        paymentId: 'pay-1',
        now: 22,
      }),
    ).toBe(true);
    expect(await db.repository.get('s1-r1')).toMatchObject({
      status: 'CONFIRMED',
      paymentId: 'pay-1',
      failureReason: null,
      updatedAt: 22,
    });
    expect(await countRows(db.connection, 'payments', "payment_id = 'pay-1'")).toBe(1);
    expect(
      await db.repository.transition({ reservationId: 'absent', from: ['REQUESTED'], to: 'FAILED', now: 1 }),
    ).toBe(false);
  });

  it('refuses bad input with a ValidationError and changes nothing', async () => {
    await db.repository.insertMany([reservation('s1', 1, { seatIds: ['A1'] })]);
    const error = await db.repository
      .transition({ reservationId: 's1-r1', from: [], to: 'LOST' as never, now: -1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path).sort()).toEqual(['from', 'now', 'to']);
    expect((await db.repository.get('s1-r1'))?.status).toBe('REQUESTED');
  });

  it('lets exactly one of many concurrent workers move a reservation', async () => {
    await db.repository.insertMany([reservation('s1', 1, { seatIds: ['A1'] })]);
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        db.repository.transition({
          reservationId: 's1-r1',
          from: ['REQUESTED'],
          to: i % 2 === 0 ? 'CONFIRMED' : 'FAILED',
          paymentId: i % 2 === 0 ? `pay-${i}` : null,
          failureReason: i % 2 === 0 ? null : `reason-${i}`,
          now: 100 + i,
        }),
      ),
    );
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const winner = outcomes.indexOf(true);
    const row = await db.repository.get('s1-r1');
    expect(row?.status).toBe(winner % 2 === 0 ? 'CONFIRMED' : 'FAILED');
    expect(row?.updatedAt).toBe(100 + winner);
  });
});

describe('one confirmed reservation per seat', () => {
  beforeEach(async () => {
    await db.repository.saveSale(seatedSale('s1', 10));
  });

  it('refuses a second confirmed reservation of a seat at the database', async () => {
    await db.repository.insertMany([reservation('s1', 1, { seatIds: ['A1'], status: 'CONFIRMED' })]);
    await db.repository.insertMany([reservation('s1', 2, { seatIds: ['A1'] })]);
    const error = await db.repository
      .transition({ reservationId: 's1-r2', from: ['REQUESTED'], to: 'CONFIRMED', now: 5 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SeatAlreadySoldError);
    expect(error).toMatchObject({ code: 'SEAT_ALREADY_SOLD', saleId: 's1', seatId: 'A1' });
    expect((await db.repository.get('s1-r2'))?.status).toBe('REQUESTED');
    // even a raw write, bypassing the adapter, cannot sell it twice
    await expect(
      db.connection.primary.query(
        `UPDATE ${db.schema}.reservations SET status = 'CONFIRMED' WHERE reservation_id = 's1-r2'`,
      ),
    ).rejects.toMatchObject({ constraint: 'sold_seats_one_confirmed_reservation_per_seat' });
    // and a CONFIRMED batch naming a sold seat is refused whole
    await expect(
      db.repository.insertMany([
        reservation('s1', 3, { seatIds: ['A3'], status: 'CONFIRMED' }),
        reservation('s1', 4, { seatIds: ['A1'], status: 'CONFIRMED' }),
      ]),
    ).rejects.toBeInstanceOf(SeatAlreadySoldError);
    expect(await db.repository.get('s1-r3')).toBeNull();
  });

  it('refuses to confirm a seat that is not in the seat map', async () => {
    await db.repository.insertMany([reservation('s1', 1, { seatIds: ['Z9'] })]);
    await expect(
      db.repository.transition({ reservationId: 's1-r1', from: ['REQUESTED'], to: 'CONFIRMED', now: 5 }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('never sells a seat twice when many workers confirm competing reservations at once', async () => {
    // 60 reservations competing for 10 seats (pairs of seats, overlapping)
    const rows = Array.from({ length: 60 }, (_, i) =>
      reservation('s1', i, { quantity: 2, seatIds: [`A${(i % 10) + 1}`, `A${((i + 3) % 10) + 1}`] }),
    );
    await db.repository.insertMany(rows);
    const outcomes = await Promise.all(
      rows.map((row, i) =>
        db.repository
          .transition({ reservationId: row.reservationId, from: ['REQUESTED'], to: 'CONFIRMED', now: 50 + i })
          .then(
            (moved) => (moved ? 'confirmed' : 'not-moved'),
            (error: unknown) => (error instanceof SeatAlreadySoldError ? 'seat-sold' : 'other'),
          ),
      ),
    );
    expect(outcomes).not.toContain('other');
    expect(outcomes).not.toContain('not-moved');
    const confirmed = await db.connection.primary.query<{ seat_ids: string[] }>(
      `SELECT seat_ids FROM ${db.schema}.reservations WHERE status = 'CONFIRMED'`,
    );
    const seats = confirmed.rows.flatMap((r) => r.seat_ids);
    expect(new Set(seats).size).toBe(seats.length);
    expect(confirmed.rows.length).toBe(outcomes.filter((o) => o === 'confirmed').length);
    expect(confirmed.rows.length).toBeGreaterThan(0);
    expect(await countRows(db.connection, 'sold_seats')).toBe(seats.length);
    // the rest stayed REQUESTED, as they were
    expect(await countRows(db.connection, 'reservations', "status = 'REQUESTED'")).toBe(
      60 - confirmed.rows.length,
    );
  });

  it('frees a seat when its confirmed reservation is compensated (refund)', async () => {
    await db.repository.insertMany([reservation('s1', 1, { seatIds: ['A1'], status: 'CONFIRMED' })]);
    expect(
      await db.repository.transition({
        reservationId: 's1-r1',
        from: ['CONFIRMED'],
        to: 'COMPENSATED',
        now: 9,
      }),
    ).toBe(true);
    await db.repository.insertMany([reservation('s1', 2, { seatIds: ['A1'] })]);
    expect(
      await db.repository.transition({
        reservationId: 's1-r2',
        from: ['REQUESTED'],
        to: 'CONFIRMED',
        now: 10,
      }),
    ).toBe(true);
    expect((await db.repository.totals('s1')).confirmedSeatIds).toEqual(['A1']);
  });
});

describe('totals, snapshot and reconciliation', () => {
  it('counts confirmed and pending units and sold seats', async () => {
    await db.repository.saveSale(seatedSale('s1', 10));
    await db.repository.insertMany([
      reservation('s1', 1, { userId: 'ann', quantity: 2, seatIds: ['A1', 'A2'], status: 'CONFIRMED' }),
      reservation('s1', 2, { userId: 'ann', seatIds: ['A3'], status: 'CONFIRMED' }),
      reservation('s1', 3, { userId: 'bob', seatIds: ['A4'], status: 'PAYMENT_PENDING' }),
      reservation('s1', 4, { userId: 'cy', seatIds: ['A5'] }),
      reservation('s1', 5, { userId: 'dee', seatIds: ['A6'], status: 'FAILED' }),
      reservation('s1', 6, { userId: 'eve', seatIds: ['A7'], status: 'COMPENSATED' }),
    ]);
    expect(await db.repository.totals('s1')).toEqual({
      saleId: 's1',
      initialStock: 10,
      confirmedUnits: 3,
      confirmedSeatIds: ['A1', 'A2', 'A3'],
      pendingUnits: 2,
      pendingSeatIds: ['A4', 'A5'],
    });
    expect(await db.repository.loadSnapshot('s1')).toEqual({
      saleId: 's1',
      initialStock: 10,
      available: 5,
      seatIds: ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8', 'A9', 'A10'],
      confirmedSeatIds: ['A1', 'A2', 'A3'],
      ticketsPerUser: 4,
      confirmedPerUser: { ann: 3, bob: 1, cy: 1 },
    });
  });

  it('gives a general-admission snapshot', async () => {
    await db.repository.saveSale(generalSale('g1', 50));
    await db.repository.insertMany([reservation('g1', 1, { quantity: 3, status: 'CONFIRMED' })]);
    expect(await db.repository.loadSnapshot('g1')).toEqual({
      saleId: 'g1',
      initialStock: 50,
      available: 47,
      seatIds: [],
      confirmedSeatIds: [],
      ticketsPerUser: 4,
      confirmedPerUser: { u1: 3 },
    });
  });

  it('records reconciliation runs and reads them back newest first', async () => {
    const run = {
      saleId: 's1',
      ranAt: 1_000,
      storeAvailable: 7,
      storeHeld: 1,
      storeConfirmed: 2,
      truthConfirmed: 2,
      truthPending: 1,
      consistent: true,
      repaired: false,
    };
    await db.repository.recordReconciliation(run);
    await db.repository.recordReconciliation({ ...run, ranAt: 2_000, consistent: false, repaired: true });
    expect(await db.repository.reconciliations('s1')).toEqual([
      { ...run, ranAt: 2_000, consistent: false, repaired: true },
      run,
    ]);
    await expect(db.repository.recordReconciliation({ ...run, storeHeld: 1.5 })).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(await db.repository.reconciliations('s1')).toHaveLength(2);
  });
});
