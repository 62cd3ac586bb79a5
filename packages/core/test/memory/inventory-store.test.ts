import { describe, expect, it } from 'vitest';
import { type InventorySnapshot, type ReserveRequest, UnknownSaleError, ValidationError } from '../../src';
import { MemoryInventoryStore, MemoryWaitingRoomStore } from '../../src/subpaths/memory';

// What the conformance suites leave to each adapter: the reference store's own stricter checks.

const NOW = 1_000_000;

const general = (saleId = 'ga'): InventorySnapshot => ({
  saleId,
  initialStock: 10,
  available: 10,
  seatIds: [],
  confirmedSeatIds: [],
  ticketsPerUser: 4,
  confirmedPerUser: {},
});

const assigned = (saleId = 'as'): InventorySnapshot => ({
  ...general(saleId),
  initialStock: 3,
  available: 3,
  seatIds: ['A1', 'A2', 'A3'],
});

const request = (overrides: Partial<ReserveRequest> = {}): ReserveRequest => ({
  saleId: 'ga',
  userId: 'u1',
  reservationId: 'r1',
  idempotencyKey: 'k1',
  selection: { kind: 'quantity', quantity: 1 },
  holdMs: 60_000,
  requireAdmission: false,
  now: NOW,
  ...overrides,
});

async function issuesOf(action: () => Promise<unknown>): Promise<string[]> {
  const error = await action().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).issues.map((i) => i.path);
}

