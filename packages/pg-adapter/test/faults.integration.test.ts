import { InfrastructureError } from '@seatrush/core';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PgReservationRepository } from '../src';
import {
  countRows,
  databaseUrl,
  type FreshSchema,
  freshSchema,
  generalSale,
  impatientConnection,
  reservation,
  seatedSale,
} from './fixtures';

/**
 * A server-side crash of the session doing the write: another session holds a lock the write
 * needs, the write's backend is ended with `pg_terminate_backend` while it waits, then the blocker
 * rolls back. Whatever was acknowledged before must be there; nothing of the killed write may be.
 */
describe('a backend killed in the middle of a write', () => {
  let db: FreshSchema;
  let blocker: pg.Client;

  beforeEach(async () => {
    db = await freshSchema({ max: 3 });
    blocker = new pg.Client({ connectionString: databaseUrl() });
    await blocker.connect();
  });
  afterEach(async () => {
    await blocker.end().catch(() => {});
    await db.dispose();
  });

  /** Waits until a session of the repository's pool waits on a lock, then ends it. */
  async function killWaitingBackend(): Promise<void> {
    for (let tries = 0; tries < 200; tries += 1) {
      const { rows } = await blocker.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [db.schema],
      );
      if (rows[0]) {
        await blocker.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('the write never waited on the lock');
  }

  it('keeps every acknowledged batch and none of the killed one, and a retry then writes it whole', async () => {
    await db.repository.saveSale(generalSale('g1', 1_000));
    const acknowledged = Array.from({ length: 50 }, (_, i) => reservation('g1', 100 + i));
    expect((await db.repository.insertMany(acknowledged)).inserted).toHaveLength(50);

    const killed = Array.from({ length: 10 }, (_, i) => reservation('g1', i));
    await blocker.query('BEGIN');
    // an uncommitted row with the same key as row 5: the batch insert waits on it
    await blocker.query(
      `INSERT INTO ${db.schema}.reservations (sale_id, reservation_id, user_id, idempotency_key, quantity,
         amount_cents, status, created_at, updated_at) VALUES ('g1', 'g1-r5', 'u5', 'k5', 1, 0, 'REQUESTED', 1, 1)`,
    );
    const write = db.repository.insertMany(killed).catch((error: unknown) => error);
    await killWaitingBackend();
    const error = await write;
    await blocker.query('ROLLBACK');

    expect(error).toBeInstanceOf(InfrastructureError);
    expect(await countRows(db.connection, 'reservations', "reservation_id < 'g1-r100'")).toBe(0);
    expect(await countRows(db.connection, 'reservation_ids')).toBe(50);
    for (const row of acknowledged) expect(await db.repository.get(row.reservationId)).toEqual(row);
    // the pool dropped the dead connection: the retry (same rows, idempotent) writes the batch whole
    expect((await db.repository.insertMany(killed)).inserted).toHaveLength(10);
    expect(await countRows(db.connection, 'reservations')).toBe(60);
  });

  it('leaves a sale exactly as it was when saving it is killed half way', async () => {
    await db.repository.saveSale(seatedSale('s1', 5));
    await blocker.query('BEGIN');
    // lock a seat row: saving the sale updates the sales row first, then waits here
    await blocker.query(
      `SELECT 1 FROM ${db.schema}.seats WHERE sale_id = 's1' AND seat_id = 'A5' FOR UPDATE`,
    );
    const write = db.repository
      .saveSale({ ...seatedSale('s1', 3), name: 'Renamed' })
      .catch((error: unknown) => error);
    await killWaitingBackend();
    const error = await write;
    await blocker.query('ROLLBACK');

    expect(error).toBeInstanceOf(InfrastructureError);
    expect((await db.repository.getSale('s1'))?.name).toBe('Seated s1');
    expect((await db.repository.loadSnapshot('s1'))?.seatIds).toEqual(['A1', 'A2', 'A3', 'A4', 'A5']);
  });

  it('neither confirms a reservation nor claims its seat when the confirmation is killed', async () => {
    await db.repository.saveSale(seatedSale('s1', 5));
    await db.repository.insertMany([reservation('s1', 1, { seatIds: ['A1'] })]);
    await blocker.query('BEGIN');
    await blocker.query(`SELECT 1 FROM ${db.schema}.reservations WHERE reservation_id = 's1-r1' FOR UPDATE`);
    const write = db.repository
      .transition({ reservationId: 's1-r1', from: ['REQUESTED'], to: 'CONFIRMED', paymentId: 'p1', now: 5 })
      .catch((error: unknown) => error);
    await killWaitingBackend();
    const error = await write;
    await blocker.query('ROLLBACK');

    expect(error).toBeInstanceOf(InfrastructureError);
    expect(await db.repository.get('s1-r1')).toMatchObject({ status: 'REQUESTED', paymentId: null });
    expect(await countRows(db.connection, 'sold_seats')).toBe(0);
    expect(await countRows(db.connection, 'payments')).toBe(0);
    // the guarded transition is safe to retry
    expect(
      await db.repository.transition({
        reservationId: 's1-r1',
        from: ['REQUESTED'],
        to: 'CONFIRMED',
        paymentId: 'p1',
        now: 6,
      }),
    ).toBe(true);
  });

  it('fails a write blocked by a lock after the lock timeout instead of queueing forever', async () => {
    await db.repository.saveSale(seatedSale('s1', 5));
    await db.repository.insertMany([reservation('s1', 1, { seatIds: ['A1'] })]);
    const impatient = impatientConnection(db.schema, 200);
    try {
      await blocker.query('BEGIN');
      await blocker.query(
        `SELECT 1 FROM ${db.schema}.reservations WHERE reservation_id = 's1-r1' FOR UPDATE`,
      );
      const error = await new PgReservationRepository(impatient)
        .transition({ reservationId: 's1-r1', from: ['REQUESTED'], to: 'FAILED', now: 5 })
        .catch((e: unknown) => e);
      await blocker.query('ROLLBACK');
      expect(error).toBeInstanceOf(InfrastructureError);
      expect((error as InfrastructureError).cause).toMatchObject({ code: '55P03' }); // lock_not_available
      expect((await db.repository.get('s1-r1'))?.status).toBe('REQUESTED');
    } finally {
      await impatient.close();
    }
  });
});

describe('saving a sale while another sale is selling', () => {
  it('does not wait for, nor stall, the running sale writes', async () => {
    const db = await freshSchema({ max: 2 });
    const writer = new pg.Client({ connectionString: databaseUrl() });
    await writer.connect();
    const impatient = impatientConnection(db.schema, 500);
    try {
      await db.repository.saveSale(generalSale('running'));
      // a write of the running sale, still in its transaction
      await writer.query('BEGIN');
      await writer.query(
        `INSERT INTO ${db.schema}.reservations (sale_id, reservation_id, user_id, idempotency_key, quantity,
           amount_cents, status, created_at, updated_at) VALUES ('running', 'w1', 'u', 'k', 1, 0, 'REQUESTED', 1, 1)`,
      );
      // a new sale gets its partition without the ACCESS EXCLUSIVE lock that would wait on that write
      await new PgReservationRepository(impatient).saveSale(generalSale('next'));
      await writer.query('COMMIT');
      await db.repository.insertMany([reservation('next', 1)]);
      expect(await db.repository.get('next-r1')).not.toBeNull();
      expect(await db.repository.get('w1')).not.toBeNull();
    } finally {
      await writer.end();
      await impatient.close();
      await db.dispose();
    }
  });
});
