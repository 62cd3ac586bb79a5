import { ConfigurationError, type DomainEvent, ValidationError } from '@seatrush/core';
import { uniqueName } from '@seatrush/test-support';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createPgConnection,
  type OwnedPgConnection,
  PgProjector,
  PgReadModel,
  rebuildReadSide,
} from '../src';
import { countRows, databaseUrl, dropSchema, type FreshSchema, freshSchema } from './fixtures';
import { deliveries, type Scenario, seatedScenario, shuffled } from './read-side-scenario';

let live: FreshSchema;
let spare: OwnedPgConnection[] = [];
beforeEach(async () => {
  live = await freshSchema({ max: 4 });
});
afterEach(async () => {
  await live.dispose();
  for (const connection of spare) {
    await dropSchema(connection.schema);
    await connection.close();
  }
  spare = [];
});

/** A connection to a new, not yet migrated schema, dropped after the test. */
function newSchema(): OwnedPgConnection {
  const schema = uniqueName('sr_read');
  const connection = createPgConnection({ connectionString: databaseUrl(), schema, pool: { max: 4 } });
  spare.push(connection);
  return connection;
}

async function projectLive(scenario: Scenario, seed: number): Promise<PgProjector> {
  const projector = new PgProjector(live.connection);
  for (const batch of deliveries(scenario, seed)) await projector.handleBatch(batch);
  return projector;
}

