import {
  createSeatRushRuntime,
  FakePaymentGateway,
  type ReservationRepository,
  type RuntimeSale,
} from '@seatrush/core';
import { MemoryAlertSink } from '@seatrush/core/memory';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { type RedisProcess, startRedis } from '../packages/redis-adapter/test/redis-process';
import { uniqueName } from './support';
import { namespacedPorts, removeNamespace } from './support/namespace';

// Issue 20: a wiped Redis loses no acknowledged hold. Many buyers hold at once; in the middle of the
// rush the test's own Redis server loses the sale, in one of two ways:
// - a wipe: FLUSHALL (inventory, outbox, waiting room, controls), atomic, as a real wipe is;
// - a partial loss: the sale's keys are listed (SCAN), more holds are made, then the listed keys are
//   deleted. Not atomic: the hold records written in between survive, orphans of a sale whose
//   counters no longer count them (they drove `held` to -41 before hold records carried the
//   generation of the load that made them).
// The worker is kept from writing rows until the runtime has rebuilt the sale (its database writes
// wait on a gate), so EVERY hold acknowledged before the loss is one the rebuild, which reads
// PostgreSQL, cannot know: the worker must hold each again from its event. Units are plenty, so
// none may end HOLD_NOT_FOUND: at the end every buyer told HELD is CONFIRMED, nothing is oversold,
// nobody has two, `held` is never below zero, and Redis agrees with PostgreSQL.
const services = inject('services');
const SALE = 'rehold';
const BUYERS = 120;
const CAPACITY = 200;
const CONCURRENCY = 24;

type Answer = { userId: string; code: string; reservationId?: string; at: number };

/** How the sale is lost mid-rush; answers how many keys went. */
type Loss = (redis: Redis, ns: string, answers: Answer[]) => Promise<number>;

const wipe: Loss = async (redis) => {
  const keys = await redis.dbsize();
  await redis.flushall();
  return keys;
};

const partialLoss: Loss = async (redis, ns, answers) => {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [following, found] = await redis.scan(cursor, 'MATCH', `${ns}:sr:{${SALE}}:*`, 'COUNT', 1000);
    cursor = following;
    keys.push(...found);
  } while (cursor !== '0');
  // holds made between the listing and the delete keep their records: the orphans
  const heldAtListing = answers.filter((a) => a.code === 'HELD').length;
  const listedAt = Date.now();
  while (
    answers.filter((a) => a.code === 'HELD').length < heldAtListing + 5 &&
    Date.now() - listedAt < 2_000
  ) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return redis.del(...keys);
};

/**
 * A runtime (auto-pay) over a Redis of the test's own, the shared PostgreSQL and Kafka, with one
 * open sale of CAPACITY units; the worker's row writes wait until `openGate`, so it lags behind a
 * loss and the rebuild. `beforeTransition` runs before each of the worker's status transitions.
 * Cleaned up by `cleanups`.
 */
