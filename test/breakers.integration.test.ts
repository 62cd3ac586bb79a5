import { createSeatRushRuntime, FakePaymentGateway, type RuntimeSale } from '@seatrush/core';
import { MemoryAlertSink } from '@seatrush/core/memory';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { freePort, uniqueName } from './support';
import { CuttableHop } from './support/cuttable-hop';
import { namespacedPorts, removeNamespace } from './support/namespace';

// Issue 20 item 3 on the real servers: PostgreSQL becomes unreachable mid-sale (a loopback TCP
// hop in front of it stops listening and drops its connections, so the pg driver sees real
// connection errors), with a hold acknowledged meanwhile. The repository's breaker opens, health
// shows it, adaptive admission pauses; once PostgreSQL is reachable again the breaker closes, the
// pause lifts and the acknowledged hold is confirmed in PostgreSQL.
const services = inject('services');

describe('circuit breakers on the real servers', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  it('PostgreSQL unreachable: the repository breaker opens, health shows it, admission pauses; back: it closes and the acknowledged hold is confirmed', async () => {
    const ns = uniqueName('brk');
    const url = new URL(services.databaseUrl);
    const hop = new CuttableHop(await freePort(), { host: url.hostname, port: Number(url.port || 5432) });
    await hop.up();
    cleanups.push(() => hop.cut());
    const viaHop = new URL(services.databaseUrl);
    viaHop.hostname = '127.0.0.1';
    viaHop.port = String(hop.port);
    const db = new pg.Pool({ connectionString: viaHop.toString(), max: 5, connectionTimeoutMillis: 1_000 });
    db.on('error', () => undefined); // idle clients cut by the hop
    const truth = new pg.Pool({ connectionString: services.databaseUrl, max: 1 });
    const redis = new Redis(services.redisUrl);
    const { ports } = namespacedPorts(ns, { redis, db, kafkaBrokers: services.kafkaBrokers });
    const alerts = new MemoryAlertSink();
    const runtime = createSeatRushRuntime({
      ports,
      payments: new FakePaymentGateway(),
      alerts,
      admissionSecret: 'breakers-integration-secret-0123456789ab',
      adaptiveIntervalMs: 100,
      // the worker keeps retrying through the outage; the breaker refuses its attempts meanwhile
      workerRetry: { maxAttempts: 100, initialDelayMs: 100, maxDelayMs: 500 },
      breakers: { repository: { failures: 3, halfOpenAfterMs: 500, timeoutMs: 5_000 } },
    });
    cleanups.push(async () => {
      await runtime.close();
      await removeNamespace(ns, { redis, db: truth, kafkaBrokers: services.kafkaBrokers });
      await redis.quit();
      await truth.end();
      await db.end();
    });
    await runtime.start();
    const sale: RuntimeSale = await runtime.define({
      id: 'brk',
      name: 'Breakers',
      inventory: { kind: 'general', capacity: 10, tier: 'std' },
      tiers: [{ id: 'std', name: 'Standard', priceCents: 5_000 }],
      opensAt: 0,
      holdMs: 120_000,
      admission: { usersPerInterval: 50, intervalMs: 1_000, maxActive: 100, sessionMs: 600_000 },
      limits: { ticketsPerUser: 4 },
    });
    await sale.adaptive.configure({ enabled: true });
    for (const userId of ['ana', 'ben']) await sale.queue.join({ userId });
    await sale.queue.tick();
    const reserve = async (userId: string) => {
      const token = (await sale.queue.status({ userId }))?.admissionToken;
      if (!token) throw new Error(`${userId} was not admitted`);
      return sale.reservations.reserve({
        userId,
        idempotencyKey: `k-${userId}`,
        selection: { kind: 'quantity', quantity: 1 },
        admissionToken: token,
      });
    };
    const first = await reserve('ana');
    expect(first).toMatchObject({ ok: true, code: 'ACCEPTED' });
    await runtime.drain(30_000);
    expect((await runtime.health()).breakers.repository).toMatchObject({ state: 'closed', opened: 0 });

    await hop.cut();
    const held = await reserve('ben');
    // acknowledged: the hold and its outbox entry are in Redis; PostgreSQL being away changes nothing
    expect(held).toMatchObject({ ok: true, code: 'ACCEPTED' });
    await expect
      .poll(() => runtime.breakers().repository?.opened ?? 0, { timeout: 30_000, interval: 50 })
      .toBeGreaterThanOrEqual(1);
    const during = await runtime.health();
    expect(during.dependencies.postgres?.ok).toBe(false);
    expect(during.breakers.repository?.lastFailure).toBeTruthy();
    expect(alerts.alerts.map((a) => a.code)).toContain('BREAKER_OPEN');
    await expect
      .poll(() => sale.adaptive.view().pausedByController, { timeout: 30_000, interval: 50 })
      .toBe(true);
    expect(sale.adaptive.view().lastDecision?.reasons).toContain('repository circuit breaker open');

    await hop.up();
    await runtime.drain(60_000);
    await expect
      .poll(() => runtime.breakers().repository?.state, { timeout: 30_000, interval: 50 })
      .toBe('closed');
    await expect
      .poll(() => sale.adaptive.view().pausedByController, { timeout: 30_000, interval: 50 })
      .toBe(false);
    const { rows } = await truth.query<{ user_id: string; status: string }>(
      `SELECT user_id, status FROM ${pg.escapeIdentifier(ns)}.reservations WHERE sale_id = $1 ORDER BY user_id`,
      ['brk'],
    );
    expect(rows).toEqual([
      { user_id: 'ana', status: 'CONFIRMED' },
      { user_id: 'ben', status: 'CONFIRMED' },
    ]);
    console.info('[breakers] PostgreSQL cut and restored', {
      repository: runtime.breakers().repository,
      decisions: sale.adaptive.view().decisionsByHealth,
    });
  }, 120_000);
});