describe('PgProjector and PgReadModel', () => {
  it('builds the seat map, stats and buyer histories the events describe', async () => {
    const scenario = seatedScenario('s1', { seats: 12, rounds: 3, partitions: 3, seed: 1 });
    await projectLive(scenario, 11);
    const model = new PgReadModel(live.connection);

    const seats = await model.seatMap({ saleId: 's1' });
    expect(new Map(seats.map((s) => [s.seatId, { state: s.state, userId: s.userId }]))).toEqual(
      scenario.seats,
    );

    const stats = await model.saleStats({ saleId: 's1' });
    const count = (ending: string) => scenario.reservations.filter((r) => r.ending === ending).length;
    expect(stats.totals).toMatchObject({
      requested: scenario.reservations.length,
      confirmed: count('CONFIRMED'),
      failed: count('FAILED'),
      expired: count('EXPIRED'),
      admitted: scenario.reservations.length,
      unitsSold: count('CONFIRMED'),
      revenueCents: 7_500 * count('CONFIRMED'),
      // warmed 12, then every hold still open or sold keeps its unit
      availableDelta: 12 - count('CONFIRMED') - count('HELD'),
    });
    expect(stats.unitsHeld).toBe(count('HELD'));
    expect(stats.asOf).toBe(Math.max(...scenario.events.map((e) => e.occurredAt)));
    expect(stats.series.length).toBeGreaterThan(1);

    const buyer = scenario.reservations[0]?.userId as string;
    const history = await model.buyerHistory({ userId: buyer, saleId: 's1' });
    expect(history.map((h) => h.reservationId).sort()).toEqual(
      scenario.reservations
        .filter((r) => r.userId === buyer)
        .map((r) => r.reservationId)
        .sort(),
    );
    for (const entry of history) {
      const ending = scenario.reservations.find((r) => r.reservationId === entry.reservationId)?.ending;
      expect(entry.state).toBe(ending);
    }
  });

  it('ignores duplicates: a redelivered batch and a whole replay insert nothing twice', async () => {
    const scenario = seatedScenario('s1', { seats: 6, rounds: 2, partitions: 3, seed: 2 });
    const projector = await projectLive(scenario, 5);
    const before = await Promise.all(
      ['read_events', 'read_reservations', 'read_seats', 'read_sale_minutes'].map((t) =>
        countRows(live.connection, t),
      ),
    );
    const model = new PgReadModel(live.connection);
    const stats = await model.saleStats({ saleId: 's1' });
    expect(await projector.apply(scenario.events)).toEqual({
      applied: 0,
      duplicates: scenario.events.length,
    });
    await projector.handle(scenario.events[3] as DomainEvent);
    expect(
      await Promise.all(
        ['read_events', 'read_reservations', 'read_seats', 'read_sale_minutes'].map((t) =>
          countRows(live.connection, t),
        ),
      ),
    ).toEqual(before);
    expect(await model.saleStats({ saleId: 's1' })).toEqual(stats);
    expect(projector.progress()).toMatchObject({
      applied: scenario.events.length,
      duplicates: scenario.events.length + 1,
    });
  });

  it('answers who held or bought a seat, and when', async () => {
    const scenario = seatedScenario('s1', { seats: 4, rounds: 3, partitions: 3, seed: 3 });
    await projectLive(scenario, 7);
    const audit = await new PgReadModel(live.connection).auditOfSeat({ saleId: 's1', seatId: 'A2' });
    const expected = scenario.events
      .filter((e) => e.type !== 'UserAdmitted' && 'seatIds' in e.payload && e.payload.seatIds.includes('A2'))
      .sort((a, b) => a.occurredAt - b.occurredAt || (a.eventId < b.eventId ? -1 : 1));
    expect(audit.map((entry) => entry.eventId)).toEqual(expected.map((e) => e.eventId));
    const holders = scenario.reservations.filter((r) => r.seatId === 'A2');
    for (const holder of holders) {
      const mine = audit.filter((entry) => entry.reservationId === holder.reservationId);
      // the stock events carry no buyer: the answer names them from the reservation's own events
      expect(new Set(mine.map((entry) => entry.userId))).toEqual(new Set([holder.userId]));
      expect(mine.map((entry) => entry.action)).toContain('StockChanged:HELD');
    }
    expect(audit.map((entry) => entry.at)).toEqual([...audit.map((entry) => entry.at)].sort((a, b) => a - b));
  });

  it('rebuilds from offset 0 into a fresh schema the same views it built live, whatever the order', async () => {
    const scenario = seatedScenario('s1', { seats: 15, rounds: 3, partitions: 3, seed: 4 });
    const other = seatedScenario('s2', { seats: 3, rounds: 1, partitions: 3, seed: 9 });
    await projectLive(scenario, 21);
    await projectLive(other, 22);
    // the stream as Kafka replays it: partitions interleaved differently, every event twice
    const replay = [...deliveries(scenario, 99).flat(), ...other.events, ...deliveries(scenario, 100).flat()];
    const rebuilt = await rebuildReadSide({
      saleId: 's1',
      events: replay,
      live: live.connection,
      into: newSchema(),
    });
    expect(rebuilt).toMatchObject({
      saleId: 's1',
      events: scenario.events.length * 2,
      applied: scenario.events.length,
    });
    expect(rebuilt.differences).toEqual([]);

    // even a total shuffle (no per-partition order at all), in batches of 7, builds the same views
    const async = (async function* () {
      yield* shuffled(scenario.events, 5);
    })();
    const anyOrder = await rebuildReadSide({
      saleId: 's1',
      events: async,
      live: live.connection,
      into: newSchema(),
      batchSize: 7,
    });
    expect(anyOrder.differences).toEqual([]);
  });

  it('builds the same views when partitions are projected concurrently', async () => {
    const scenario = seatedScenario('s1', { seats: 15, rounds: 3, partitions: 3, seed: 6 });
    await projectLive(scenario, 31);
    const into = newSchema();
    const empty = await rebuildReadSide({ saleId: 's1', events: [], live: live.connection, into });
    expect(empty.differences.length).toBeGreaterThan(0);
    const projector = new PgProjector(into);
    const byPartition = [0, 1, 2].map((p) => scenario.events.filter((e) => scenario.partitionOf(e) === p));
    await Promise.all(
      byPartition.map(async (events) => {
        for (let i = 0; i < events.length; i += 5) await projector.handleBatch(events.slice(i, i + 5));
      }),
    );
    const { compareReadSides } = await import('../src');
    expect(await compareReadSides('s1', live.connection, into)).toEqual([]);
  });

  it('tells the differences when the live views missed events', async () => {
    const scenario = seatedScenario('s1', { seats: 5, rounds: 2, partitions: 3, seed: 8 });
    // a confirmation lost on the way: both its events (the stock one alone would confirm the seat)
    const lost = scenario.events.find((e) => e.type === 'ReservationConfirmed') as DomainEvent;
    const missing = scenario.events.filter((e) => e.key === lost.key && e.occurredAt === lost.occurredAt);
    expect(missing).toHaveLength(2);
    await new PgProjector(live.connection).apply(scenario.events.filter((e) => !missing.includes(e)));
    const rebuilt = await rebuildReadSide({
      saleId: 's1',
      events: scenario.events,
      live: live.connection,
      into: newSchema(),
    });
    const views = new Set(rebuilt.differences.map((d) => d.view));
    expect(views).toEqual(new Set(['seats', 'stats', 'reservations', 'events']));
    expect(rebuilt.differences).toContainEqual({
      view: 'events',
      key: lost.eventId,
      live: null,
      rebuilt: 'ReservationConfirmed',
    });
  });

  it('refuses to rebuild into a schema that already holds the sale', async () => {
    const scenario = seatedScenario('s1', { seats: 2, rounds: 1, partitions: 3, seed: 10 });
    await projectLive(scenario, 1);
    const into = newSchema();
    await rebuildReadSide({ saleId: 's1', events: scenario.events, live: live.connection, into });
    await expect(
      rebuildReadSide({ saleId: 's1', events: [], live: live.connection, into }),
    ).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('reads through the replica pool', async () => {
    const scenario = seatedScenario('s1', { seats: 3, rounds: 1, partitions: 3, seed: 12 });
    await projectLive(scenario, 2);
    const endedPrimary = new pg.Pool({ connectionString: databaseUrl() });
    await endedPrimary.end();
    const model = new PgReadModel({
      primary: endedPrimary,
      replica: live.connection.primary,
      schema: live.schema,
    });
    expect(await model.seatMap({ saleId: 's1' })).toHaveLength(3);
    expect(await model.auditOfSeat({ saleId: 's1', seatId: 'A1' })).not.toHaveLength(0);
  });

  it('answers bad input with a ValidationError and changes nothing', async () => {
    const model = new PgReadModel(live.connection);
    await expect(model.seatMap({ saleId: 'a:b' })).rejects.toBeInstanceOf(ValidationError);
    await expect(model.auditOfSeat({ saleId: 's1', seatId: '{x}' })).rejects.toBeInstanceOf(ValidationError);
    await expect(model.buyerHistory({ userId: 'u1', limit: 0 })).rejects.toBeInstanceOf(ValidationError);
    const projector = new PgProjector(live.connection);
    const bad = { eventId: 'x', type: 'StockChanged', saleId: 's1' } as unknown as DomainEvent;
    await expect(projector.apply([bad])).rejects.toBeInstanceOf(ValidationError);
    expect(await countRows(live.connection, 'read_events')).toBe(0);
  });
});
