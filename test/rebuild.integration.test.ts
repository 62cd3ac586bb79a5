import {
  type HoldRecord,
  parseSaleDefinition,
  type ReservationRow,
  type SaleDefinitionInput,
} from '@seatrush/core';
import { MemoryAlertSink } from '@seatrush/core/memory';
import { RebuildService, Reconciler, WarmUp } from '@seatrush/core/services';
import { ManualClock } from '@seatrush/core/testing';
import { pgPorts } from '@seatrush/pg-adapter';
import { RedisInventoryStore } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { uniqueName } from './support';

// Issue 20: a wiped Redis is rebuilt from PostgreSQL, the source of truth, without an operator:
// stock and seats, confirmed reservations, and every hold in flight for its buyer until its expiry.
const services = inject('services');
const HOLD_MS = 60_000;
const T0 = 1_767_225_600_000;

/** An assigned-seating sale of `rows` × `perRow` seats (`R<r>S<s>`). */
function seatedSale(id: string, rows: number, perRow: number): SaleDefinitionInput {
  return {
    id,
    name: `Rebuild ${id}`,
    inventory: {
      kind: 'assigned',
      sections: [
        {
          id: 'main',
          name: 'Main',
          rows: Array.from({ length: rows }, (_, r) => ({
            id: `R${r}`,
            seats: Array.from({ length: perRow }, (_, s) => ({
              id: `R${r}S${s}`,
              label: `${r}-${s}`,
              tier: 'std',
            })),
          })),
        },
      ],
    },
    tiers: [{ id: 'std', name: 'Standard', priceCents: 5_000 }],
    opensAt: 0,
    holdMs: HOLD_MS,
    admission: { usersPerInterval: 10, intervalMs: 1_000, maxActive: 50, sessionMs: 600_000 },
    limits: { ticketsPerUser: 4 },
  };
}

async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

/** The row the processor writes for a hold it was handed (REQUESTED, at the hold's time). */
function rowOf(hold: HoldRecord): ReservationRow {
  return {
    reservationId: hold.reservationId,
    saleId: hold.saleId,
    userId: hold.userId,
    idempotencyKey: hold.idempotencyKey,
    quantity: hold.quantity,
    seatIds: hold.seatIds,
    amountCents: 5_000 * hold.quantity,
    status: 'REQUESTED',
    paymentId: null,
    failureReason: null,
    createdAt: hold.heldAt,
    updatedAt: hold.heldAt,
  };
}

