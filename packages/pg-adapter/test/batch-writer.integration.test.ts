import { ConfigurationError, type ReservationRow, ValidationError } from '@seatrush/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReservationBatchWriter, SeatAlreadySoldError } from '../src';
import { countRows, type FreshSchema, freshSchema, generalSale, reservation, seatedSale } from './fixtures';

describe('ReservationBatchWriter', () => {
  let db: FreshSchema;
  /** Sizes of the batches that reached the repository, in order. */
  let batches: number[];
  let repository: FreshSchema['repository'];

  beforeEach(async () => {
    db = await freshSchema({ max: 4 });
    await db.repository.saveSale(generalSale('g1', 10_000));
    await db.repository.saveSale(seatedSale('s1', 5));
    batches = [];
    // the real repository, observed: how many round trips the writer made
    const real = db.repository;
    repository = Object.create(real, {
      insertMany: {
        value: (rows: ReservationRow[]) => {
          batches.push(rows.length);
          return real.insertMany(rows);
        },
      },
    });
  });
  afterEach(async () => {
    await db.dispose();
  });

  it('writes 1,000 concurrent single writes in full batches of the configured size', async () => {
    const writer = new ReservationBatchWriter(repository, { maxBatchSize: 100, maxDelayMs: 60_000 });
    const outcomes = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => writer.write(reservation('g1', i))),
    );
    expect(outcomes.every((o) => o === 'inserted')).toBe(true);
    expect(batches).toEqual(Array(10).fill(100));
    expect(await countRows(db.connection, 'reservations')).toBe(1_000);
  });

  it('writes a partial batch when its oldest row has waited long enough', async () => {
    const writer = new ReservationBatchWriter(repository, { maxBatchSize: 1_000, maxDelayMs: 10 });
    const outcomes = await Promise.all([1, 2, 3].map((i) => writer.write(reservation('g1', i))));
    expect(outcomes).toEqual(['inserted', 'inserted', 'inserted']);
    expect(batches).toEqual([3]);
  });

  it('tells each caller whether its row was new, also for a row written twice', async () => {
    await db.repository.insertMany([reservation('g1', 1)]);
    const writer = new ReservationBatchWriter(repository, { maxBatchSize: 4 });
    const outcomes = await Promise.all([
      writer.write(reservation('g1', 1)),
      writer.write(reservation('g1', 2)),
      writer.write(reservation('g1', 2)),
      writer.write(reservation('g1', 3)),
    ]);
    expect(outcomes).toEqual(['existing', 'inserted', 'existing', 'inserted']);
  });

  it('refuses a bad row to its caller alone, and still writes the others', async () => {
    const writer = new ReservationBatchWriter(repository, { maxBatchSize: 4 });
    await db.repository.insertMany([reservation('s1', 9, { seatIds: ['A1'], status: 'CONFIRMED' })]);
    const outcomes = await Promise.allSettled([
      writer.write(reservation('g1', 1)),
      writer.write(reservation('g1', 2, { quantity: 0 })),
      writer.write(reservation('ghost', 3)),
      writer.write(reservation('s1', 4, { seatIds: ['A1'], status: 'CONFIRMED' })),
      writer.write(reservation('g1', 5)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    const reasons = outcomes.map((o) => (o.status === 'rejected' ? o.reason : null));
    expect(reasons[1]).toBeInstanceOf(ValidationError);
    expect(reasons[2]).toBeInstanceOf(ValidationError);
    expect(reasons[3]).toBeInstanceOf(SeatAlreadySoldError);
    expect(await db.repository.get('g1-r1')).not.toBeNull();
    expect(await db.repository.get('g1-r5')).not.toBeNull();
  });

  it('writes what is buffered on close, then refuses new writes', async () => {
    const writer = new ReservationBatchWriter(repository, { maxBatchSize: 100, maxDelayMs: 60_000 });
    const written = writer.write(reservation('g1', 1));
    expect(writer.buffered).toBe(1);
    await writer.close();
    expect(await written).toBe('inserted');
    await expect(writer.write(reservation('g1', 2))).rejects.toThrow('closed');
  });

  it('refuses a nonsensical configuration', () => {
    expect(() => new ReservationBatchWriter(repository, { maxBatchSize: 0 })).toThrow(ConfigurationError);
  });
});
