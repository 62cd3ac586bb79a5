import {
  createSeatRushRuntime,
  type RuntimeSale,
  type SeatRushRuntime,
  SimulatedPaymentProvider,
  type WebhookDelivery,
} from '@seatrush/core';
import { MemoryNotificationSender } from '@seatrush/core/memory';
import { SIMULATOR_CARDS } from '@seatrush/core/ports';
import { createKafka } from '@seatrush/kafka-adapter';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { uniqueName } from './support';
import { namespacedPorts } from './support/namespace';

// The buyer-driven checkout on the servers hosts deploy: holds in Redis, the pipeline on Kafka,
// payments, receipts, final states and the notification outbox in PostgreSQL. The simulator's
// webhooks are kept back and delivered by the test: twice, shuffled, concurrently, after expiry.
const services = inject('services');
// long enough that 24 buyers reserving at once on a loaded machine still hold when they begin to pay
const HOLD_MS = 4_000;

interface World {
  runtime: SeatRushRuntime;
  sale: RuntimeSale;
  provider: SimulatedPaymentProvider;
  sender: MemoryNotificationSender;
  db: pg.Pool;
  schema: string;
}

describe('checkout on Redis + Kafka + PostgreSQL', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  async function world(capacity: number): Promise<World> {
    const ns = uniqueName('co');
    const redis = new Redis(services.redisUrl);
    const db = new pg.Pool({ connectionString: services.databaseUrl, max: 10 });
    const { ports, pg: pgBundle } = namespacedPorts(ns, { redis, db, kafkaBrokers: services.kafkaBrokers });
    const provider = new SimulatedPaymentProvider();
    const sender = new MemoryNotificationSender();
    const runtime = createSeatRushRuntime({
      ports,
      admissionSecret: 'checkout-integration-secret-0123456789',
      checkout: {
        provider,
        store: pgBundle.checkout,
        outbox: pgBundle.notifications,
        sender,
        paymentWindowMs: 2_500,
        maxHoldMs: 6_500,
        relay: { intervalMs: 20 },
      },
      loops: { admission: false },
    });
    cleanups.push(async () => {
      await runtime.close();
      await redis.quit();
      await db.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(ns)} CASCADE`);
      await db.end();
      const admin = createKafka({ brokers: services.kafkaBrokers, clientId: ns }).admin();
      await admin.connect();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(ns));
      if (topics.length > 0) await admin.deleteTopics({ topics });
      await admin.disconnect();
    });
    await runtime.start();
    const sale = await runtime.define({
      id: 'pay',
      name: 'Checkout',
      opensAt: 0,
      holdMs: HOLD_MS,
      admission: { usersPerInterval: 500, maxActive: 1_000 },
      inventory: { kind: 'general', capacity, tier: 'std' },
      tiers: [{ id: 'std', name: 'Std', priceCents: 4_200 }],
    });
    return { runtime, sale, provider, sender, db, schema: ns };
  }

  async function hold(w: World, userId: string): Promise<string | null> {
    await w.sale.queue.join({ userId });
    await w.sale.queue.tick();
    const admissionToken = (await w.sale.queue.status({ userId }))?.admissionToken;
    const held = await w.sale.reservations.reserve({
      userId,
      idempotencyKey: `k-${userId}`,
      selection: { kind: 'quantity', quantity: 1 },
      ...(admissionToken ? { admissionToken } : {}),
    });
    return held.ok ? held.reservationId : null;
  }

  async function begin(w: World, userId: string, reservationId: string) {
    const begun = await w.sale.checkout!.begin({ userId, reservationId });
    if (!begun.ok) throw new Error(`begin refused for ${userId}: ${begun.code}`);
    return begun.payment;
  }

  const shuffled = <T>(list: T[]): T[] =>
    list
      .map((item) => ({ item, key: Math.random() }))
      .sort((a, b) => a.key - b.key)
      .map(({ item }) => item);

  async function rowsOf(w: World) {
    const { rows } = await w.db.query<{ reservation_id: string; status: string; payment_id: string | null }>(
      `SELECT reservation_id, status, payment_id FROM ${pg.escapeIdentifier(w.schema)}.reservations`,
    );
    return new Map(rows.map((r) => [r.reservation_id, r]));
  }

  async function outboxOf(w: World) {
    const { rows } = await w.db.query<{ notification_id: string; status: string }>(
      `SELECT notification_id, status FROM ${pg.escapeIdentifier(w.schema)}.notification_outbox`,
    );
    return rows;
  }

  it('confirms each paid hold once when its webhooks arrive twice, shuffled and concurrently', async () => {
    const w = await world(5);
    const buyers = ['ana', 'ben', 'cy'];
    const ids = new Map<string, string>();
    for (const userId of buyers) ids.set(userId, (await hold(w, userId))!);
    for (const userId of buyers) {
      const payment = await begin(w, userId, ids.get(userId)!);
      const card = userId === 'cy' ? SIMULATOR_CARDS.threeDSecure : SIMULATOR_CARDS.approved;
      await w.provider.confirm({ paymentId: payment.paymentId, clientSecret: payment.clientSecret!, card });
      if (userId === 'cy') {
        await w.provider.authenticate({
          paymentId: payment.paymentId,
          clientSecret: payment.clientSecret!,
          approve: true,
        });
      }
    }
    const webhooks = w.provider.takeWebhooks();
    expect(webhooks).toHaveLength(4); // cy's requires_action, then every succeeded
    const answers = await Promise.all(
      shuffled([...webhooks, ...webhooks]).map((d) => w.runtime.checkout!.handleWebhook(d)),
    );
    // a copy delivered while the first is in flight is applied again, idempotently, and answers
    // the same outcome; a copy after the first finished is a DUPLICATE
    const confirmedEvents = new Set(answers.filter((a) => a.outcome === 'CONFIRMED').map((a) => a.eventId));
    expect(confirmedEvents.size).toBe(3);
    expect(
      answers.every((a) => ['CONFIRMED', 'DUPLICATE', 'EXTENDED', 'NO_CHANGE'].includes(a.outcome)),
    ).toBe(true);
    const rows = await rowsOf(w);
    for (const id of ids.values()) expect(rows.get(id)).toMatchObject({ status: 'CONFIRMED' });
    expect(await w.runtime.ports.inventory.counts('pay')).toMatchObject({
      available: 2,
      held: 0,
      confirmed: 3,
    });
    expect(w.provider.refunds()).toEqual([]);
    await expect
      .poll(
        () =>
          w.sender
            .sent()
            .map((n) => n.notificationId)
            .sort(),
        { timeout: 5_000 },
      )
      .toEqual([...ids.values()].map((id) => `confirmed-${id}`).sort());
    expect((await outboxOf(w)).every((n) => n.status === 'SENT')).toBe(true);
  }, 60_000);

  it('refunds a payment whose webhook comes after the hold expired, and the seat goes back', async () => {
    const w = await world(1);
    const id = (await hold(w, 'ana'))!;
    const payment = await begin(w, 'ana', id);
    await w.provider.confirm({
      paymentId: payment.paymentId,
      clientSecret: payment.clientSecret!,
      card: SIMULATOR_CARDS.approved,
    });
    const late = w.provider.takeWebhooks();
    // the sweeper expires the hold, the worker's HoldExpired step finds the payment paid: refund
    await expect
      .poll(async () => (await rowsOf(w)).get(id)?.status, { timeout: 15_000, interval: 100 })
      .toBe('COMPENSATED');
    expect(w.provider.refunds()).toEqual([{ paymentId: payment.paymentId, reason: 'LATE_PAYMENT' }]);
    for (const delivery of [...late, ...late]) await w.runtime.checkout!.handleWebhook(delivery);
    expect(w.provider.refunds()).toHaveLength(1);
    expect(await w.runtime.ports.inventory.counts('pay')).toMatchObject({
      available: 1,
      held: 0,
      confirmed: 0,
    });
    await expect
      .poll(() => w.sender.sent().map((n) => n.notificationId), { timeout: 5_000 })
      .toEqual([`failed-${id}`]);
  }, 60_000);

  it('keeps the invariants when many buyers pay, decline, leave and time out at once', async () => {
    const capacity = 16;
    const w = await world(capacity);
    const users = Array.from({ length: 24 }, (_, i) => `buyer${i}`);
    const held = (await Promise.all(users.map(async (u) => [u, await hold(w, u)] as const))).filter(
      (pair): pair is readonly [string, string] => pair[1] !== null,
    );
    expect(held).toHaveLength(capacity);
    const webhooks: WebhookDelivery[] = [];
    const plan = new Map<string, 'pay' | 'leave' | 'timeout'>();
    await Promise.all(
      held.map(async ([userId, id], i) => {
        const kind = i % 4 === 1 ? 'leave' : i % 4 === 2 ? 'timeout' : 'pay';
        plan.set(id, kind);
        const payment = await begin(w, userId, id);
        const ref = { paymentId: payment.paymentId, clientSecret: payment.clientSecret! };
        if (kind === 'leave') {
          await w.provider.confirm({ ...ref, card: SIMULATOR_CARDS.declined });
          expect(await w.sale.checkout!.cancel({ userId, reservationId: id })).toBe('FAILED');
        } else if (kind === 'pay') {
          await w.provider.confirm({
            ...ref,
            card: i % 3 === 0 ? SIMULATOR_CARDS.declined : SIMULATOR_CARDS.approved,
          });
          if (i % 3 === 0) await w.provider.confirm({ ...ref, card: SIMULATOR_CARDS.approved });
        }
        webhooks.push(...w.provider.takeWebhooks());
      }),
    );
    await Promise.all(shuffled([...webhooks, ...webhooks]).map((d) => w.runtime.checkout!.handleWebhook(d)));
    // the ones that never paid expire: wait for every acknowledged hold to reach its final state
    await expect
      .poll(
        async () =>
          [...(await rowsOf(w)).values()].filter(
            (r) => r.status !== 'CONFIRMED' && r.status !== 'COMPENSATED',
          ).length,
        {
          timeout: 20_000,
          interval: 200,
        },
      )
      .toBe(0);
    const rows = await rowsOf(w);
    const payments = w.provider.payments();
    expect(rows.size).toBe(capacity); // every acknowledged hold has exactly one row
    expect(new Set(payments.map((p) => p.reservationId)).size).toBe(payments.length); // one payment each
    const refunded = new Set(w.provider.refunds().map((r) => r.paymentId));
    for (const [id, kind] of plan) {
      const row = rows.get(id)!;
      const paid = payments.find((p) => p.reservationId === id)!;
      expect(row.status).toBe(kind === 'pay' ? 'CONFIRMED' : 'COMPENSATED');
      // no seat confirmed without its payment; nothing paid kept without its seat
      if (row.status === 'CONFIRMED') {
        expect(paid.status).toBe('SUCCEEDED');
        expect(row.payment_id).toBe(paid.paymentId);
        expect(refunded.has(paid.paymentId)).toBe(false);
      } else {
        expect(paid.status === 'CANCELED' || refunded.has(paid.paymentId)).toBe(true);
      }
    }
    const confirmed = [...rows.values()].filter((r) => r.status === 'CONFIRMED').length;
    expect(await w.runtime.ports.inventory.counts('pay')).toEqual({
      saleId: 'pay',
      initialStock: capacity,
      available: capacity - confirmed,
      held: 0,
      confirmed,
    });
    await expect
      .poll(async () => (await outboxOf(w)).filter((n) => n.status === 'SENT').length, { timeout: 10_000 })
      .toBe(capacity);
    const sentIds = w.sender.sent().map((n) => n.notificationId);
    expect(new Set(sentIds).size).toBe(capacity);
  }, 90_000);
});
