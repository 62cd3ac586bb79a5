import { Invitations } from '@seatrush/core/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../src/server';
import { EventStream } from './support/event-stream';
import { Buyer, Client, generalSale, operator, startTestApp } from './support/harness';
import { createSale, joinWith, pollUntil, queueOf } from './support/queueing';

const SECRET = 'test-invitation-secret-0123456789abcdef';
/** A sale whose admission tick never comes during a test: only invitations let anyone in. */
const NO_TICKS = { usersPerInterval: 1_000, intervalMs: 3_600_000, maxActive: 100 };

describe('bypass and priority lanes by signed invitation, over HTTP', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp({ INVITATION_SECRET: SECRET, DEMO_SALE: 'none' });
  });
  afterAll(async () => {
    await app?.close();
  });

  const invite = async (saleId: string, userId: string, lane: string, validForMs = 600_000) => {
    const answer = await operator(app.url).request('POST', `/api/operator/sales/${saleId}/invitations`, {
      body: { userId, lane, validForMs },
    });
    expect(answer.status).toBe(201);
    return answer.body.invitation.token as string;
  };

  it('issues invitations to operators only, validated, with a join link', async () => {
    await createSale(app.url, generalSale('inv-issue', 5), ['warm-up', 'open']);
    const path = '/api/operator/sales/inv-issue/invitations';
    const op = operator(app.url);
    expect((await new Client(app.url).request('POST', path, { body: {} })).status).toBe(401);
    for (const body of [
      { userId: 'u-1', lane: 'vip', validForMs: 60_000 },
      { userId: 'u-1', lane: 'bypass', validForMs: 0 },
      { userId: 'u 1', lane: 'bypass', validForMs: 60_000 },
      { userId: 'u-1', lane: 'bypass', validForMs: 60_000, saleId: 'other' },
    ]) {
      const bad = await op.request('POST', path, { body });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('INVALID_INPUT');
    }
    const unknown = await op.request('POST', '/api/operator/sales/nope/invitations', {
      body: { userId: 'u-1', lane: 'bypass', validForMs: 60_000 },
    });
    expect(unknown.status).toBe(404);

    const before = app.platform.now();
    const issued = await op.request('POST', path, {
      body: { userId: 'u-1', lane: 'priority', validForMs: 60_000 },
    });
    expect(issued.status).toBe(201);
    const { invitation } = issued.body;
    expect(invitation).toMatchObject({ saleId: 'inv-issue', userId: 'u-1', lane: 'priority' });
    expect(invitation.expiresAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(invitation.expiresAt).toBeLessThanOrEqual(app.platform.now() + 60_000);
    // signed with the configured secret
    const verdict = new Invitations({ secret: SECRET }).verify({
      invitation: invitation.token,
      saleId: 'inv-issue',
      userId: 'u-1',
      now: before,
    });
    expect(verdict.ok).toBe(true);
    expect(invitation.joinPath).toBe(`/?sale=inv-issue&invitation=${invitation.token}`);
    expect(invitation.joinUrl).toBe(`${app.url}${invitation.joinPath}`);
  });

  it('admits a bypass invitee at once while earlier arrivals wait', async () => {
    await createSale(app.url, generalSale('inv-bypass', 10, { admission: NO_TICKS }), ['warm-up', 'open']);
    const early = await Promise.all(['Ada', 'Bob'].map((name) => new Buyer(app.url).login(name)));
    for (const buyer of early) {
      const joined = await joinWith(buyer, 'inv-bypass');
      expect(joined.status).toBe(201);
      expect(joined.body.queue.state).toBe('WAITING');
    }
    const vip = await new Buyer(app.url).login('Vip');
    const joined = await joinWith(vip, 'inv-bypass', {
      invitation: await invite('inv-bypass', vip.userId, 'bypass'),
    });
    expect(joined.status).toBe(201);
    expect(joined.body.queue.state).toBe('ADMITTED');
    // the invitee passed them (asked before the invitee buys: a checkout ends the session and
    // hands its place to the first of them)
    for (const buyer of early) {
      expect((await queueOf(buyer, 'inv-bypass')).body.queue.state).toBe('WAITING');
    }
    const held = await vip.reserve('inv-bypass', { quantity: 1 }, 'vip-1', joined.body.queue.admissionToken);
    expect(held.status).toBe(201);
  });

  it('admits priority invitees before earlier normal arrivals', async () => {
    await createSale(app.url, generalSale('inv-prio', 10), ['warm-up', 'open', 'pause']);
    const op = operator(app.url);
    const early = await Promise.all(['Cy', 'Di'].map((name) => new Buyer(app.url).login(name)));
    for (const buyer of early) expect((await joinWith(buyer, 'inv-prio')).body.queue.state).toBe('WAITING');
    const member = await new Buyer(app.url).login('Member');
    const joined = await joinWith(member, 'inv-prio', {
      invitation: await invite('inv-prio', member.userId, 'priority'),
    });
    expect(joined.status).toBe(201);
    expect(joined.body.queue).toMatchObject({ state: 'WAITING', lane: 'priority' });
    // the live stream tells the same: the serving counter says nothing about the priority lane
    const stream = await EventStream.open(member, '/api/sales/inv-prio/queue/stream');
    const queueEvents = () => stream.events.filter((e) => e.event === 'queue');
    await pollUntil(
      async () => queueEvents().length,
      (count) => count >= 2,
    );
    for (const event of queueEvents())
      expect(event.data).toMatchObject({ state: 'WAITING', lane: 'priority' });

    // room for one buyer at a time: whoever is let in first keeps the only place
    expect(
      (await op.request('PUT', '/api/operator/sales/inv-prio/admission-rate', { body: { maxActive: 1 } }))
        .status,
    ).toBe(200);
    expect((await op.request('POST', '/api/operator/sales/inv-prio/resume')).status).toBe(200);
    await member.waitForAdmission('inv-prio');
    expect((await stream.next((e) => e.data.state === 'ADMITTED')).data.admissionToken).toEqual(
      expect.any(String),
    );
    stream.close();
    for (const buyer of early) {
      expect((await queueOf(buyer, 'inv-prio')).body.queue.state).toBe('WAITING');
    }
    // they come next, in their own order, once there is room
    await op.request('PUT', '/api/operator/sales/inv-prio/admission-rate', { body: { maxActive: 100 } });
    for (const buyer of early) await buyer.waitForAdmission('inv-prio');
  });

  it("refuses another user's, a forged, an expired or another sale's invitation and changes nothing", async () => {
    await createSale(app.url, generalSale('inv-refuse', 10, { admission: NO_TICKS }), ['warm-up', 'open']);
    await createSale(app.url, generalSale('inv-other', 10), ['warm-up', 'open']);
    const op = operator(app.url);
    const owner = await new Buyer(app.url).login('Owner');
    const eve = await new Buyer(app.url).login('Eve');
    const waiting = async () =>
      (await op.request('GET', '/api/operator/sales/inv-refuse/stats')).body.stats.figures.waiting as number;
    const before = await waiting();

    const owners = await invite('inv-refuse', owner.userId, 'bypass');
    const [payload, signature] = owners.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const forged = `${Buffer.from(JSON.stringify({ ...claims, userId: eve.userId })).toString('base64url')}.${signature}`;
    const expired = new Invitations({ secret: SECRET }).issue({
      saleId: 'inv-refuse',
      userId: eve.userId,
      lane: 'bypass',
      expiresAt: app.platform.now() - 1,
    });
    const otherSale = await invite('inv-other', eve.userId, 'bypass');

    for (const [invitation, reason] of [
      [owners, 'WRONG_USER'],
      [forged, 'BAD_SIGNATURE'],
      [expired, 'EXPIRED'],
      [otherSale, 'WRONG_SALE'],
      ['not-an-invitation', 'MALFORMED'],
    ] as const) {
      const refused = await joinWith(eve, 'inv-refuse', { invitation });
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({ code: 'INVITATION_REFUSED', reason });
      expect((await queueOf(eve, 'inv-refuse')).status).toBe(404);
    }
    expect(await waiting()).toBe(before);

    // without it, Eve queues normally; the owner's own invitation still works
    expect((await joinWith(eve, 'inv-refuse')).body.queue.state).toBe('WAITING');
    const own = await joinWith(owner, 'inv-refuse', { invitation: owners });
    expect(own.body.queue.state).toBe('ADMITTED');
    expect(await waiting()).toBe(before + 1);
  });
});
