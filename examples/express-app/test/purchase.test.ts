import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../src/server';
import { Buyer, generalSale, openSale, startTestApp } from './support/harness';

describe('a purchase over HTTP on the embedded default', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('takes a buyer from the queue to a confirmed seat that everyone then sees sold', async () => {
    const buyer = await new Buyer(app.url).login('Ann');
    const joined = await buyer.join('demo');
    expect(joined.status).toBe(201);
    expect(joined.body.queue.ticket).toBeGreaterThan(0);
    await buyer.waitForAdmission('demo');
    expect(buyer.admissionToken).toMatch(/\./);

    const held = await buyer.reserve('demo', { seatIds: ['floor-A1'] }, 'ann-first-try');
    expect(held.status).toBe(201);
    expect(held.body.reservation).toMatchObject({
      status: 'HELD',
      seatIds: ['floor-A1'],
      amountCents: 15_000,
    });

    const result = await buyer.waitForResult('demo', held.body.reservation.id);
    expect(result.status).toBe('CONFIRMED');
    expect(result.paymentId).toMatch(/^pay_/);

    const row = await app.platform.runtime.ports.repository.get(held.body.reservation.id);
    expect(row).toMatchObject({ status: 'CONFIRMED', userId: buyer.userId, seatIds: ['floor-A1'] });

    const someoneElse = await new Buyer(app.url).login('Bob');
    const seats = await someoneElse.request('GET', '/api/sales/demo/seats');
    expect(seats.status).toBe(200);
    expect(seats.body.states['floor-A1']).toBe('CONFIRMED');
    expect(seats.body.counts.confirmed).toBeGreaterThanOrEqual(1);
  });

  it('keeps a buyer in the same place when they join again (a refresh or a second tab)', async () => {
    const buyer = await new Buyer(app.url).login('Cleo');
    const first = await buyer.join('demo');
    const again = await buyer.join('demo');
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.alreadyJoined).toBe(true);
    expect(again.body.queue.ticket).toBe(first.body.queue.ticket);
  });

  it('answers SOLD_OUT once the stock is gone, and never sells more than there is', async () => {
    await openSale(app.url, generalSale('tiny', 2));
    const buyers = await Promise.all(['D1', 'D2', 'D3'].map((n) => new Buyer(app.url).login(n)));
    for (const b of buyers) await b.enter('tiny');
    const answers = [];
    for (const [i, b] of buyers.entries())
      answers.push(await b.reserve('tiny', { quantity: 1 }, `tiny-${i}`));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 409]);
    expect(answers[2]!.body.error.code).toBe('SOLD_OUT');
    const counts = await app.platform.runtime.ports.inventory.counts('tiny');
    expect(counts.available).toBe(0);
    expect(counts.held + counts.confirmed).toBe(2);
  });

  it('answers SEAT_TAKEN with the seat when two buyers want the same seat', async () => {
    const [first, second] = await Promise.all([
      new Buyer(app.url).login('E1'),
      new Buyer(app.url).login('E2'),
    ]);
    await first.enter('demo');
    await second.enter('demo');
    expect((await first.reserve('demo', { seatIds: ['floor-B3'] }, 'e1')).status).toBe(201);
    const lost = await second.reserve('demo', { seatIds: ['floor-B3'] }, 'e2');
    expect(lost.status).toBe(409);
    expect(lost.body.error).toMatchObject({ code: 'SEAT_TAKEN', seatIds: ['floor-B3'] });
  });

  it('refuses a buyer who was not admitted, and a token that is not theirs', async () => {
    const outsider = await new Buyer(app.url).login('Fay');
    const noToken = await outsider.reserve('demo', { seatIds: ['balcony-H20'] }, 'fay-1', '');
    expect(noToken.status).toBe(403);
    expect(noToken.body.error.code).toBe('NOT_ADMITTED');

    const insider = await new Buyer(app.url).login('Gus');
    await insider.enter('demo');
    const borrowed = await outsider.reserve(
      'demo',
      { seatIds: ['balcony-H20'] },
      'fay-2',
      insider.admissionToken,
    );
    expect(borrowed.status).toBe(403);
    expect(borrowed.body.error).toMatchObject({ code: 'NOT_ADMITTED', tokenRefusal: 'WRONG_USER' });

    const forged = `${insider.admissionToken.split('.')[0]}.AAAA`;
    const refused = await insider.reserve('demo', { seatIds: ['balcony-H20'] }, 'gus-1', forged);
    expect(refused.body.error).toMatchObject({ code: 'NOT_ADMITTED', tokenRefusal: 'BAD_SIGNATURE' });
    expect((await app.platform.runtime.ports.inventory.seatStates('demo'))['balcony-H20']).toBe('AVAILABLE');
  });

  it('answers the original outcome when the same Idempotency-Key is replayed, and refuses it for another request', async () => {
    const buyer = await new Buyer(app.url).login('Hal');
    await buyer.enter('demo');
    const before = await app.platform.runtime.ports.inventory.counts('demo');
    const first = await buyer.reserve('demo', { seatIds: ['lower-C5'] }, 'hal-key');
    const replay = await buyer.reserve('demo', { seatIds: ['lower-C5'] }, 'hal-key');
    expect(first.status).toBe(201);
    expect(replay.status).toBe(200);
    expect(replay.body.replayed).toBe(true);
    expect(replay.body.reservation.id).toBe(first.body.reservation.id);
    const after = await app.platform.runtime.ports.inventory.counts('demo');
    expect(before.available - after.available).toBeLessThanOrEqual(1);

    const other = await buyer.reserve('demo', { seatIds: ['lower-C6'] }, 'hal-key');
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await app.platform.runtime.ports.inventory.seatStates('demo'))['lower-C6']).toBe('AVAILABLE');
  });

  it('lets only the owner see, extend or release a reservation', async () => {
    const owner = await new Buyer(app.url, {}).login('Ivy');
    await owner.enter('demo');
    app.platform.payments.settings = { latencyMs: 2_000, failureRate: 0 };
    try {
      const held = await owner.reserve('demo', { seatIds: ['lower-D1'] }, 'ivy-1');
      expect(held.status).toBe(201);
      const id = held.body.reservation.id;
      const intruder = await new Buyer(app.url).login('Jon');
      for (const [method, path] of [
        ['GET', `/api/sales/demo/reservations/${id}`],
        ['POST', `/api/sales/demo/reservations/${id}/extend`],
        ['DELETE', `/api/sales/demo/reservations/${id}`],
        ['GET', `/api/sales/demo/reservations/${id}/stream`],
      ] as const) {
        // @seatrush/http answers someone else's reservation as absent: ids are no oracle
        const answer = await intruder.request(method, path);
        expect(answer.status, `${method} ${path}`).toBe(404);
        expect(answer.body.error.code).toBe('NOT_FOUND');
      }
      const hold = await app.platform.runtime.ports.inventory.getHold('demo', id);
      expect(hold?.status).toBe('HELD');
      const extended = await owner.request('POST', `/api/sales/demo/reservations/${id}/extend`);
      expect(extended.status).toBe(200);
      const released = await owner.request('DELETE', `/api/sales/demo/reservations/${id}`);
      expect(released.status).toBe(200);
      expect(released.body.reservation.status).toBe('RELEASED');
      expect((await app.platform.runtime.ports.inventory.seatStates('demo'))['lower-D1']).toBe('AVAILABLE');
    } finally {
      app.platform.payments.settings = { latencyMs: 0, failureRate: 0 };
    }
  });
});

describe('the same purchase with the lock strategy (RESERVE_STRATEGY=lock)', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp({ RESERVE_STRATEGY: 'lock' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('holds, confirms and refuses exactly as the atomic strategy does', async () => {
    await openSale(app.url, generalSale('locked', 2));
    const buyers = await Promise.all(['L1', 'L2', 'L3'].map((n) => new Buyer(app.url).login(n)));
    for (const b of buyers) await b.enter('locked');
    const answers = await Promise.all(
      buyers.map((b, i) => b.reserve('locked', { quantity: 1 }, `lock-${i}`)),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 409]);
    expect(answers.find((a) => a.status === 409)!.body.error.code).toBe('SOLD_OUT');
    const winner = answers.findIndex((a) => a.status === 201);
    const result = await buyers[winner]!.waitForResult('locked', answers[winner]!.body.reservation.id);
    expect(result.status).toBe('CONFIRMED');
    const replay = await buyers[winner]!.reserve('locked', { quantity: 1 }, `lock-${winner}`);
    expect(replay.body.replayed).toBe(true);
  });
});
