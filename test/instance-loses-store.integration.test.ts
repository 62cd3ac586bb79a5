import {
  createSeatRushRuntime,
  FakePaymentGateway,
  InfrastructureError,
  type RuntimeSale,
  type SeatRushRuntime,
  StoreUnavailableError,
} from '@seatrush/core';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { freePort, uniqueName } from './support';
import { CuttableHop } from './support/cuttable-hop';
import { namespacedPorts, removeNamespace } from './support/namespace';

// Issue 17: "an instance that loses the shared store answers 503 and sells nothing. It never falls
// back to a local copy of the sale's state." Two runtimes share Redis, Kafka and PostgreSQL, as two
// API instances do; instance B reaches Redis through a TCP hop this test cuts, as a network
// partition would. While cut, B sells nothing, its operator command is refused rather than applied
// to its copy, and A keeps selling and pauses the sale; once the hop is back, B follows the pause
// by itself and the books agree with PostgreSQL.
const services = inject('services');
const SECRET = 'instance-loses-store-secret-0123456789ab';

describe('an instance that loses the shared store', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  it('sells nothing and is not steered by its own copy while cut off; it follows the shared state once back', async () => {
    const ns = uniqueName('lost');
    const redisUrl = new URL(services.redisUrl);
    const hop = new CuttableHop(await freePort(), {
      host: redisUrl.hostname,
      port: Number(redisUrl.port || 6379),
    });
    await hop.up();
    // the example app's client settings: a command waits for at most two reconnections
    const redisA = new Redis(services.redisUrl, { maxRetriesPerRequest: 2 });
    const redisB = new Redis({ host: '127.0.0.1', port: hop.port, maxRetriesPerRequest: 2 });
    redisB.on('error', () => undefined);
    const db = new pg.Pool({ connectionString: services.databaseUrl, max: 10 });
    const bundle = (redis: Redis, migrate: 'apply' | 'verify') =>
      namespacedPorts(ns, { redis, db, kafkaBrokers: services.kafkaBrokers }, migrate).ports;
    const runtimes: SeatRushRuntime[] = [];
    cleanups.push(async () => {
      await hop.cut();
      for (const runtime of runtimes.reverse()) await runtime.close().catch(() => undefined);
      await removeNamespace(ns, { redis: redisA, db, kafkaBrokers: services.kafkaBrokers });
      redisB.disconnect();
      await redisA.quit();
      await db.end();
    });
    const instance = (redis: Redis, worker: boolean, migrate: 'apply' | 'verify') => {
      const runtime = createSeatRushRuntime({
        ports: bundle(redis, migrate),
        payments: new FakePaymentGateway(),
        admissionSecret: SECRET,
        discoverIntervalMs: 100,
        loopLeaseMs: 1_000,
        loops: { worker },
      });
      runtimes.push(runtime);
      return runtime;
    };
    const a = instance(redisA, true, 'apply');
    await a.start();
    const b = instance(redisB, false, 'verify');
    await b.start();

    const onA: RuntimeSale = await a.define({
      id: 'partition',
      name: 'Partitioned',
      opensAt: Date.now(),
      admission: { usersPerInterval: 100, intervalMs: 100, maxActive: 100, sessionMs: 600_000 },
      inventory: { kind: 'general', capacity: 30, tier: 'std' },
      tiers: [{ id: 'std', name: 'Standard', priceCents: 1_000 }],
    });
    await expect.poll(() => b.sale('partition')?.state, { timeout: 10_000 }).toBe('OPEN');
    const onB = b.sale('partition')!;

    // forty buyers admitted (on A); their tokens are valid on either instance
    const buyers = Array.from({ length: 40 }, (_, i) => `buyer-${i}`);
    for (const userId of buyers) await onA.queue.join({ userId });
    await onA.queue.tick();
    const tokens = new Map<string, string>();
    for (const userId of buyers) {
      const token = (await onA.queue.status({ userId }))?.admissionToken;
      expect(token, `${userId} admitted`).toBeTruthy();
      tokens.set(userId, token!);
    }
    const reserve = (sale: RuntimeSale, userId: string) =>
      sale.reservations.reserve({
        userId,
        idempotencyKey: `key-${userId}`,
        selection: { kind: 'quantity', quantity: 1 },
        admissionToken: tokens.get(userId),
      });

    // before the cut both sell
    expect((await reserve(onB, 'buyer-0')).ok).toBe(true);
    expect((await reserve(onA, 'buyer-1')).ok).toBe(true);

    await hop.cut();
    await expect.poll(() => redisB.status, { timeout: 5_000, interval: 10 }).not.toBe('ready');
    // B, cut off, concurrently: ten buyers reserve. None is told they have a seat, nor "unknown":
    // the reserve never left B, so it is refused as an unreachable store (HTTP 503), at once
    const cutAnswers = await Promise.all(
      buyers.slice(10, 20).map(async (userId) => {
        try {
          const answer = await reserve(onB, userId);
          return { userId, code: answer.ok ? 'ACCEPTED' : answer.code };
        } catch (error) {
          return { userId, code: `threw ${(error as Error).name}` };
        }
      }),
    );
    expect(cutAnswers.map((answer) => answer.code)).toEqual(
      cutAnswers.map(() => 'threw StoreUnavailableError'),
    );
    // its operator's pause is refused, not applied to its own copy
    await expect(onB.command('pause')).rejects.toBeInstanceOf(InfrastructureError);
    expect(onB.state).toBe('OPEN');

    // meanwhile A keeps selling, then pauses the sale for everyone
    const soldOnA = await Promise.all(buyers.slice(20, 30).map((userId) => reserve(onA, userId)));
    expect(soldOnA.every((answer) => answer.ok)).toBe(true);
    expect((await onA.command('pause')).ok).toBe(true);
    // B cannot know of the pause yet; whatever its copy says, it still sells nothing
    await expect(reserve(onB, 'buyer-30')).rejects.toBeInstanceOf(StoreUnavailableError);

    // the link comes back: B follows the shared state by itself, within seconds
    await hop.up();
    await expect.poll(() => onB.state, { timeout: 10_000, interval: 50 }).toBe('PAUSED');
    const afterPause = await reserve(onB, 'buyer-31');
    expect(afterPause).toMatchObject({ ok: false, code: 'SALE_NOT_OPEN' });

    // the books: every reservation was told ACCEPTED, none was refused; PostgreSQL and the store agree
    expect((await onA.command('resume')).ok).toBe(true);
    await a.drain();
    const told = new Map<string, string>([
      ['buyer-0', 'ACCEPTED'],
      ['buyer-1', 'ACCEPTED'],
      ...cutAnswers.map((answer) => [answer.userId, answer.code] as [string, string]),
      ...buyers.slice(20, 30).map((userId) => [userId, 'ACCEPTED'] as [string, string]),
      ['buyer-30', 'StoreUnavailableError'],
      ['buyer-31', 'SALE_NOT_OPEN'],
    ]);
    const { rows } = await db.query<{ user_id: string; status: string }>(
      `SELECT user_id, status FROM ${pg.escapeIdentifier(ns)}.reservations WHERE sale_id = $1`,
      ['partition'],
    );
    for (const row of rows) expect(told.get(row.user_id), row.user_id).toBe('ACCEPTED');
    const counts = await a.ports.inventory.counts('partition');
    expect(counts.held).toBe(0);
    expect(rows.filter((row) => row.status === 'CONFIRMED').length).toBe(counts.confirmed);
    expect(counts.confirmed).toBe(12);
  }, 90_000);
});
