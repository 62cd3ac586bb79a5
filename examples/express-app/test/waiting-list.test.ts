import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../src/server';
import { EventStream, holdPayments, waitUntil } from './support/event-stream';
import { Buyer, Client, generalSale, openSale, operator, startTestApp } from './support/harness';
import { joinWaitingList } from './support/waiting-list';

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

const listPath = (sale: string) => `/api/sales/${sale}/waiting-list`;
const claimPath = (sale: string, offerId: string) => `${listPath(sale)}/offers/${offerId}/claim`;

async function signedIn(app: RunningApp, name: string): Promise<Buyer> {
  return new Buyer(app.url).login(name);
}

/** Signs in, waits for admission and holds `body`; the hold stays HELD while payments are held. */
async function holder(
  app: RunningApp,
  sale: string,
  name: string,
  body: unknown,
  gate: { block(id: string): void },
) {
  const buyer = await signedIn(app, name);
  gate.block(buyer.userId);
  await buyer.enter(sale);
  const held = await buyer.reserve(sale, body, `${name}-hold`);
  expect(held.status).toBe(201);
  return { buyer, reservationId: held.body.reservation.id as string };
}

/** The offer pushed on the buyer's waiting-list stream. */
async function offerPushed(stream: EventStream) {
  const pushed = await stream.next((e) => e.event === 'waiting-list' && e.data.state === 'OFFERED');
  return pushed.data.offer as { offerId: string; quantity: number; seatIds: string[]; deadline: number };
}

/** Stock adds up: every unit is available, held or confirmed, none twice. */
async function expectStockConsistent(app: RunningApp, sale: string, confirmed: number) {
  await waitUntil(async () => {
    const counts = await app.platform.runtime.ports.inventory.counts(sale);
    return counts.confirmed === confirmed && counts.held === 0;
  }, `${confirmed} confirmed and nothing held in ${sale}`);
  const counts = await app.platform.runtime.ports.inventory.counts(sale);
  expect(counts.available + counts.held + counts.confirmed).toBe(counts.initialStock);
}

