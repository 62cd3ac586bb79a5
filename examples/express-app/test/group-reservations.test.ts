import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../src/server';
import { Buyer, generalSale, openSale, startTestApp } from './support/harness';

/** A seated hall: one section of two rows of four seats. */
function hall(id: string) {
  const row = (name: string) => ({
    id: name,
    seats: [1, 2, 3, 4].map((n) => ({ id: `hall-${name}${n}`, label: `${name}${n}`, tier: 'std' })),
  });
  return generalSale(id, 8, {
    inventory: { kind: 'assigned', sections: [{ id: 'hall', name: 'Hall', rows: [row('A'), row('B')] }] },
  });
}

describe('group reservations over HTTP', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('holds a party side by side in one row, once per Idempotency-Key', async () => {
    await openSale(app.url, hall('group'));
    const fay = await new Buyer(app.url).login('Fay').then((buyer) => buyer.enter('group'));
    const path = '/api/sales/group/group-reservations';

    const anonymousToken = await fay.request('POST', path, {
      body: { size: 3 },
      headers: { 'idempotency-key': 'fay-group-0' },
    });
    expect(anonymousToken.status).toBe(403);
    expect(anonymousToken.body.error.code).toBe('NOT_ADMITTED');

    const headers = { 'idempotency-key': 'fay-group-1', 'x-admission-token': fay.admissionToken };
    const held = await fay.request('POST', path, { body: { size: 3, section: 'hall' }, headers });
    expect(held.status).toBe(201);
    expect(held.body.adjacent).toBe(true);
    const seats: string[] = held.body.reservation.seatIds;
    expect(seats).toHaveLength(3);
    expect(new Set(seats.map((seat) => seat.slice(0, 'hall-A'.length))).size).toBe(1);

    const replay = await fay.request('POST', path, { body: { size: 3, section: 'hall' }, headers });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ replayed: true, reservation: { id: held.body.reservation.id } });

    const unknown = await fay.request('POST', path, {
      body: { size: 1, section: 'roof' },
      headers: { ...headers, 'idempotency-key': 'fay-group-2' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('UNKNOWN_SECTION');

    const bad = await fay.request('POST', path, {
      body: { size: 0, extra: true },
      headers: { ...headers, 'idempotency-key': 'fay-group-3' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_INPUT');
  });
});
