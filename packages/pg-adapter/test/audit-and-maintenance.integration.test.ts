import { UnknownSaleError, ValidationError } from '@seatrush/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PgSaleMaintenance, PgStockAudit, partitionNameOf, type StockChangedEvent } from '../src';
import { type FreshSchema, freshSchema, generalSale, reservation } from './fixtures';

let db: FreshSchema;
beforeEach(async () => {
  db = await freshSchema({ max: 4 });
  await db.repository.saveSale(generalSale('g1', 100));
});
afterEach(async () => {
  await db.dispose();
});

const change = (
  n: number,
  reason: StockChangedEvent['payload']['reason'],
  delta: number,
  confirmedDelta = 0,
) =>
  ({
    eventId: `e${n}`,
    type: 'StockChanged',
    version: 1,
    saleId: 'g1',
    key: 'g1',
    occurredAt: 1_000 + n,
    payload: { reason, delta, confirmedDelta, reservationId: `g1-r${n}`, seatIds: [] },
  }) satisfies StockChangedEvent;

describe('PgStockAudit', () => {
  it('records each event once, and replaying the events rebuilds the counts', async () => {
    const audit = new PgStockAudit(db.connection);
    const events = [
      change(0, 'WARMED', 100),
      change(1, 'HELD', -2),
      change(2, 'HELD', -1),
      change(3, 'CONFIRMED', 0, 2),
    ];
    expect(await audit.append(events.slice(0, 3))).toEqual({ recorded: ['e0', 'e1', 'e2'], duplicates: [] });
    // a consumer replaying the topic after a crash hands in the same events again
    expect(await audit.append(events)).toEqual({ recorded: ['e3'], duplicates: ['e0', 'e1', 'e2'] });
    expect(await audit.replay('g1')).toEqual({ saleId: 'g1', changes: 4, available: 97, confirmed: 2 });
  });

  it('refuses malformed events and events of unknown sales, writing none of the batch', async () => {
    const audit = new PgStockAudit(db.connection);
    const bad = { ...change(1, 'HELD', -1), payload: { ...change(1, 'HELD', -1).payload, reason: 'STOLEN' } };
    await expect(audit.append([change(0, 'WARMED', 100), bad as never])).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(
      audit.append([change(0, 'WARMED', 100), { ...change(1, 'HELD', -1), saleId: 'ghost' }]),
    ).rejects.toBeInstanceOf(ValidationError);
    expect((await audit.replay('g1')).changes).toBe(0);
  });
});

describe('PgSaleMaintenance', () => {
  it('keeps only the hot-path indexes while a sale runs and adds the reporting ones when it closes', async () => {
    const maintenance = new PgSaleMaintenance(db.connection);
    const partition = partitionNameOf('g1');
    const running = await maintenance.indexesOf('g1');
    expect(running).toHaveLength(2); // primary key, idempotency key
    await db.repository.insertMany([reservation('g1', 1)]);
    const { indexes } = await maintenance.closeSale('g1', 5_000);
    expect(indexes).toEqual([`${partition}_by_user`, `${partition}_by_status`, `${partition}_by_created`]);
    expect(await maintenance.indexesOf('g1')).toEqual([...running, ...indexes].sort());
    // building them again is a no-op
    expect(await maintenance.buildReportingIndexes('g1')).toEqual(indexes);
    expect(await maintenance.indexesOf('g1')).toHaveLength(5);
    await expect(maintenance.closeSale('ghost', 1)).rejects.toBeInstanceOf(UnknownSaleError);
  });
});
