import { ValidationError } from '@seatrush/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createPgConnection,
  PgReservationRepository,
  ShardedReservationRepository,
  shardOfSale,
} from '../src';
import {
  countRows,
  databaseUrl,
  type FreshSchema,
  freshSchema,
  generalSale,
  reservation,
  seatedSale,
} from './fixtures';

describe('read replica', () => {
  let db: FreshSchema;
  beforeEach(async () => {
    db = await freshSchema({ max: 2 });
    await db.repository.saveSale(generalSale('g1'));
  });
  afterEach(async () => {
    await db.dispose();
  });

  it('reads reconciliation history from the replica, and totals, snapshots and rows from the primary', async () => {
    // this machine has no replica: a second URL to the same server stands in, on a pool of its own
    const connection = createPgConnection({
      connectionString: databaseUrl(),
      readReplicaUrl: databaseUrl(),
      schema: db.schema,
      pool: { max: 1 },
    });
    try {
      expect(connection.replica).not.toBe(connection.primary);
      const repository = new PgReservationRepository(connection);
      await repository.reconciliations('g1');
      expect(connection.primary.totalCount).toBe(0);
      expect(connection.replica.totalCount).toBe(1);
      // the reconciler's truth: a lagging replica would put it behind the store it is compared
      // with, and a repair from it would free sold seats (docs/design.md §Reconciliation)
      await repository.totals('g1');
      expect(connection.primary.totalCount).toBe(1);
      await repository.loadSnapshot('g1');
      await repository.insertMany([reservation('g1', 1)]);
      expect(connection.primary.totalCount).toBe(1);
      expect(connection.replica.totalCount).toBe(1);
    } finally {
      await connection.close();
    }
  });
});

describe('ShardedReservationRepository', () => {
  let shards: FreshSchema[];
  let sharded: ShardedReservationRepository;
  beforeEach(async () => {
    shards = [await freshSchema({ max: 3 }), await freshSchema({ max: 3 })];
    sharded = new ShardedReservationRepository(shards.map((s) => s.repository));
  });
  afterEach(async () => {
    for (const shard of shards) await shard.dispose();
  });

  /** Sale ids landing on each shard. */
  function salesOnEachShard(): [string, string] {
    const ids = Array.from({ length: 50 }, (_, i) => `sale${i}`);
    return [ids.find((id) => shardOfSale(id, 2) === 0)!, ids.find((id) => shardOfSale(id, 2) === 1)!];
  }

  it('keeps every sale and its rows on the shard its id hashes to', async () => {
    const [a, b] = salesOnEachShard();
    await sharded.saveSale(generalSale(a));
    await sharded.saveSale(seatedSale(b, 4));
    const result = await sharded.insertMany([
      reservation(a, 1),
      reservation(b, 2, { seatIds: ['A1'] }),
      reservation(a, 3),
      reservation(a, 1),
    ]);
    expect(result).toEqual({ inserted: [`${a}-r1`, `${b}-r2`, `${a}-r3`], existing: [`${a}-r1`] });
    expect(await countRows(shards[0]!.connection, 'reservations')).toBe(2);
    expect(await countRows(shards[1]!.connection, 'reservations')).toBe(1);
    expect(await countRows(shards[0]!.connection, 'sales')).toBe(1);

    // id-only calls find the reservation wherever it lives
    expect(
      await sharded.transition({ reservationId: `${b}-r2`, from: ['REQUESTED'], to: 'CONFIRMED', now: 7 }),
    ).toBe(true);
    expect((await sharded.get(`${b}-r2`))?.status).toBe('CONFIRMED');
    expect(await sharded.totals(b)).toMatchObject({ confirmedUnits: 1, confirmedSeatIds: ['A1'] });
    expect((await sharded.loadSnapshot(a))?.available).toBe(98);
    expect(await sharded.get('nowhere')).toBeNull();
  });

  it("records a sale's reconciliation on its shard and answers the latest from there", async () => {
    const [a, b] = salesOnEachShard();
    await sharded.saveSale(generalSale(a));
    await sharded.saveSale(generalSale(b));
    const run = {
      saleId: b,
      ranAt: 1_000,
      storeAvailable: 100,
      storeHeld: 0,
      storeConfirmed: 0,
      truthConfirmed: 0,
      truthPending: 0,
      consistent: true,
      repaired: false,
    };
    await sharded.recordReconciliation(run);
    expect(await countRows(shards[1]!.connection, 'reconciliation_runs')).toBe(1);
    expect(await sharded.lastReconciliation(b)).toEqual(run);
    expect(await sharded.lastReconciliation(a)).toBeNull();
  });

  it('refuses a batch with a bad row before writing to any shard', async () => {
    const [a, b] = salesOnEachShard();
    await sharded.saveSale(generalSale(a));
    await sharded.saveSale(generalSale(b));
    await expect(
      sharded.insertMany([reservation(a, 1), reservation(b, 2, { quantity: -2 })]),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await countRows(shards[0]!.connection, 'reservations')).toBe(0);
    expect(await countRows(shards[1]!.connection, 'reservations')).toBe(0);
  });
});