describe('MemoryInventoryStore', () => {
  it('refuses NOT_ADMITTED when admission is required and it has no waiting room to ask', async () => {
    const store = new MemoryInventoryStore();
    await store.load(general());
    expect(await store.reserve(request({ requireAdmission: true }))).toEqual({
      ok: false,
      code: 'NOT_ADMITTED',
    });
  });

  it('refuses a snapshot whose numbers and seats disagree, listing every problem, and loads nothing', async () => {
    const store = new MemoryInventoryStore();
    expect(await issuesOf(() => store.load({ ...general(), available: 11 }))).toEqual(['available']);
    expect(
      await issuesOf(() =>
        store.load({ ...assigned(), initialStock: 4, seatIds: ['A1', 'A1', 'A2'], confirmedSeatIds: ['Z9'] }),
      ),
    ).toEqual(expect.arrayContaining(['seatIds', 'initialStock', 'confirmedSeatIds']));
    expect(await issuesOf(() => store.load({ ...general(), confirmedSeatIds: ['A1'] }))).toEqual([
      'confirmedSeatIds',
    ]);
    expect(await store.isWarm('ga')).toBe(false);
    expect(await store.isWarm('as')).toBe(false);
  });

  it('rejects a request naming a seat twice', async () => {
    const store = new MemoryInventoryStore();
    await store.load(assigned());
    const twice = request({ saleId: 'as', selection: { kind: 'seats', seatIds: ['A1', 'A1'] } });
    expect(await issuesOf(() => store.reserve(twice))).toEqual(['selection.seatIds']);
    expect((await store.seatStates('as')).A1).toBe('AVAILABLE');
  });

  it('rejects a reservation id already used by a live hold under another key', async () => {
    const store = new MemoryInventoryStore();
    await store.load(general());
    await store.reserve(request());
    expect(await issuesOf(() => store.reserve(request({ idempotencyKey: 'k2' })))).toEqual(['reservationId']);
    expect(await store.counts('ga')).toMatchObject({ available: 9, held: 1 });
  });

  it('refuses a truth that names unknown seats or sells more than the stock', async () => {
    const store = new MemoryInventoryStore();
    await store.load(assigned());
    expect(
      await issuesOf(() =>
        store.repair({
          saleId: 'as',
          confirmedUnits: 4,
          confirmedSeatIds: ['Z9'],
          pendingUnits: 1,
          pendingSeatIds: ['Z8'],
        }),
      ),
    ).toEqual(['confirmedSeatIds', 'pendingSeatIds', 'confirmedUnits']);
    expect(await store.counts('as')).toMatchObject({ available: 3, confirmed: 0 });
  });

  it('throws UnknownSaleError for the counts, seats and stock steps of a sale never loaded', async () => {
    const store = new MemoryInventoryStore({ waitingRoom: new MemoryWaitingRoomStore() });
    await expect(store.counts('nope')).rejects.toBeInstanceOf(UnknownSaleError);
    await expect(store.seatStates('nope')).rejects.toBeInstanceOf(UnknownSaleError);
    await expect(store.steps().takeStock('nope', 1, 1)).rejects.toBeInstanceOf(UnknownSaleError);
    expect(await store.expireDue({ saleId: 'nope', now: NOW, limit: 5 })).toEqual([]);
    // a compensation of a sale that is not loaded writes nothing (issue 20: no half-made sale)
    expect(await store.compensate({ saleId: 'nope', reservationId: 'r1' })).toEqual({
      ok: false,
      code: 'SALE_NOT_WARM',
    });
  });

  it('hands out copies: changing a returned hold changes nothing in the store', async () => {
    const store = new MemoryInventoryStore();
    await store.load(assigned());
    const outcome = await store.reserve(
      request({ saleId: 'as', selection: { kind: 'seats', seatIds: ['A1'] } }),
    );
    if (!outcome.ok) throw new Error('expected a hold');
    outcome.hold.seatIds.push('A2');
    outcome.hold.expiresAt = 0;
    expect(await store.getHold('as', 'r1')).toMatchObject({ seatIds: ['A1'], expiresAt: NOW + 60_000 });
  });

  it('peeks at a hold as getHold answers it, without a copy, and at nothing for an unknown one', async () => {
    const store = new MemoryInventoryStore();
    await store.load(assigned());
    await store.reserve(request({ saleId: 'as', selection: { kind: 'seats', seatIds: ['A1'] } }));
    expect(store.peekHold('as', 'r1')).toEqual(await store.getHold('as', 'r1'));
    expect(store.peekHold('as', 'r1'), 'the same record every time').toBe(store.peekHold('as', 'r1'));
    expect(store.peekHold('as', 'r2')).toBeUndefined();
    expect(store.peekHold('nope', 'r1')).toBeUndefined();
  });

  it('lists the unrelayed holds due, oldest first then by id, up to the limit; none for an empty outbox', async () => {
    const store = new MemoryInventoryStore();
    await store.load(general());
    expect(await store.unrelayed({ saleId: 'ga', enqueuedUpTo: NOW, limit: 10 })).toEqual([]);
    for (const [id, at] of [
      ['r3', NOW + 1],
      ['r2', NOW],
      ['r1', NOW],
      ['r4', NOW + 5],
    ] as const)
      await store.reserve(
        request({ reservationId: id, idempotencyKey: `k-${id}`, userId: `u-${id}`, now: at }),
      );
    const due = await store.unrelayed({ saleId: 'ga', enqueuedUpTo: NOW + 1, limit: 10 });
    expect(due.map((entry) => [entry.reservationId, entry.enqueuedAt])).toEqual([
      ['r1', NOW],
      ['r2', NOW],
      ['r3', NOW + 1],
    ]);
    expect(due[0]!.hold).toEqual(await store.getHold('ga', 'r1'));
    const first = await store.unrelayed({ saleId: 'ga', enqueuedUpTo: NOW + 10, limit: 2 });
    expect(first.map((entry) => entry.reservationId)).toEqual(['r1', 'r2']);
    await store.markRelayed({ saleId: 'ga', reservationIds: ['r1', 'r2'] });
    const rest = await store.unrelayed({ saleId: 'ga', enqueuedUpTo: NOW + 10, limit: 10 });
    expect(rest.map((entry) => entry.reservationId)).toEqual(['r3', 'r4']);
    await expect(store.markRelayed({ saleId: 'ga', reservationIds: ['bad id'] })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('counts the confirmed units of the snapshot against the per-user limit', async () => {
    const store = new MemoryInventoryStore();
    await store.load({ ...general(), available: 7, confirmedPerUser: { u1: 3 } });
    expect(await store.steps().unitsOfUser('ga', 'u1')).toBe(3);
    expect(await store.reserve(request({ selection: { kind: 'quantity', quantity: 2 } }))).toMatchObject({
      code: 'LIMIT_EXCEEDED',
    });
  });
});
