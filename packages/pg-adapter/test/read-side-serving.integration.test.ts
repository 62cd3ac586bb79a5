import { ConfigurationError, ValidationError } from '@seatrush/core';
import { MemoryEventBus } from '@seatrush/core/memory';
import { freePort } from '@seatrush/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CuttableHop } from '../../../test/support/cuttable-hop';
import {
  createPgConnection,
  type OwnedPgConnection,
  PgProjector,
  PgReadModel,
  PROJECTOR_GROUP,
  ReadSide,
  type ReadSideOptions,
} from '../src';
import { databaseUrl, type FreshSchema, freshSchema } from './fixtures';
import { seatedScenario } from './read-side-scenario';

/**
 * ReadSide on the real PostgreSQL: the projector runs behind a consumer (core's in-memory event
 * log: the consumer port, not PostgreSQL, is what this package leaves to the host; the Kafka
 * consumer is exercised in test/read-side-pipeline.integration.test.ts), and every read is answered
 * from the views or from the hot store by the staleness rule. The clock is the test's, so "past the
 * bound" is a fact, not a race.
 */
let live: FreshSchema;
let bus: MemoryEventBus;
let clock: number;
let readSide: ReadSide | null;
const extra: OwnedPgConnection[] = [];
const hops: CuttableHop[] = [];
beforeEach(async () => {
  live = await freshSchema({ max: 4 });
  bus = new MemoryEventBus();
  clock = 1_000_000;
  readSide = null;
});
afterEach(async () => {
  await readSide?.stop();
  for (const hop of hops.splice(0)) await hop.cut();
  for (const connection of extra.splice(0)) await connection.close();
  await live.dispose();
});

const scenario = seatedScenario('hall', { seats: 6, rounds: 2, partitions: 3, seed: 4 });
/** The hot store's answer, as a host's would be: marked so the test sees which one answered. */
const hotStoreMap = async () => [{ seatId: 'from-the-hot-store' }];

function startReadSide(options: Partial<ReadSideOptions> = {}, model = new PgReadModel(live.connection)) {
  readSide = new ReadSide({
    model,
    projector: new PgProjector(live.connection),
    consumer: bus.consumer(PROJECTOR_GROUP),
    lagPollMs: 60_000, // the test polls itself
    now: () => clock,
    ...options,
  });
  readSide.start();
  return readSide;
}