async function gatedSale(
  cleanups: Array<() => Promise<void>>,
  beforeTransition?: (
    input: Parameters<ReservationRepository['transition']>[0],
    redis: Redis,
  ) => Promise<void>,
) {
  const ns = uniqueName('rhw');
  // a Redis of the test's own: FLUSHALL is the wipe, and no shared server is touched
  const server: RedisProcess = await startRedis([]);
  const redis = new Redis(server.url);
  const db = new pg.Pool({ connectionString: services.databaseUrl, max: 10 });
  const { ports } = namespacedPorts(ns, { redis, db, kafkaBrokers: services.kafkaBrokers });
  // the worker's row writes wait until the gate opens: it lags behind the wipe and the rebuild
  let openGate!: () => void;
  const gate = new Promise<void>((resolve) => {
    openGate = resolve;
  });
  const real = ports.repository;
  const insertMany = real.insertMany.bind(real);
  const repository: ReservationRepository = new Proxy(real, {
    get(target, property, receiver) {
      if (property === 'insertMany') {
        return async (rows: Parameters<ReservationRepository['insertMany']>[0]) => {
          await gate;
          return insertMany(rows);
        };
      }
      if (property === 'transition' && beforeTransition) {
        return async (input: Parameters<ReservationRepository['transition']>[0]) => {
          await beforeTransition(input, redis);
          return target.transition(input);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const payments = new FakePaymentGateway();
  const alerts = new MemoryAlertSink();
  const runtime = createSeatRushRuntime({
    ports: { ...ports, repository },
    alerts,
    admissionSecret: 'rehold-after-wipe-integration-secret-0123',
    payments,
    checkout: 'auto',
    loops: { admission: false },
    reconcileIntervalMs: 3_600_000,
  });
  cleanups.push(async () => {
    openGate();
    await runtime.close();
    await removeNamespace(ns, { db, kafkaBrokers: services.kafkaBrokers });
    await redis.quit();
    await server.destroy();
    await db.end();
  });
  await runtime.start();
  const sale: RuntimeSale = await runtime.define({
    id: SALE,
    name: 'Wiped mid-rush',
    inventory: { kind: 'general', capacity: CAPACITY, tier: 'std' },
    tiers: [{ id: 'std', name: 'Standard', priceCents: 5_000 }],
    opensAt: 0,
    holdMs: 120_000,
    admission: { usersPerInterval: 1_000, intervalMs: 1_000, maxActive: 1_000, sessionMs: 600_000 },
    limits: { ticketsPerUser: 1 },
  });
  return { ns, redis, db, runtime, sale, alerts, payments, openGate };
}

describe('a wiped Redis loses no acknowledged hold: the worker holds again what the rebuild could not know', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  // `after`: how many buyers were told HELD when the sale is lost. Once every buyer was answered,
  // no buyer's SALE_NOT_WARM says the sale is cold (and the gated worker asks nothing): the
  // sweeper's rounds must find it
  it.each([
    { loss: 'a wipe (FLUSHALL)', lose: wipe, after: BUYERS / 3 },
    { loss: 'a partial loss (SCAN, more holds, then DEL)', lose: partialLoss, after: BUYERS / 3 },
    { loss: 'a wipe once every buyer was answered', lose: wipe, after: BUYERS },
  ])(
    'after $loss, every buyer told HELD before, during and after it is CONFIRMED; Redis agrees with PostgreSQL',
    async ({ lose, after }) => {
      const { ns, redis, db, runtime, sale, alerts, payments, openGate } = await gatedSale(cleanups);

      const users = Array.from({ length: BUYERS }, (_, i) => `b${i.toString().padStart(3, '0')}`);
      const tokens = new Map<string, string>();
      for (const userId of users) await sale.queue.join({ userId });
      await sale.queue.tick();
      for (const userId of users) tokens.set(userId, (await sale.queue.status({ userId }))!.admissionToken!);

      const answers: Answer[] = [];
      let wiped = false;
      // a buyer's reserve, retried with the same key on a retriable answer; told NOT_ADMITTED (the
      // room was wiped too), the buyer rejoins with their admission token and tries again
      async function buy(userId: string): Promise<void> {
        const started = Date.now();
        while (Date.now() - started < 30_000) {
          const answer = await sale.reservations.reserve({
            userId,
            idempotencyKey: `k-${userId}`,
            selection: { kind: 'quantity', quantity: 1 },
            admissionToken: tokens.get(userId)!,
          });
          answers.push({
            userId,
            code: answer.ok ? 'HELD' : answer.code,
            ...(answer.ok ? { reservationId: answer.reservationId } : {}),
            at: Date.now(),
          });
          if (answer.ok) return;
          if (answer.code === 'NOT_ADMITTED') {
            const back = await sale.queue.join({ userId, admissionToken: tokens.get(userId)! });
            if (back.ok && back.status.admissionToken) tokens.set(userId, back.status.admissionToken);
          } else if (answer.code !== 'SALE_NOT_WARM' && answer.code !== 'PIPELINE_STALLED') {
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      let next = 0;
      const rush = Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < users.length) await buy(users[next++]!);
        }),
      );
      // the loss strikes once `after` buyers were told HELD
      while (answers.filter((a) => a.code === 'HELD').length < after) {
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const wipedAt = Date.now();
      const keys = await lose(redis, ns, answers);
      wiped = true;
      const heldBeforeWipe = answers.filter((a) => a.code === 'HELD' && a.at <= wipedAt).length;
      // the runtime rebuilds the sale on the first SALE_NOT_WARM; only then may the worker write rows
      while (!(await runtime.ports.inventory.isWarm(SALE))) {
        if (Date.now() - wipedAt > 20_000) {
          const codes = alerts.alerts.map((a) => `${a.code}: ${a.message}`);
          throw new Error(
            `not rebuilt within 20 s; sale ${sale.state}; alerts: ${JSON.stringify(codes.slice(0, 2))}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const warmAt = Date.now();
      expect(await runtime.ports.repository.listInFlight!(SALE)).toEqual([]);
      // the counts while the worker holds again and confirms: never below zero
      const lowest = { held: 0, available: CAPACITY };
      let watching = true;
      const watch = (async () => {
        while (watching) {
          const counts = await runtime.ports.inventory.counts(SALE).catch(() => null);
          if (counts) {
            lowest.held = Math.min(lowest.held, counts.held);
            lowest.available = Math.min(lowest.available, counts.available);
          }
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      openGate();
      await rush;
      await runtime.drain(60_000);
      watching = false;
      await watch;
      expect(wiped).toBe(true);

      const held = new Map<string, string>();
      for (const a of answers) if (a.code === 'HELD') held.set(a.reservationId!, a.userId);
      const tally: Record<string, number> = {};
      for (const a of answers) tally[a.code] = (tally[a.code] ?? 0) + 1;
      console.info(
        `[rehold] ${keys} keys wiped after ${heldBeforeWipe} holds acknowledged; warm again in ` +
          `${warmAt - wipedAt} ms; answers ${JSON.stringify(tally)}`,
      );
      expect(lowest, 'the lowest counts seen after the rebuild').toEqual({
        held: 0,
        available: CAPACITY - BUYERS,
      });
      // every answer was HELD or retriable; every buyer ended with exactly one acknowledged hold
      for (const code of Object.keys(tally)) {
        expect(['HELD', 'SALE_NOT_WARM', 'NOT_ADMITTED', 'PIPELINE_STALLED']).toContain(code);
      }
      expect(new Set(held.values()).size).toBe(BUYERS);
      expect(heldBeforeWipe).toBeGreaterThanOrEqual(BUYERS / 3);
      expect(alerts.alerts.filter((a) => a.code === 'SALE_REBUILT')).toHaveLength(1);

      // every acknowledged hold CONFIRMED in PostgreSQL (none HOLD_NOT_FOUND: the units were free)
      const { rows } = await db.query<{
        reservation_id: string;
        user_id: string;
        status: string;
        failure_reason: string | null;
      }>(
        `SELECT reservation_id, user_id, status, failure_reason FROM ${pg.escapeIdentifier(ns)}.reservations`,
      );
      const byId = new Map(rows.map((row) => [row.reservation_id, row]));
      const notSold = [...held.keys()]
        .filter((id) => byId.get(id)?.status !== 'CONFIRMED')
        .map((id) => byId.get(id) ?? id);
      expect(notSold, 'acknowledged holds not sold').toEqual([]);
      // nobody has two, nothing sold that nobody was told of
      const confirmed = rows.filter((row) => row.status === 'CONFIRMED');
      expect(new Set(confirmed.map((row) => row.user_id)).size).toBe(confirmed.length);
      expect(confirmed.length).toBe(BUYERS);
      expect(new Set(payments.charges().map((c) => c.idempotencyKey))).toEqual(new Set(held.keys()));

      // Redis agrees with PostgreSQL, and the re-held holds left nothing in the outbox
      const counts = await runtime.ports.inventory.counts(SALE);
      expect(counts).toEqual({
        saleId: SALE,
        initialStock: CAPACITY,
        available: CAPACITY - BUYERS,
        held: 0,
        confirmed: BUYERS,
      });
      for (const id of held.keys()) {
        expect(await runtime.ports.inventory.getHold(SALE, id)).toMatchObject({ status: 'CONFIRMED' });
      }
      expect(rows.filter((row) => row.status !== 'CONFIRMED')).toEqual([]);
      expect(
        await runtime.ports.inventory.unrelayed({ saleId: SALE, enqueuedUpTo: Date.now(), limit: 10 }),
      ).toEqual([]);
    },
    120_000,
  );
});

describe('a hold released before a partial loss is not held again: its surviving record is the tombstone', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  it('the released reservation fails HOLD_RELEASED uncharged, the kept one is CONFIRMED, the counts stay whole', async () => {
    const { ns, redis, db, runtime, sale, payments, openGate } = await gatedSale(cleanups);
    const tokens = new Map<string, string>();
    for (const userId of ['keeps', 'releases']) await sale.queue.join({ userId });
    await sale.queue.tick();
    for (const userId of ['keeps', 'releases']) {
      tokens.set(userId, (await sale.queue.status({ userId }))!.admissionToken!);
    }
    const reserve = async (userId: string) => {
      const answer = await sale.reservations.reserve({
        userId,
        idempotencyKey: `k-${userId}`,
        selection: { kind: 'quantity', quantity: 1 },
        admissionToken: tokens.get(userId)!,
      });
      if (!answer.ok) throw new Error(`${userId}: ${answer.code}`);
      return answer.reservationId;
    };
    const kept = await reserve('keeps');
    const released = await reserve('releases');
    expect(await sale.reservations.cancel({ userId: 'releases', reservationId: released })).toMatchObject({
      ok: true,
      code: 'RELEASED',
    });

    // the partial loss: every key of the sale but its hold records (the worker has written no row)
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [following, found] = await redis.scan(cursor, 'MATCH', `${ns}:sr:{${SALE}}:*`, 'COUNT', 1000);
      cursor = following;
      keys.push(...found.filter((key) => !key.includes(':hold:')));
    } while (cursor !== '0');
    await redis.del(...keys);
    const lostAt = Date.now();
    while (!(await runtime.ports.inventory.isWarm(SALE))) {
      if (Date.now() - lostAt > 20_000) throw new Error('not rebuilt within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    openGate();
    await runtime.drain(60_000);

    const { rows } = await db.query<{
      reservation_id: string;
      status: string;
      failure_reason: string | null;
    }>(`SELECT reservation_id, status, failure_reason FROM ${pg.escapeIdentifier(ns)}.reservations`);
    const byId = new Map(rows.map((row) => [row.reservation_id, row]));
    expect(byId.get(kept)).toMatchObject({ status: 'CONFIRMED' });
    // failed, and compensated (a no-op for an ended hold) once the units are back
    expect(byId.get(released)?.status).toMatch(/^(FAILED|COMPENSATED)$/);
    expect(byId.get(released)?.failure_reason).toBe('HOLD_RELEASED');
    expect(payments.charges().map((charge) => charge.idempotencyKey)).toEqual([kept]);
    expect(await runtime.ports.inventory.counts(SALE)).toEqual({
      saleId: SALE,
      initialStock: CAPACITY,
      available: CAPACITY - 1,
      held: 0,
      confirmed: 1,
    });
  }, 90_000);
});

describe('a hold confirmed in the store just before a wipe stays sold', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  it('the rebuild brings it back as a hold (its row was PAYMENT_PENDING); the worker confirms it again', async () => {
    let wiped = false;
    let warmAgain: (() => Promise<boolean>) | undefined;
    // the store confirmed the hold; before PostgreSQL records it CONFIRMED, Redis is wiped and the
    // runtime rebuilds the sale from the row still in flight
    const { runtime, sale, payments, openGate } = await gatedSale(cleanups, async (input, redis) => {
      if (input.to !== 'CONFIRMED' || wiped) return;
      wiped = true;
      await redis.flushall();
      const lostAt = Date.now();
      while (!(await warmAgain!())) {
        if (Date.now() - lostAt > 20_000) throw new Error('not rebuilt within 20 s');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    });
    warmAgain = () => runtime.ports.inventory.isWarm(SALE);
    openGate();
    await sale.queue.join({ userId: 'payer' });
    await sale.queue.tick();
    const token = (await sale.queue.status({ userId: 'payer' }))!.admissionToken!;
    const held = await sale.reservations.reserve({
      userId: 'payer',
      idempotencyKey: 'k-payer',
      selection: { kind: 'quantity', quantity: 1 },
      admissionToken: token,
    });
    if (!held.ok) throw new Error(held.code);
    await runtime.drain(60_000);

    expect(wiped).toBe(true);
    expect(await runtime.ports.repository.get(held.reservationId)).toMatchObject({ status: 'CONFIRMED' });
    expect(payments.charges()).toHaveLength(1);
    // sold in the store too: not a hold whose expiry would put the unit back on sale
    expect(await runtime.ports.inventory.getHold(SALE, held.reservationId)).toMatchObject({
      status: 'CONFIRMED',
    });
    expect(await runtime.ports.inventory.counts(SALE)).toEqual({
      saleId: SALE,
      initialStock: CAPACITY,
      available: CAPACITY - 1,
      held: 0,
      confirmed: 1,
    });
  }, 90_000);
});

describe('a hold its buyer released just before a wipe is not held again', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  // The release is acknowledged, its event has not reached the row (the row is still in flight,
  // or not yet written), then Redis is wiped (FLUSHALL): the rebuild reads the rows in flight from
  // PostgreSQL and the worker holds again a hold missing from a rebuilt sale, so without the
  // release's record in PostgreSQL the unit came back held and was charged.
  it.each([
    { row: 'in flight (REQUESTED)', rowWritten: true },
    { row: 'not yet written', rowWritten: false },
  ])(
    'row $row: the unit stays free, the reservation fails HOLD_RELEASED uncharged',
    async ({ rowWritten }) => {
      // the worker's settlement waits for `settle`: its row stays REQUESTED until then
      let settle!: () => void;
      const settled = new Promise<void>((resolve) => {
        settle = resolve;
      });
      const { ns, redis, db, runtime, sale, payments, openGate } = await gatedSale(cleanups, () => settled);
      cleanups.push(async () => settle());
      if (rowWritten) openGate();
      await sale.queue.join({ userId: 'leaves' });
      await sale.queue.tick();
      const token = (await sale.queue.status({ userId: 'leaves' }))!.admissionToken!;
      const held = await sale.reservations.reserve({
        userId: 'leaves',
        idempotencyKey: 'k-leaves',
        selection: { kind: 'quantity', quantity: 1 },
        admissionToken: token,
      });
      if (!held.ok) throw new Error(held.code);
      const { reservationId } = held;
      if (rowWritten) {
        const started = Date.now();
        while (!(await runtime.ports.repository.get(reservationId))) {
          if (Date.now() - started > 20_000) throw new Error('the worker wrote no row within 20 s');
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
      expect(await sale.reservations.releaseHold({ userId: 'leaves', reservationId })).toMatchObject({
        ok: true,
      });

      await redis.flushall();
      const lostAt = Date.now();
      while (!(await runtime.ports.inventory.isWarm(SALE))) {
        if (Date.now() - lostAt > 20_000) throw new Error('not rebuilt within 20 s');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      // rebuilt: the released hold is not back, its unit is on sale
      expect(await runtime.ports.inventory.getHold(SALE, reservationId)).toBeNull();
      expect(await runtime.ports.inventory.counts(SALE)).toMatchObject({
        available: CAPACITY,
        held: 0,
        confirmed: 0,
      });
      if (rowWritten) {
        expect(await runtime.ports.repository.get(reservationId)).toMatchObject({ status: 'REQUESTED' });
      }

      openGate();
      settle();
      await runtime.drain(60_000);
      const { rows } = await db.query<{ status: string; failure_reason: string | null }>(
        `SELECT status, failure_reason FROM ${pg.escapeIdentifier(ns)}.reservations WHERE reservation_id = $1`,
        [reservationId],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]!.status).toMatch(/^(FAILED|COMPENSATED)$/);
      expect(rows[0]!.failure_reason).toBe('HOLD_RELEASED');
      expect(payments.charges()).toEqual([]);
      expect(await runtime.ports.inventory.getHold(SALE, reservationId)).toBeNull();
      expect(await runtime.ports.inventory.counts(SALE)).toEqual({
        saleId: SALE,
        initialStock: CAPACITY,
        available: CAPACITY,
        held: 0,
        confirmed: 0,
      });
    },
    90_000,
  );
});
