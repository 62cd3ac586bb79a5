import { SIMULATOR_CARDS } from '@seatrush/core/ports';
import { uniqueName } from '@seatrush/test-support';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { RunningApp } from '../src/server';
import { Buyer, serversEnv, sleep, startTestApp } from './support/harness';

type Plan = 'pays' | 'three-d-secure' | 'declined-then-pays' | 'leaves' | 'never-pays';
const PLANS: Plan[] = ['pays', 'three-d-secure', 'declined-then-pays', 'leaves', 'never-pays'];

describe('the buyer checkout on Redis, Kafka and PostgreSQL', () => {
  const services = inject('services');
  const schemas: string[] = [];
  let namespace = '';
  const db = new pg.Pool({ connectionString: services.databaseUrl, max: 2 });
  let app: RunningApp | undefined;

  afterAll(async () => {
    await app?.close();
    for (const schema of schemas) await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await db.end();
  });

  it('confirms only what was paid, gives back the rest, and PostgreSQL agrees with every answer', async () => {
    // a namespace of its own per attempt (a retry must not meet the last attempt's holds)
    namespace = uniqueName('checkout');
    schemas.push(namespace);
    await app?.close();
    app = await startTestApp({
      ...serversEnv(services),
      NAMESPACE: namespace,
      CHECKOUT: 'buyer',
      // the buyers who never open the payment lose their seat when this runs out
      HOLD_MS: '3000',
    });
    const running = app;
    const buyers = await Promise.all(
      Array.from({ length: 15 }, async (_, i) => {
        const buyer = await (await new Buyer(running.url).login(`Payer${i}`)).enter('demo');
        return { buyer, plan: PLANS[i % PLANS.length]!, seatId: `lower-C${i + 1}` };
      }),
    );
    // all at once: hold, then each buyer's own checkout
    const outcomes = await Promise.all(
      buyers.map(async ({ buyer, plan, seatId }) => {
        const held = await buyer.reserve('demo', { seatIds: [seatId] }, `${plan}-${seatId}`);
        expect(held.status).toBe(201);
        const reservationId: string = held.body.reservation.id;
        if (plan === 'never-pays') return { plan, seatId, reservationId };
        const path = `/api/sales/demo/reservations/${reservationId}/checkout`;
        const { payment } = (await buyer.request('POST', path)).body;
        const card = (number: string) =>
          buyer.request('POST', `/api/simulator/payments/${payment.paymentId}/confirm`, {
            body: { clientSecret: payment.clientSecret, card: number },
          });
        if (plan === 'leaves') expect((await buyer.request('DELETE', path)).body.outcome).toBe('FAILED');
        if (plan === 'pays') expect((await card(SIMULATOR_CARDS.approved)).status).toBe(200);
        if (plan === 'declined-then-pays') {
          expect((await card(SIMULATOR_CARDS.insufficientFunds)).status).toBe(402);
          expect((await card(SIMULATOR_CARDS.approved)).status).toBe(200);
        }
        if (plan === 'three-d-secure') {
          expect((await card(SIMULATOR_CARDS.threeDSecure)).body.status).toBe('REQUIRES_ACTION');
          const approved = await buyer.request(
            'POST',
            `/api/simulator/payments/${payment.paymentId}/authenticate`,
            {
              body: { clientSecret: payment.clientSecret, approve: true },
            },
          );
          expect(approved.body.status).toBe('SUCCEEDED');
        }
        return { plan, seatId, reservationId };
      }),
    );
    const finals = await Promise.all(
      outcomes.map(async (o, i) => ({
        ...o,
        view: await buyers[i]!.buyer.waitForResult('demo', o.reservationId),
      })),
    );
    const paid = new Set<Plan>(['pays', 'three-d-secure', 'declined-then-pays']);
    for (const { plan, view } of finals) {
      if (paid.has(plan)) expect(view.status, plan).toBe('CONFIRMED');
      else if (plan === 'leaves')
        expect(view).toMatchObject({ status: 'FAILED', reason: 'CHECKOUT_ABANDONED' });
      // the store's expiry or the row's failure, whichever the page saw first: the same end
      else
        expect([view.status, view.reason]).toEqual([
          expect.stringMatching(/^(EXPIRED|FAILED)$/),
          'HOLD_EXPIRED',
        ]);
    }

    // PostgreSQL: every acknowledged hold has one row in a final state, confirmed iff paid
    const rows = await waitForFinalRows(finals.length);
    const payments = new Map(
      (await db.query(`SELECT reservation_id, status FROM ${namespace}.checkout_payments`)).rows.map((r) => [
        r.reservation_id as string,
        r.status as string,
      ]),
    );
    for (const { plan, reservationId } of finals) {
      const row = rows.get(reservationId);
      if (paid.has(plan)) {
        expect(row, plan).toBe('CONFIRMED');
        expect(payments.get(reservationId), plan).toBe('SUCCEEDED');
      } else {
        expect(row, plan).toBe('COMPENSATED');
        // never-pays has no payment at all; a buyer who left has a voided one
        expect(payments.get(reservationId), plan).toBe(plan === 'leaves' ? 'VOIDED' : undefined);
      }
    }
    // the store agrees: exactly the paid seats are sold, every other one is free again
    const seats = await running.platform.runtime.ports.inventory.seatStates('demo');
    for (const { plan, seatId } of finals)
      expect(seats[seatId], plan).toBe(paid.has(plan) ? 'CONFIRMED' : 'AVAILABLE');
    // one notification per reservation, confirmed or failed, all sent by the relay
    const notifications = await waitForSentNotifications(finals.length);
    for (const { plan, reservationId } of finals)
      expect(notifications.get(reservationId), plan).toBe(
        paid.has(plan) ? 'RESERVATION_CONFIRMED' : 'RESERVATION_FAILED',
      );
  }, 60_000);

  async function waitForFinalRows(count: number): Promise<Map<string, string>> {
    for (let i = 0; ; i += 1) {
      const { rows } = await db.query(`SELECT reservation_id, status FROM ${namespace}.reservations`);
      const final = rows.filter((r) => r.status === 'CONFIRMED' || r.status === 'COMPENSATED');
      if (final.length === count || i > 100) return new Map(rows.map((r) => [r.reservation_id, r.status]));
      await sleep(100);
    }
  }

  async function waitForSentNotifications(count: number): Promise<Map<string, string>> {
    for (let i = 0; ; i += 1) {
      const { rows } = await db.query(
        `SELECT reservation_id, kind, status FROM ${namespace}.notification_outbox`,
      );
      if ((rows.length === count && rows.every((r) => r.status === 'SENT')) || i > 100) {
        expect(rows).toHaveLength(count);
        expect(rows.every((r) => r.status === 'SENT')).toBe(true);
        return new Map(rows.map((r) => [r.reservation_id, r.kind]));
      }
      await sleep(100);
    }
  }
});
