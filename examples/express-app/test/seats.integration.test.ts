import { seatsOf } from '@seatrush/core/ports';
import { describe, expect, it } from 'vitest';
import { Buyer, serversSuite, sleep } from './support/harness';

const BUYERS = 300;
/** The demo sale's seats, and how many buyers it admits at once. */
const SEATS = 132;
const MAX_ACTIVE = 200;

describe(`${BUYERS} buyers racing for the ${SEATS} seats of a seat map on the real servers`, () => {
  const suite = serversSuite('seats', { ADMIT_PER_SECOND: '10000' });

  it('sells every seat exactly once: in Redis, in PostgreSQL and on every buyer’s map', async () => {
    const { app, db, namespace } = suite;
    const buyers = await Promise.all(
      Array.from({ length: BUYERS }, async (_, i) => {
        const buyer = await new Buyer(app.url).login(`fan-${i}`);
        expect((await buyer.join('demo')).status).toBe(201);
        return buyer;
      }),
    );
    await sleep(500); // a few admission ticks: the first MAX_ACTIVE are in
    for (const buyer of buyers) {
      const status = await buyer.request('GET', '/api/sales/demo/queue');
      buyer.admissionToken = status.body.queue.admissionToken ?? '';
    }
    expect(buyers.filter((b) => b.admissionToken)).toHaveLength(MAX_ACTIVE);

    // each buyer picks a free seat from the live map and tries again when someone was faster
    const allSeats = seatsOf(app.platform.runtime.sale('demo')!.sale).map((seat) => seat.id);
    const outcomes = await Promise.all(
      buyers.map(async (buyer, i) => {
        for (let attempt = 0; attempt < 40; attempt++) {
          const map = await buyer.request('GET', '/api/sales/demo/seats');
          const free = allSeats.filter((id) => !map.body.states[id]);
          const pool = free.length > 0 ? free : allSeats;
          const seat = pool[Math.floor(Math.random() * pool.length)]!;
          const answer = await buyer.reserve('demo', { seatIds: [seat] }, `fan-${i}-${attempt}`);
          if (answer.status === 201) return 'HELD';
          const code = answer.body.error.code as string;
          // taken while the map still showed free seats: someone was faster, pick another
          if (code === 'SEAT_TAKEN' && free.length > 0) continue;
          return code === 'SEAT_TAKEN' ? 'SOLD_OUT' : code;
        }
        return 'GAVE_UP';
      }),
    );
    const tally: Record<string, number> = {};
    for (const outcome of outcomes) tally[outcome] = (tally[outcome] ?? 0) + 1;
    expect(tally.HELD).toBe(SEATS);
    expect(tally.NOT_ADMITTED).toBe(BUYERS - MAX_ACTIVE);
    expect(tally.SOLD_OUT).toBe(MAX_ACTIVE - SEATS);

    // the worker settles everything; every seat is sold once, to one reservation
    const deadline = Date.now() + 60_000;
    let totals = await app.platform.runtime.ports.repository.totals('demo');
    while ((totals.confirmedUnits < SEATS || totals.pendingUnits > 0) && Date.now() < deadline) {
      await sleep(250);
      totals = await app.platform.runtime.ports.repository.totals('demo');
    }
    expect(totals).toMatchObject({ confirmedUnits: SEATS, pendingUnits: 0 });
    expect(new Set(totals.confirmedSeatIds).size).toBe(SEATS);
    const sold = await db.query<{ seats: string; distinct_seats: string }>(
      `SELECT count(*) AS seats, count(DISTINCT seat_id) AS distinct_seats FROM ${namespace}.sold_seats WHERE sale_id = 'demo'`,
    );
    expect(sold.rows[0]).toEqual({ seats: String(SEATS), distinct_seats: String(SEATS) });
    const rows = await db.query<{ seat: string; n: string }>(
      `SELECT seat, count(*) AS n FROM ${namespace}.reservations, unnest(seat_ids) AS seat
        WHERE sale_id = 'demo' AND status = 'CONFIRMED' GROUP BY seat HAVING count(*) > 1`,
    );
    expect(rows.rows).toEqual([]);
    const states = Object.values(await app.platform.runtime.ports.inventory.seatStates('demo'));
    expect(states.filter((s) => s === 'CONFIRMED')).toHaveLength(SEATS);
    const counts = await app.platform.runtime.ports.inventory.counts('demo');
    expect(counts.available + counts.confirmed).toBe(counts.initialStock);
  }, 180_000);
});