describe('rebuild from PostgreSQL after a wiped Redis', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  async function world() {
    const ns = uniqueName('rb');
    const redis = new Redis(services.redisUrl);
    const db = new pg.Pool({ connectionString: services.databaseUrl, max: 4 });
    const bundle = pgPorts(db, { schema: ns, migrate: 'apply' });
    await bundle.verify();
    cleanups.push(async () => {
      for (const key of await keysUnder(redis, `${ns}:`)) await redis.del(key);
      await redis.quit();
      await db.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(ns)} CASCADE`);
      await db.end();
    });
    const clock = new ManualClock(T0);
    const inventory = new RedisInventoryStore(redis, { keyPrefix: `${ns}:` });
    return { ns, redis, clock, inventory, repository: bundle.repository };
  }

  it('gives every held buyer their hold until its expiry, keeps confirmed seats, and the stock adds up', async () => {
    const { ns, redis, clock, inventory, repository } = await world();
    await repository.saveSale(parseSaleDefinition(seatedSale('gig', 2, 10)));
    await new WarmUp({ repository, inventory, clock }).warm('gig');

    const reserve = async (userId: string, seatIds: string[], now = clock.now()) => {
      const outcome = await inventory.reserve({
        saleId: 'gig',
        userId,
        reservationId: `r-${userId}`,
        idempotencyKey: `k-${userId}`,
        selection: { kind: 'seats', seatIds },
        holdMs: HOLD_MS,
        requireAdmission: false,
        now,
      });
      if (!outcome.ok) throw new Error(`${userId}: ${outcome.code}`);
      await repository.insertMany([rowOf(outcome.hold)]);
      return outcome.hold;
    };
    // confirmed and paid
    for (const [user, seats] of [
      ['paid1', ['R0S0', 'R0S1']],
      ['paid2', ['R0S2']],
    ] as const) {
      const hold = await reserve(user, [...seats]);
      expect(
        await inventory.confirm({ saleId: 'gig', reservationId: hold.reservationId, userId: user, now: T0 }),
      ).toMatchObject({ ok: true });
      expect(
        await repository.transition({
          reservationId: hold.reservationId,
          from: ['REQUESTED'],
          to: 'CONFIRMED',
          paymentId: `pay-${user}`,
          now: T0,
        }),
      ).toBe(true);
    }
    // held, waiting for their buyers' payment
    const waiting = await reserve('wait1', ['R1S0', 'R1S1']);
    const waiting2 = await reserve('wait2', ['R1S5']);
    // paying: the checkout moved it to PAYMENT_PENDING 10 s in and extended the hold
    clock.advance(10_000);
    const paying = await reserve('pay1', ['R1S9'], T0 - 40_000);
    expect(
      await repository.transition({
        reservationId: paying.reservationId,
        from: ['REQUESTED'],
        to: 'PAYMENT_PENDING',
        now: clock.now(),
      }),
    ).toBe(true);
    // held 70 s ago: due, but the sweeper had not run when Redis went away
    const due = await reserve('late1', ['R0S9'], T0 - 70_000);
    expect(due.expiresAt).toBeLessThan(clock.now());
    // failed and given back: no hold to restore
    const failed = await reserve('gone1', ['R0S5']);
    await inventory.release({
      saleId: 'gig',
      reservationId: failed.reservationId,
      userId: 'gone1',
      now: clock.now(),
    });
    await repository.transition({
      reservationId: failed.reservationId,
      from: ['REQUESTED'],
      to: 'FAILED',
      failureReason: 'HOLD_RELEASED',
      now: clock.now(),
    });

    // Redis loses everything of the sale
    const keys = await keysUnder(redis, `${ns}:`);
    expect(keys.length).toBeGreaterThan(3);
    await redis.del(...keys);
    expect(
      await inventory.confirm({
        saleId: 'gig',
        reservationId: waiting.reservationId,
        userId: 'wait1',
        now: clock.now(),
      }),
    ).toEqual({ ok: false, code: 'SALE_NOT_WARM' });

    const alerts = new MemoryAlertSink();
    const rebuild = new RebuildService({ repository, inventory, clock, alerts });
    const report = await rebuild.rebuildIfCold('gig');
    // the due hold is over at the rebuild's clock: not held again (its seat goes back on sale), the
    // sweeper's check of rows in flight publishes its HoldExpired
    expect(report).toMatchObject({
      outcome: 'RESTORED',
      holdsRestored: 3,
      holdsAlreadyDue: 0,
      holdsLeftOut: 1,
    });
    expect(alerts.alerts.map((a) => a.code)).toEqual(['SALE_REBUILT']);

    // stock agrees: 3 confirmed, 4 held (2 + 1 + 1), the rest available
    const counts = await inventory.counts('gig');
    expect(counts).toEqual({ saleId: 'gig', initialStock: 20, confirmed: 3, held: 4, available: 13 });
    expect(counts.available + counts.held + counts.confirmed).toBe(counts.initialStock);
    const states = await inventory.seatStates('gig');
    for (const seat of ['R0S0', 'R0S1', 'R0S2']) expect(states[seat]).toBe('CONFIRMED');
    for (const seat of ['R1S0', 'R1S1', 'R1S5', 'R1S9']) expect(states[seat]).toBe('HELD');
    expect(states.R0S5).toBe('AVAILABLE');
    expect(states.R0S9).toBe('AVAILABLE');
    expect(await inventory.getHold('gig', due.reservationId)).toBeNull();

    // each held buyer's hold is theirs, with its expiry
    expect(await inventory.getHold('gig', waiting.reservationId)).toEqual({
      ...waiting,
      expiresAt: waiting.heldAt + HOLD_MS,
    });
    expect(await inventory.getHold('gig', paying.reservationId)).toMatchObject({
      userId: 'pay1',
      status: 'HELD',
      expiresAt: clock.now() + 120_000, // its payment window, from when the payment began
    });
    // nobody else can take their seats; a retry of their reserve replays their hold
    const other = await inventory.reserve({
      saleId: 'gig',
      userId: 'thief',
      reservationId: 'r-thief',
      idempotencyKey: 'k-thief',
      selection: { kind: 'seats', seatIds: ['R1S0'] },
      holdMs: HOLD_MS,
      requireAdmission: false,
      now: clock.now(),
    });
    expect(other).toMatchObject({ ok: false, code: 'SEAT_TAKEN' });
    const retry = await inventory.reserve({
      saleId: 'gig',
      userId: 'wait2',
      reservationId: 'r-retry',
      idempotencyKey: 'k-wait2',
      selection: { kind: 'seats', seatIds: ['R1S5'] },
      holdMs: HOLD_MS,
      requireAdmission: false,
      now: clock.now(),
    });
    expect(retry).toMatchObject({
      ok: true,
      replayed: true,
      hold: { reservationId: waiting2.reservationId },
    });
    // the owner confirms within the expiry
    expect(
      await inventory.confirm({
        saleId: 'gig',
        reservationId: waiting.reservationId,
        userId: 'wait1',
        now: clock.now(),
      }),
    ).toMatchObject({ ok: true, hold: { status: 'CONFIRMED' } });

    // nothing is due now; the others expire at their own expiry, not before
    expect(await inventory.expireDue({ saleId: 'gig', now: clock.now(), limit: 10 })).toEqual([]);
    clock.set(waiting2.expiresAt - 1);
    expect(await inventory.expireDue({ saleId: 'gig', now: clock.now(), limit: 10 })).toEqual([]);
    clock.set(waiting2.expiresAt);
    expect(
      (await inventory.expireDue({ saleId: 'gig', now: clock.now(), limit: 10 })).map((h) => h.reservationId),
    ).toEqual([waiting2.reservationId]);
    const after = await inventory.counts('gig');
    expect(after.available + after.held + after.confirmed).toBe(20);
    expect(after).toMatchObject({ confirmed: 5, held: 1 });

    // a warm store is never rebuilt again
    expect(await rebuild.rebuildIfCold('gig')).toMatchObject({ outcome: 'ALREADY_WARM' });
    expect(await rebuild.rebuild('gig')).toMatchObject({ outcome: 'ALREADY_WARM', holdsRestored: 0 });
  });

  it('rebuilds a wiped sale once when instances race, and the reconciler does it on its own', async () => {
    const { ns, redis, clock, inventory, repository } = await world();
    await repository.saveSale(parseSaleDefinition(seatedSale('race', 4, 25)));
    await new WarmUp({ repository, inventory, clock }).warm('race');
    const held = await inventory.reserve({
      saleId: 'race',
      userId: 'u1',
      reservationId: 'r-u1',
      idempotencyKey: 'k-u1',
      selection: { kind: 'seats', seatIds: ['R2S3'] },
      holdMs: HOLD_MS,
      requireAdmission: false,
      now: clock.now(),
    });
    if (!held.ok) throw new Error(held.code);
    await repository.insertMany([rowOf(held.hold)]);
    await redis.del(...(await keysUnder(redis, `${ns}:`)));

    // six instances, each with its own connection and service, all find the sale cold
    const clients = Array.from({ length: 6 }, () => new Redis(services.redisUrl));
    try {
      const reports = await Promise.all(
        clients.map((client) =>
          new RebuildService({
            repository,
            inventory: new RedisInventoryStore(client, { keyPrefix: `${ns}:` }),
            clock,
          }).rebuild('race'),
        ),
      );
      expect(reports.filter((r) => r.outcome === 'RESTORED')).toHaveLength(1);
      expect(reports.filter((r) => r.outcome === 'ALREADY_WARM')).toHaveLength(5);
    } finally {
      await Promise.all(clients.map((c) => c.quit()));
    }
    expect(await inventory.counts('race')).toEqual({
      saleId: 'race',
      initialStock: 100,
      available: 99,
      held: 1,
      confirmed: 0,
    });

    // wiped again: the reconciler's run rebuilds it and finds it consistent
    await redis.del(...(await keysUnder(redis, `${ns}:`)));
    const alerts = new MemoryAlertSink();
    const reconciler = new Reconciler({
      repository,
      inventory,
      clock,
      alerts,
      rebuild: new RebuildService({ repository, inventory, clock, alerts }),
    });
    expect(await reconciler.reconcile('race')).toMatchObject({ consistent: true, repaired: false });
    expect(await inventory.getHold('race', 'r-u1')).toMatchObject({ userId: 'u1', status: 'HELD' });
    // and no claim key is left behind: only what a warm-up writes, plus the restored hold
    const left = (await keysUnder(redis, `${ns}:`)).map((key) => key.slice(`${ns}:`.length)).sort();
    expect(left).toEqual([
      'sr:{race}:expiry',
      'sr:{race}:hold:r-u1',
      'sr:{race}:idem',
      'sr:{race}:meta',
      'sr:{race}:seats',
      'sr:{race}:stock',
      'sr:{race}:users',
    ]);
  });

  // docs/simulation.md §Findings, "a rebuild that can never succeed": a row in flight whose hold
  // expired (its HoldExpired lost) while its seat was sold on made the rebuild refuse its snapshot
  it('rebuilds a sale whose expired row in flight claims a seat sold since, and leaves that row out', async () => {
    const { redis, ns, clock, inventory, repository } = await world();
    await repository.saveSale(parseSaleDefinition(seatedSale('resold', 1, 4)));
    await new WarmUp({ repository, inventory, clock }).warm('resold');
    const reserve = async (userId: string, seatIds: string[]) => {
      const outcome = await inventory.reserve({
        saleId: 'resold',
        userId,
        reservationId: `r-${userId}`,
        idempotencyKey: `k-${userId}`,
        selection: { kind: 'seats', seatIds },
        holdMs: HOLD_MS,
        requireAdmission: false,
        now: clock.now(),
      });
      if (!outcome.ok) throw new Error(`${userId}: ${outcome.code}`);
      await repository.insertMany([rowOf(outcome.hold)]);
      return outcome.hold;
    };
    const lapsed = await reserve('lapsed', ['R0S0', 'R0S1']);
    clock.advance(HOLD_MS + 1);
    expect(await inventory.expireDue({ saleId: 'resold', now: clock.now(), limit: 10 })).toHaveLength(1);
    const next = await reserve('next', ['R0S1']);
    expect(
      await inventory.confirm({
        saleId: 'resold',
        reservationId: next.reservationId,
        userId: 'next',
        now: clock.now(),
      }),
    ).toMatchObject({ ok: true });
    expect(
      await repository.transition({
        reservationId: next.reservationId,
        from: ['REQUESTED'],
        to: 'CONFIRMED',
        paymentId: 'pay-next',
        now: clock.now(),
      }),
    ).toBe(true);
    const live = await reserve('live', ['R0S2']);

    await redis.del(...(await keysUnder(redis, `${ns}:`)));
    const rebuild = new RebuildService({ repository, inventory, clock });
    expect(await rebuild.rebuildIfCold('resold')).toMatchObject({
      outcome: 'RESTORED',
      holdsRestored: 1,
      holdsLeftOut: 1,
    });
    expect(await inventory.counts('resold')).toEqual({
      saleId: 'resold',
      initialStock: 4,
      available: 2,
      held: 1,
      confirmed: 1,
    });
    expect(await inventory.seatStates('resold')).toEqual({
      R0S0: 'AVAILABLE',
      R0S1: 'CONFIRMED',
      R0S2: 'HELD',
      R0S3: 'AVAILABLE',
    });
    expect(await inventory.getHold('resold', lapsed.reservationId)).toBeNull();
    expect(await inventory.getHold('resold', live.reservationId)).toMatchObject({
      status: 'HELD',
      userId: 'live',
    });
    // the lapsed buyer's seat R0S0 is on sale again
    expect(
      await inventory.reserve({
        saleId: 'resold',
        userId: 'after',
        reservationId: 'r-after',
        idempotencyKey: 'k-after',
        selection: { kind: 'seats', seatIds: ['R0S0'] },
        holdMs: HOLD_MS,
        requireAdmission: false,
        now: clock.now(),
      }),
    ).toMatchObject({ ok: true, code: 'HELD' });
  });
  it('counts once a row the worker writes between the rebuild’s reads: its buyer’s limit lets the worker hold it again', async () => {
    const { ns, redis, clock, inventory, repository } = await world();
    await repository.saveSale(
      parseSaleDefinition({
        ...seatedSale('ga', 1, 1),
        inventory: { kind: 'general', capacity: 10, tier: 'std' },
        limits: { ticketsPerUser: 1 },
      }),
    );
    await new WarmUp({ repository, inventory, clock }).warm('ga');
    const request = {
      saleId: 'ga',
      userId: 'late',
      reservationId: 'r-late',
      idempotencyKey: 'k-late',
      selection: { kind: 'quantity' as const, quantity: 1 },
      holdMs: HOLD_MS,
      requireAdmission: false,
    };
    // acknowledged before the wipe, its row not written yet
    const late = await inventory.reserve({ ...request, now: T0 });
    if (!late.ok) throw new Error(late.code);
    for (const key of await keysUnder(redis, `${ns}:`)) await redis.del(key);
    // the worker writes the row after the rebuild listed the rows in flight, before it read the rest
    let written = false;
    const racing = new Proxy(repository, {
      get(target, property, receiver) {
        if (property === 'loadSnapshot') {
          return async (saleId: string) => {
            if (!written) {
              written = true;
              await target.insertMany([rowOf(late.hold)]);
            }
            return target.loadSnapshot(saleId);
          };
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const rebuild = new RebuildService({
      repository: racing,
      inventory,
      clock,
      alerts: new MemoryAlertSink(),
    });
    expect(await rebuild.rebuildIfCold('ga')).toMatchObject({ outcome: 'RESTORED' });

    // the worker holds it again from its event (or finds it restored): never LIMIT_EXCEEDED
    const again = await inventory.reserve({ ...request, now: T0 + 1_000 });
    expect(again).toMatchObject({ ok: true, hold: { reservationId: 'r-late', status: 'HELD' } });
    expect(await inventory.counts('ga')).toMatchObject({
      initialStock: 10,
      available: 9,
      held: 1,
      confirmed: 0,
    });
  });
});
