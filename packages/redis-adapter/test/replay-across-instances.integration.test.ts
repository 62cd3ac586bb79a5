import {
  createSeatRushRuntime,
  FakePaymentGateway,
  memoryPorts,
  type SaleDefinitionInput,
  type SeatRushRuntime,
} from '@seatrush/core';
import { redisPorts } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { isolatedPrefix } from './helpers';

const SECRET = 'replay-instances-secret-0123456789abcdef';

/** Seats A1..A4, 4,000 cents each; buyers let in 10 at a time. */
const sale: SaleDefinitionInput = {
  id: 'replay-sale',
  name: 'Replays across instances',
  inventory: {
    kind: 'assigned',
    sections: [
      {
        id: 'A',
        name: 'Section A',
        rows: [{ id: '1', seats: ['A1', 'A2', 'A3', 'A4'].map((id) => ({ id, label: id, tier: 'std' })) }],
      },
    ],
  },
  tiers: [{ id: 'std', name: 'Standard', priceCents: 4_000 }],
  opensAt: 0,
  holdMs: 60_000,
  admission: { usersPerInterval: 10, intervalMs: 100, maxActive: 100 },
};

/** `userId`'s reserve of one seat, `seatId`, under the key of their first click unless `key` says. */
const seatClick = (userId: string, seatId: string, admissionToken: string, key = `${userId}-click-1`) => ({
  userId,
  idempotencyKey: key,
  selection: { kind: 'seats' as const, seatIds: [seatId] },
  admissionToken,
});

/**
 * Two runtimes over one Redis (each on its own connection, as two app instances behind a
 * round-robin proxy) and one pipeline and source of truth (shared in-memory stand-ins): a reserve
 * sent again with the same Idempotency-Key at the other instance answers the first one's hold,
 * marked replayed, whatever became of the hold meanwhile; it never runs a second reserve.
 */
describe('a reserve replayed at another instance over one Redis', () => {
  const running: SeatRushRuntime[] = [];
  const clients: Redis[] = [];
  afterEach(async () => {
    for (const runtime of running.splice(0).reverse()) await runtime.close();
    await Promise.all(clients.splice(0).map((redis) => redis.quit()));
  });

  /** Instance A runs the worker when `worker` (one worker for both, as WORKER=false instances). */
  async function twoInstances(worker = true) {
    const shared = memoryPorts();
    const keyPrefix = isolatedPrefix();
    const payments = new FakePaymentGateway();
    const instance = (worker: boolean) => {
      const redis = new Redis(inject('services').redisUrl);
      clients.push(redis);
      const runtime = createSeatRushRuntime({
        ports: { ...shared, ...redisPorts(redis, { keyPrefix, onDurabilityWarning: () => {} }) },
        payments,
        admissionSecret: SECRET,
        discoverIntervalMs: 50,
        loops: { worker },
      });
      running.push(runtime);
      return runtime;
    };
    const a = instance(worker);
    const b = instance(false);
    await a.start();
    await b.start();
    const onA = await a.define(sale);
    await expect.poll(() => b.sale(sale.id)?.state, { timeout: 5_000 }).toBe('OPEN');
    const onB = b.sale(sale.id)!;
    const admit = async (userId: string) => {
      await onA.queue.join({ userId });
      await expect
        .poll(async () => (await onA.queue.status({ userId }))?.admissionToken, { timeout: 5_000 })
        .toBeTruthy();
      return (await onA.queue.status({ userId }))!.admissionToken!;
    };
    return { a, b, onA, onB, payments, admit };
  }

  it('after the hold failed (payment declined) and another buyer took the seat: the failed hold, not SEAT_TAKEN', async () => {
    const { a, onA, onB, payments, admit } = await twoInstances();
    const [alice, bob] = [await admit('alice'), await admit('bob')];
    payments.decline({ reservationId: 'res-alice' });
    const request = seatClick('alice', 'A1', alice);
    const first = await onA.reservations.reserve({ ...request, reservationId: 'res-alice' });
    expect(first).toMatchObject({ ok: true, replayed: false, reservationId: 'res-alice' });
    // double clicks at both instances while the worker fails the reservation: each one answers it
    const clicks = await Promise.all([
      a.drain().then(() => null),
      ...Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? onA : onB).reservations.reserve({ ...request, reservationId: `res-alice-${i}` }),
      ),
    ]);
    for (const click of clicks.slice(1)) {
      expect(click).toMatchObject({ ok: true, replayed: true, reservationId: 'res-alice' });
    }
    expect((await onA.reservation('res-alice'))?.status).toBe('COMPENSATED');
    // the seat came back and a buyer at the other instance took it
    const other = await onB.reservations.reserve(seatClick('bob', 'A1', bob, 'bob-1'));
    expect(other).toMatchObject({ ok: true, replayed: false });

    const replay = await onB.reservations.reserve({ ...request, reservationId: 'res-alice-again' });
    expect(replay).toMatchObject({
      ok: true,
      replayed: true,
      reservationId: 'res-alice',
      hold: { status: 'COMPENSATED', seatIds: ['A1'] },
    });
  });

  it('after the buyer released the hold: the released hold, never a second hold under the key', async () => {
    const { onA, onB, admit } = await twoInstances(false);
    const token = await admit('carol');
    const request = seatClick('carol', 'A2', token);
    const first = await onA.reservations.reserve({ ...request, reservationId: 'res-carol' });
    expect(first).toMatchObject({ ok: true, replayed: false });
    expect(await onB.reservations.releaseHold({ userId: 'carol', reservationId: 'res-carol' })).toMatchObject(
      {
        ok: true,
      },
    );
    const replay = await onB.reservations.reserve({ ...request, reservationId: 'res-carol-again' });
    expect(replay).toMatchObject({
      ok: true,
      replayed: true,
      reservationId: 'res-carol',
      hold: { status: 'RELEASED' },
    });
    expect(await onA.reservation('res-carol-again')).toBeNull();
  });
});