describe('the waiting list after sell-out over HTTP', () => {
  let app: RunningApp;
  const streams: EventStream[] = [];
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterEach(() => {
    for (const stream of streams.splice(0)) stream.close();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('offers released units to the first party (pushed), who claims them and ends CONFIRMED', async () => {
    const sale = 'wl-first';
    await openSale(app.url, generalSale(sale, 2, { limits: { ticketsPerUser: 2 } }));
    const gate = holdPayments(app);
    const [bea, cal, dot] = await Promise.all(['Bea', 'Cal', 'Dot'].map((name) => signedIn(app, name)));

    const early = await joinWaitingList(bea!, sale, { size: 2 });
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: 'NOT_SOLD_OUT', available: 2 });

    const ann = await holder(app, sale, 'Ann', { quantity: 2 }, gate);

    // bad input is refused and changes nothing
    const anonymous = await new Client(app.url).request('POST', listPath(sale), { body: { size: 1 } });
    expect(anonymous.status).toBe(401);
    for (const body of [{}, { size: 0 }, { size: 1.5 }, { size: '2' }, { size: 1, userId: 'someone' }]) {
      const bad = await joinWaitingList(bea!, sale, body);
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('INVALID_INPUT');
    }
    const fallback = await joinWaitingList(bea!, sale, { size: 1, fallback: 'split' });
    expect(fallback.status).toBe(400);
    expect(fallback.body.error.code).toBe('WRONG_SELECTION');
    expect((await bea!.request('GET', listPath(sale))).status).toBe(404);
    // the seat map's question answers 200 either way
    expect(await bea!.request('GET', `${listPath(sale)}/place`)).toMatchObject({
      status: 200,
      body: { waitingList: null },
    });
    const tooMany = await joinWaitingList(bea!, sale, { size: 3 });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.error.code).toBe('LIMIT_EXCEEDED');

    // the list is behind the queue's bot guard: a join without its proof of work (Dot never solved
    // one) is refused, and puts nobody on the list
    const unproven = await dot!.request('POST', listPath(sale), { body: { size: 1 } });
    expect(unproven.status).toBe(403);
    expect(unproven.body.error).toMatchObject({
      code: 'CHALLENGE_REQUIRED',
      challenge: { id: expect.any(String) },
    });
    expect((await dot!.request('GET', `${listPath(sale)}/place`)).body).toEqual({ waitingList: null });

    const joined = [
      await joinWaitingList(bea!, sale, { size: 2 }),
      await joinWaitingList(cal!, sale, { size: 1 }),
    ];
    expect(joined.map((a) => a.status)).toEqual([201, 201]);
    expect(joined[0]!.body.waitingList).toMatchObject({ state: 'WAITING', size: 2, ahead: 0, offer: null });
    expect(joined[1]!.body.waitingList).toMatchObject({ state: 'WAITING', size: 1, ahead: 1 });
    const again = await joinWaitingList(bea!, sale, { size: 1 });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ alreadyJoined: true, waitingList: { size: 2, ahead: 0 } });
    expect((await bea!.request('GET', `${listPath(sale)}/place`)).body.waitingList).toMatchObject({
      state: 'WAITING',
      size: 2,
    });
    expect((await joinWaitingList(dot!, sale, { size: 1 })).status).toBe(201);
    expect((await dot!.request('DELETE', listPath(sale))).status).toBe(204);
    expect((await dot!.request('GET', listPath(sale))).body.error.code).toBe('NOT_ON_WAITING_LIST');

    const beaStream = await EventStream.open(bea!, `${listPath(sale)}/stream`);
    streams.push(beaStream);
    expect((await beaStream.next((e) => e.event === 'waiting-list')).data.state).toBe('WAITING');

    // Ann gives her two tickets back: they go to Bea, the first party they fit
    const released = await ann.buyer.request(
      'DELETE',
      `/api/sales/${sale}/reservations/${ann.reservationId}`,
    );
    expect(released.status).toBe(200);
    gate.open();
    const offer = await offerPushed(beaStream);
    expect(offer.quantity).toBe(2);
    const calView = (await cal!.request('GET', listPath(sale))).body.waitingList;
    expect(calView).toMatchObject({ state: 'WAITING', offer: null });

    const malformed = await bea!.request('POST', claimPath(sale, 'not an id'));
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('INVALID_INPUT');
    const stolen = await cal!.request('POST', claimPath(sale, offer.offerId));
    expect(stolen.status).toBe(409);
    expect(stolen.body.error.code).toBe('NOT_OFFERED');

    const claimed = await bea!.request('POST', claimPath(sale, offer.offerId));
    expect(claimed.status).toBe(201);
    expect(claimed.body.reservation).toMatchObject({ id: offer.offerId, status: 'HELD', quantity: 2 });
    const twice = await bea!.request('POST', claimPath(sale, offer.offerId));
    expect(twice.status).toBe(409);
    expect(twice.body.error).toMatchObject({ code: 'ALREADY_CLAIMED', reservationId: offer.offerId });

    // the claim is a reservation like any other: followed over its own stream to the end
    const result = await EventStream.open(bea!, `/api/sales/${sale}/reservations/${offer.offerId}/stream`);
    streams.push(result);
    const final = await result.next((e) => e.event === 'reservation' && e.data.status !== 'HELD');
    expect(final.data).toMatchObject({ status: 'CONFIRMED', quantity: 2 });
    const claimedView = await beaStream.next((e) => e.data.state === 'CLAIMED');
    expect(claimedView.data.reservationId).toBe(offer.offerId);
    await expectStockConsistent(app, sale, 2);
    expect((await cal!.request('GET', listPath(sale))).body.waitingList).toMatchObject({
      state: 'WAITING',
      ahead: 0,
    });
  });

  it('passes a declined offer on to the next party at once', async () => {
    const sale = 'wl-decline';
    await openSale(app.url, generalSale(sale, 1));
    const gate = holdPayments(app);
    const ann = await holder(app, sale, 'Decline-Ann', { quantity: 1 }, gate);
    const [bo, cy] = await Promise.all([signedIn(app, 'Decline-Bo'), signedIn(app, 'Decline-Cy')]);
    expect((await joinWaitingList(bo!, sale, { size: 1 })).status).toBe(201);
    expect((await joinWaitingList(cy!, sale, { size: 1 })).status).toBe(201);
    const boStream = await EventStream.open(bo!, `${listPath(sale)}/stream`);
    const cyStream = await EventStream.open(cy!, `${listPath(sale)}/stream`);
    streams.push(boStream, cyStream);

    await ann.buyer.request('DELETE', `/api/sales/${sale}/reservations/${ann.reservationId}`);
    gate.open();
    const boOffer = await offerPushed(boStream);
    expect((await bo!.request('DELETE', listPath(sale))).status).toBe(204);
    const cyOffer = await offerPushed(cyStream);
    expect(cyOffer.offerId).not.toBe(boOffer.offerId);
    expect((await bo!.request('GET', listPath(sale))).body.waitingList.state).toBe('LAPSED');
    const late = await bo!.request('POST', claimPath(sale, boOffer.offerId));
    expect(late.body.error.code).toBe('OFFER_EXPIRED');
    expect((await cy!.request('POST', claimPath(sale, cyOffer.offerId))).status).toBe(201);
    expect((await cy!.waitForResult(sale, cyOffer.offerId)).status).toBe('CONFIRMED');
    await expectStockConsistent(app, sale, 1);
  });

  it('gives a party of three three adjacent seats when they are freed together', async () => {
    const sale = 'wl-hall';
    await openSale(app.url, hall(sale));
    const gate = holdPayments(app);
    const xia = await holder(
      app,
      sale,
      'Xia',
      { seatIds: ['hall-A1', 'hall-B2', 'hall-B3', 'hall-B4'] },
      gate,
    );
    await holder(app, sale, 'Zed', { seatIds: ['hall-A2', 'hall-A3', 'hall-A4', 'hall-B1'] }, gate);
    const [trio, solo] = await Promise.all([signedIn(app, 'Trio'), signedIn(app, 'Solo')]);
    expect((await joinWaitingList(trio!, sale, { size: 3, fallback: 'refuse' })).status).toBe(201);
    expect((await joinWaitingList(solo!, sale, { size: 1 })).status).toBe(201);
    const trioStream = await EventStream.open(trio!, `${listPath(sale)}/stream`);
    const soloStream = await EventStream.open(solo!, `${listPath(sale)}/stream`);
    streams.push(trioStream, soloStream);

    // four seats come back at once, only three of them side by side
    const released = await xia.buyer.request(
      'DELETE',
      `/api/sales/${sale}/reservations/${xia.reservationId}`,
    );
    expect(released.status).toBe(200);
    gate.open();
    const trioOffer = await offerPushed(trioStream);
    expect(trioOffer.seatIds).toEqual(['hall-B2', 'hall-B3', 'hall-B4']);
    const soloOffer = await offerPushed(soloStream);
    expect(soloOffer.seatIds).toEqual(['hall-A1']);

    const claimed = await trio!.request('POST', claimPath(sale, trioOffer.offerId));
    expect(claimed.status).toBe(201);
    expect(claimed.body.reservation.seatIds).toEqual(['hall-B2', 'hall-B3', 'hall-B4']);
    expect((await trio!.waitForResult(sale, trioOffer.offerId)).status).toBe('CONFIRMED');
    const seats = await app.platform.runtime.ports.inventory.seatStates(sale);
    expect(['hall-B2', 'hall-B3', 'hall-B4'].map((id) => seats[id])).toEqual([
      'CONFIRMED',
      'CONFIRMED',
      'CONFIRMED',
    ]);
  });

  it('lets exactly one of 200 concurrent claims on one offer through', async () => {
    const sale = 'wl-race';
    await openSale(app.url, generalSale(sale, 1));
    const gate = holdPayments(app);
    const ann = await holder(app, sale, 'Race-Ann', { quantity: 1 }, gate);
    const winner = await signedIn(app, 'Race-Bo');
    expect((await joinWaitingList(winner, sale, { size: 1 })).status).toBe(201);
    const others = await Promise.all(Array.from({ length: 10 }, (_, i) => signedIn(app, `Race-other-${i}`)));
    for (const other of others.slice(0, 5))
      expect((await joinWaitingList(other, sale, { size: 1 })).status).toBe(201);
    const stream = await EventStream.open(winner, `${listPath(sale)}/stream`);
    streams.push(stream);

    await ann.buyer.request('DELETE', `/api/sales/${sale}/reservations/${ann.reservationId}`);
    gate.open();
    const offer = await offerPushed(stream);
    const stats = await operator(app.url).request('GET', `/api/operator/sales/${sale}/stats`);
    expect(stats.body.stats.figures).toMatchObject({ waitingList: 5, offersOutstanding: 1 });

    // the offered buyer hammers claim (100 times) while ten others (five of them on the list) try too
    const path = claimPath(sale, offer.offerId);
    const answers = await Promise.all([
      ...Array.from({ length: 100 }, () => winner.request('POST', path)),
      ...others.flatMap((other) => Array.from({ length: 10 }, () => other.request('POST', path))),
    ]);
    const codes = answers.map((a) => (a.status === 201 ? 'ACCEPTED' : a.body.error.code));
    const tally = Object.fromEntries(
      [...new Set(codes)].map((code) => [code, codes.filter((c) => c === code).length]),
    );
    expect(tally).toEqual({ ACCEPTED: 1, ALREADY_CLAIMED: 99, NOT_OFFERED: 100 });
    expect(answers.findIndex((a) => a.status === 201)).toBeLessThan(100);

    expect((await winner.waitForResult(sale, offer.offerId)).status).toBe('CONFIRMED');
    await expectStockConsistent(app, sale, 1);
    const counts = await app.platform.runtime.ports.inventory.counts(sale);
    expect(counts).toMatchObject({ initialStock: 1, available: 0, held: 0, confirmed: 1 });
    for (const other of others.slice(0, 5)) {
      expect((await other.request('GET', listPath(sale))).body.waitingList.state).toBe('WAITING');
    }
  });
});

