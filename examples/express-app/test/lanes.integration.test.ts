import { ManualClock } from '@seatrush/core/testing';
import { uniqueName } from '@seatrush/test-support';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../src/ops/logger';
import { serverPorts } from '../src/platform/servers';
import type { RunningApp } from '../src/server';
import { Buyer, dropSchemas, generalSale, operator, serversEnv, startTestApp } from './support/harness';
import { createSale, joinWith, patientAdmission, queueOf } from './support/queueing';

describe('invitation lanes and the pre-queue on Redis, Kafka and PostgreSQL', () => {
  const services = inject('services');
  const namespace = uniqueName('lanes');
  // the app's clock is the test's: the opening comes when the test says
  const clock = new ManualClock(Date.now());
  let app: RunningApp;
  beforeAll(async () => {
    const servers = {
      redisUrl: services.redisUrl,
      databaseUrl: services.databaseUrl,
      kafkaBrokers: services.kafkaBrokers,
    };
    const ports = await serverPorts(servers, { namespace, log: createLogger('silent') });
    app = await startTestApp(
      {
        ...serversEnv(services),
        NAMESPACE: namespace,
        DEMO_SALE: 'none',
      },
      { ports: { ...ports, clock } },
    );
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await dropSchemas(services.databaseUrl, [namespace]);
  });

  it('lets a bypass invitee in at once and a priority invitee ahead of earlier arrivals', async () => {
    await createSale(app.url, generalSale('lanes', 10, { admission: patientAdmission() }), [
      'warm-up',
      'open',
      'pause',
    ]);
    const op = operator(app.url);
    const invite = async (saleId: string, userId: string, lane: string) =>
      (
        await op.request('POST', `/api/operator/sales/${saleId}/invitations`, {
          body: { userId, lane, validForMs: 600_000 },
        })
      ).body.invitation.token as string;
    const early = await Promise.all(['Ada', 'Bob'].map((name) => new Buyer(app.url).login(name)));
    for (const buyer of early) expect((await joinWith(buyer, 'lanes')).body.queue.state).toBe('WAITING');
    const member = await new Buyer(app.url).login('Member');
    const joined = await joinWith(member, 'lanes', {
      invitation: await invite('lanes', member.userId, 'priority'),
    });
    expect(joined.body.queue).toMatchObject({ state: 'WAITING', lane: 'priority' });

    // room for one: the priority invitee takes it, the earlier arrivals wait
    await op.request('PUT', '/api/operator/sales/lanes/admission-rate', { body: { maxActive: 1 } });
    expect((await op.request('POST', '/api/operator/sales/lanes/resume')).status).toBe(200);
    await member.waitForAdmission('lanes');
    for (const buyer of early) expect((await queueOf(buyer, 'lanes')).body.queue.state).toBe('WAITING');

    // a sale whose tick never comes during the test: only the join itself lets a bypass invitee in
    await createSale(
      app.url,
      generalSale('lanes-by', 10, { admission: patientAdmission({ intervalMs: 3_600_000 }) }),
      ['warm-up', 'open'],
    );
    const waiting = await new Buyer(app.url).login('Cy');
    expect((await joinWith(waiting, 'lanes-by')).body.queue.state).toBe('WAITING');
    const vip = await new Buyer(app.url).login('Vip');
    const bypass = await joinWith(vip, 'lanes-by', {
      invitation: await invite('lanes-by', vip.userId, 'bypass'),
    });
    expect(bypass.body.queue.state).toBe('ADMITTED');
    // Cy still waits (asked before the invitee buys: a checkout ends the session and hands its
    // place to the next in line)
    expect((await queueOf(waiting, 'lanes-by')).body.queue.state).toBe('WAITING');
    const held = await vip.reserve('lanes-by', { quantity: 1 }, 'vip-1', bypass.body.queue.admissionToken);
    expect(held.status).toBe(201);

    // someone else's invitation is refused and queues nobody
    const eve = await new Buyer(app.url).login('Eve');
    const refused = await joinWith(eve, 'lanes-by', {
      invitation: await invite('lanes-by', vip.userId, 'bypass'),
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'INVITATION_REFUSED', reason: 'WRONG_USER' });
    expect((await queueOf(eve, 'lanes-by')).status).toBe(404);
  }, 60_000);

  it('shuffles the pre-queue into the first places at the opening; later arrivals come after', async () => {
    const opensAt = clock.now() + 30_000;
    await createSale(
      app.url,
      {
        ...generalSale('preq', 20, { opensAt, admission: patientAdmission() }),
        queueing: { preQueue: true },
      },
      ['warm-up'],
    );
    const early = await Promise.all(
      ['P1', 'P2', 'P3', 'P4', 'P5'].map((name) => new Buyer(app.url).login(name)),
    );
    for (const buyer of early) {
      const joined = await joinWith(buyer, 'preq');
      expect(joined.status).toBe(201);
      expect(joined.body.queue).toMatchObject({ state: 'PRE_QUEUE', opensAt });
    }
    clock.advance(30_000);
    const tickets: number[] = [];
    for (const buyer of early) {
      await buyer.waitForAdmission('preq');
      tickets.push((await queueOf(buyer, 'preq')).body.queue.ticket);
    }
    // the order is a draw (not asserted): the five pre-queued hold the first five places
    expect(tickets.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    const late = await new Buyer(app.url).login('Late');
    const joined = await joinWith(late, 'preq');
    expect(joined.status).toBe(201);
    expect(joined.body.queue.ticket).toBeGreaterThan(5);
  }, 60_000);
});