/** Polls until the projector has caught up (bounded). */
async function caughtUp(side: ReadSide): Promise<void> {
  const deadline = Date.now() + 20_000;
  do {
    await side.poll();
    if (side.lag() === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  } while (Date.now() < deadline);
  throw new Error(`projector did not catch up: lag ${side.lag()}`);
}

describe('ReadSide: where a read is answered from', () => {
  it('answers from the views while their staleness is within the bound', async () => {
    await bus.publish(scenario.events);
    const side = startReadSide();
    await caughtUp(side);
    clock += 4_999;
    expect(side.stalenessMs()).toBe(4_999);
    expect(side.fresh()).toBe(true);

    let hotStoreReads = 0;
    const served = await side.serve(
      'seat-map',
      (model) => model.seatMap({ saleId: 'hall' }),
      async () => {
        hotStoreReads += 1;
        return [];
      },
    );
    expect(served).toMatchObject({ source: 'read-side', stalenessMs: 4_999, fallback: null });
    expect(new Map(served.value.map((s) => [s.seatId, { state: s.state, userId: s.userId }]))).toEqual(
      scenario.seats,
    );
    expect(hotStoreReads).toBe(0);
    expect(side.fallbacks()).toBe(0);
    expect(side.progress()).toEqual({ applied: scenario.events.length, duplicates: 0 });
  });

  it('answers from the hot store, counted, before the first catch-up and past the bound', async () => {
    await bus.publish(scenario.events);
    const side = startReadSide();
    // not caught up yet: no poll has settled
    expect(side.stalenessMs()).toBe(Number.POSITIVE_INFINITY);
    const early = await side.serve('seat-map', (model) => model.seatMap({ saleId: 'hall' }), hotStoreMap);
    expect(early).toMatchObject({
      source: 'hot-store',
      fallback: 'stale',
      value: [{ seatId: 'from-the-hot-store' }],
    });

    await caughtUp(side);
    clock += 5_001; // no poll settled for longer than the bound
    const late = await side.serve(
      'stats',
      (model) => model.saleStats({ saleId: 'hall' }),
      async () => null,
    );
    expect(late).toMatchObject({ source: 'hot-store', stalenessMs: 5_001, fallback: 'stale', value: null });
    expect(side.fallbacks('seat-map', 'stale')).toBe(1);
    expect(side.fallbacks('stats', 'stale')).toBe(1);
    expect(side.fallbacks()).toBe(2);

    await side.poll(); // lag 0 again: fresh from this poll on
    expect(side.stalenessMs()).toBe(0);
    expect(
      (
        await side.serve(
          'stats',
          (m) => m.saleStats({ saleId: 'hall' }),
          async () => null,
        )
      ).source,
    ).toBe('read-side');
    expect(side.fallbacks()).toBe(2);
  });

  it('never settles early on events handled while the lag was being read', async () => {
    // Kafka's lag() waits for the batches in flight: events handled meanwhile are missing from the
    // lag it returns. Here lag() lets the projector apply half the backlog before it reads.
    const events = scenario.events.slice(0, 20);
    await bus.publish(events);
    const projector = new PgProjector(live.connection);
    let open = 0;
    const waiters: Array<() => void> = [];
    const gated = {
      progress: () => projector.progress(),
      async handle(event: (typeof events)[number]) {
        while (open <= 0) await new Promise<void>((resolve) => waiters.push(resolve));
        open -= 1;
        await projector.handle(event);
      },
    };
    const inner = bus.consumer(PROJECTOR_GROUP);
    const consumer = {
      start: inner.start.bind(inner),
      stop: inner.stop.bind(inner),
      async lag() {
        open += 10;
        for (const wake of waiters.splice(0)) wake();
        while (projector.progress().applied < 10) await new Promise((resolve) => setTimeout(resolve, 10));
        return inner.lag();
      },
    };
    const side = new ReadSide({
      model: new PgReadModel(live.connection),
      projector: gated,
      consumer,
      lagPollMs: 60_000,
      now: () => clock,
    });
    readSide = side;
    side.start();
    while (side.lag() === -1) {
      await side.poll(); // no-op until the consumer started
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(side.lag()).toBe(10); // 10 of 20 applied while lag() ran
    expect(projector.progress().applied).toBe(10);
    // the 10 still unapplied were published before the poll: the views are not fresh as of it
    expect(side.stalenessMs()).toBe(Number.POSITIVE_INFINITY);
    open += 10;
    for (const wake of waiters.splice(0)) wake();
    const deadline = Date.now() + 20_000;
    while (projector.progress().applied < 20 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(side.stalenessMs()).toBe(0); // settled as of that poll once all 20 are applied
  });

  it('answers from the hot store, counted, while PostgreSQL fails, and from the views once it is back', async () => {
    const url = new URL(databaseUrl());
    const hop = new CuttableHop(await freePort(), { host: url.hostname, port: Number(url.port || 5432) });
    hops.push(hop);
    await hop.up();
    const replicaUrl = new URL(databaseUrl());
    replicaUrl.hostname = '127.0.0.1';
    replicaUrl.port = String(hop.port);
    // reads go through the hop (the replica pool), the projector writes the primary
    const reads = createPgConnection({
      connectionString: databaseUrl(),
      readReplicaUrl: replicaUrl.toString(),
      schema: live.schema,
      pool: { max: 2, connectionTimeoutMs: 1_000 },
    });
    extra.push(reads);
    const warnings: string[] = [];
    await bus.publish(scenario.events);
    const side = startReadSide({ onWarning: (message) => warnings.push(message) }, new PgReadModel(reads));
    await caughtUp(side);
    const seatMap = () => side.serve('seat-map', (model) => model.seatMap({ saleId: 'hall' }), hotStoreMap);
    expect((await seatMap()).source).toBe('read-side');

    await hop.cut();
    const during = await seatMap();
    expect(during).toMatchObject({
      source: 'hot-store',
      fallback: 'unavailable',
      value: [{ seatId: 'from-the-hot-store' }],
    });
    expect(side.fallbacks('seat-map', 'unavailable')).toBe(1);
    expect(side.fallbacks('seat-map', 'stale')).toBe(0);
    expect(warnings).toEqual(['read-side seat-map failed: answered from the hot store']);

    await hop.up();
    const after = await seatMap();
    expect(after.source).toBe('read-side');
    expect(after.value).toHaveLength(scenario.seats.size);
    expect(side.fallbacks()).toBe(1);
  });

  it('passes a malformed read through (the hot store would refuse it too), counting nothing', async () => {
    const side = startReadSide();
    await caughtUp(side);
    await expect(
      side.serve('seat-map', (model) => model.seatMap({ saleId: '' }), hotStoreMap),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(side.fallbacks()).toBe(0);
  });

  it('refuses a bound that is not a positive duration', () => {
    const parts = {
      model: new PgReadModel(live.connection),
      projector: new PgProjector(live.connection),
      consumer: bus.consumer(PROJECTOR_GROUP),
    };
    for (const maxStalenessMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new ReadSide({ ...parts, maxStalenessMs })).toThrow(ConfigurationError);
    }
  });
});