describe('an offer not claimed in time', () => {
  let app: RunningApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('goes to the next party', async () => {
    // a one-second claim window; nothing below races it: each step waits for what must follow
    app = await startTestApp({ WAITING_LIST_CLAIM_MS: '1000' });
    const sale = 'wl-lapse';
    await openSale(app.url, generalSale(sale, 1));
    const gate = holdPayments(app);
    const ann = await holder(app, sale, 'Lapse-Ann', { quantity: 1 }, gate);
    const [bo, cy] = await Promise.all([signedIn(app, 'Lapse-Bo'), signedIn(app, 'Lapse-Cy')]);
    expect((await joinWaitingList(bo!, sale, { size: 1 })).status).toBe(201);
    expect((await joinWaitingList(cy!, sale, { size: 1 })).status).toBe(201);
    const boStream = await EventStream.open(bo!, `${listPath(sale)}/stream`);
    const cyStream = await EventStream.open(cy!, `${listPath(sale)}/stream`);

    await ann.buyer.request('DELETE', `/api/sales/${sale}/reservations/${ann.reservationId}`);
    gate.open();
    const boOffer = await offerPushed(boStream);
    // Bo does not claim: once the deadline passes, the hold lapses and the unit is offered to Cy
    const cyOffer = await offerPushed(cyStream);
    expect(cyOffer.offerId).not.toBe(boOffer.offerId);
    expect(cyOffer.quantity).toBe(1);
    const late = await bo!.request('POST', claimPath(sale, boOffer.offerId));
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe('OFFER_EXPIRED');
    expect((await bo!.request('GET', listPath(sale))).body.waitingList.state).toBe('LAPSED');
    boStream.close();
    cyStream.close();
    const counts = await app.platform.runtime.ports.inventory.counts(sale);
    expect(counts.available + counts.held + counts.confirmed).toBe(1);
  });
});
