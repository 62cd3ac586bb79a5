import { describe, expect, it } from 'vitest';
import { Buyer, generalSale, openSale, operator, pool, serversSuite, sleep } from './support/harness';

const BUYERS = 2_000;
const UNITS = 200;
/** Buyers admitted at once: the rest stay WAITING and must be told NOT_ADMITTED. */
const MAX_ACTIVE = 1_500;
const CONCURRENCY = 200;

describe(`${BUYERS} buyers for ${UNITS} units over HTTP on Redis, Kafka and PostgreSQL`, () => {
  const suite = serversSuite('rush', { DEMO_SALE: 'none' });

  it('sells exactly the stock, answers everyone else SOLD_OUT or NOT_ADMITTED, and the books balance', async () => {
    const { app, db, namespace } = suite;
    const saleId = 'rush';
    await openSale(
      app.url,
      generalSale(saleId, UNITS, {
        admission: { usersPerInterval: BUYERS, intervalMs: 100, maxActive: MAX_ACTIVE, sessionMs: 600_000 },
        limits: { ticketsPerUser: 1 },
      }),
    );

    // everyone signs in, solves the challenge and joins
    const buyers = await pool(
      Array.from({ length: BUYERS }, (_, i) => i),
      CONCURRENCY,
      async (i) => {
        const buyer = await new Buyer(app.url).login(`buyer-${i}`);
        const joined = await buyer.join(saleId);
        expect([200, 201]).toContain(joined.status);
        return buyer;
      },
    );

    // the admission tick lets MAX_ACTIVE in; the others keep waiting
    let admitted = 0;
    for (let round = 0; round < 50 && admitted < MAX_ACTIVE; round++) {
      await sleep(200);
      admitted = (await app.platform.runtime.sale(saleId)!.waitingRoom.broadcast()).active;
    }
    expect(admitted).toBe(MAX_ACTIVE);
    await pool(buyers, CONCURRENCY, async (buyer) => {
      const status = await buyer.request('GET', `/api/sales/${saleId}/queue`);
      buyer.admissionToken = status.body.queue.admissionToken ?? '';
    });

    // the rush: every buyer presses "buy" at once
    const answers = await pool(buyers, CONCURRENCY, (buyer, i) =>
      buyer.reserve(saleId, { quantity: 1 }, `rush-${i}`),
    );
    const accepted = answers.filter((a) => a.status === 201);
    const codes = answers.filter((a) => a.status !== 201).map((a) => a.body.error.code as string);
    expect(accepted).toHaveLength(UNITS);
    expect(codes.filter((c) => c === 'NOT_ADMITTED')).toHaveLength(BUYERS - MAX_ACTIVE);
    expect(codes.filter((c) => c === 'SOLD_OUT')).toHaveLength(MAX_ACTIVE - UNITS);

    // the worker drains: every accepted reservation ends CONFIRMED in PostgreSQL
    const deadline = Date.now() + 60_000;
    let totals = await app.platform.runtime.ports.repository.totals(saleId);
    while ((totals.confirmedUnits < UNITS || totals.pendingUnits > 0) && Date.now() < deadline) {
      await sleep(250);
      totals = await app.platform.runtime.ports.repository.totals(saleId);
    }
    expect(totals).toMatchObject({ initialStock: UNITS, confirmedUnits: UNITS, pendingUnits: 0 });
    const rows = await db.query<{ status: string; n: string; users: string }>(
      `SELECT status, count(*) AS n, count(DISTINCT user_id) AS users FROM ${namespace}.reservations
        WHERE sale_id = $1 GROUP BY status`,
      [saleId],
    );
    expect(rows.rows).toEqual([{ status: 'CONFIRMED', n: String(UNITS), users: String(UNITS) }]);

    // Redis agrees with PostgreSQL: stock + confirmed == initial, nothing held, nothing oversold
    const counts = await app.platform.runtime.ports.inventory.counts(saleId);
    expect(counts).toMatchObject({ initialStock: UNITS, available: 0, held: 0, confirmed: UNITS });
    const reconciled = await operator(app.url).request('POST', `/api/operator/sales/${saleId}/reconcile`);
    expect(reconciled.body.reconciliation.consistent).toBe(true);

    // every accepted buyer sees their own confirmation
    const results = await pool(accepted.slice(0, 20), 10, async (answer) => {
      const owner = buyers[answers.indexOf(answer)]!;
      return owner.waitForResult(saleId, answer.body.reservation.id);
    });
    expect(results.every((r) => r.status === 'CONFIRMED')).toBe(true);
  }, 180_000);
});
