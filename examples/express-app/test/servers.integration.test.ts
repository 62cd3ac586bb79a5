import { createKafka, TopicNames } from '@seatrush/kafka-adapter';
import { uniqueName } from '@seatrush/test-support';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../src/ops/logger';
import { PaymentSimulator } from '../src/payment-simulator';
import { type AppPorts, createPlatform, type Platform } from '../src/platform/platform';
import { serverPorts } from '../src/platform/servers';
import type { RunningApp } from '../src/server';
import { Buyer, dropSchemas, operator, serversEnv, sleep, startTestApp } from './support/harness';

describe('the app on Redis, Kafka and PostgreSQL', () => {
  const services = inject('services');
  const servers = {
    redisUrl: services.redisUrl,
    databaseUrl: services.databaseUrl,
    kafkaBrokers: services.kafkaBrokers,
  };
  const env = {
    ...serversEnv(services),
  };
  const schemas: string[] = [];
  let app: RunningApp | undefined;
  let worker: Platform | undefined;

  afterEach(async () => {
    await app?.close();
    await worker?.close();
    app = undefined;
    worker = undefined;
  });
  afterAll(async () => {
    await dropSchemas(services.databaseUrl, schemas);
  });

  it('holds from the outbox while nothing can be published, then refuses PIPELINE_STALLED and changes nothing', async () => {
    const namespace = uniqueName('pubfail');
    schemas.push(namespace);
    const log = createLogger('silent');
    const ports: AppPorts = await serverPorts(servers, { namespace, log });
    // 4 s holds: the outbox gate stops new holds once the oldest waits more than 1 s
    app = await startTestApp({ ...env, NAMESPACE: namespace, HOLD_MS: '4000' }, { ports });
    const [wren, yul] = await Promise.all([
      new Buyer(app.url).login('Wren'),
      new Buyer(app.url).login('Yul'),
    ]);
    await Promise.all([wren.enter('demo'), yul.enter('demo')]);

    // the producer loses the broker: every publish is refused from now on
    await ports.publisher.close();
    const held = await wren.reserve('demo', { seatIds: ['floor-A2', 'floor-A3'] }, 'wren-1');
    expect(held.status).toBe(201);
    expect(held.body.reservation).toMatchObject({ status: 'HELD' });
    const again = await wren.reserve('demo', { seatIds: ['floor-A2', 'floor-A3'] }, 'wren-1');
    expect(again.status).toBe(200);
    expect(again.body.reservation.id).toBe(held.body.reservation.id);

    await sleep(1_200);
    const before = await app.platform.runtime.ports.inventory.counts('demo');
    const refused = await yul.reserve('demo', { seatIds: ['floor-A4'] }, 'yul-1');
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('PIPELINE_STALLED');
    expect(refused.headers.get('retry-after')).toBe('2');
    expect((await app.platform.runtime.ports.inventory.seatStates('demo'))['floor-A4']).toBe('AVAILABLE');
    expect(await app.platform.runtime.ports.inventory.counts('demo')).toEqual(before);
  });

  it('lists what the worker dead-lettered (from the dead-letter topic) and re-drives it', async () => {
    const namespace = uniqueName('dlq');
    schemas.push(namespace);
    app = await startTestApp({ ...env, NAMESPACE: namespace });
    // a poison message on the reservation topic: not an event, so it is dead-lettered at once
    const producer = createKafka({ brokers: services.kafkaBrokers }).producer();
    await producer.connect();
    try {
      await producer.send({
        topic: new TopicNames(namespace).of('ReservationRequested'),
        messages: [{ key: 'poison', value: 'this is not an event' }],
      });
    } finally {
      await producer.disconnect();
    }
    const op = operator(app.url);
    let letters: Array<{ id: string; eventType: string | null; error: { code: string } }> = [];
    // two groups read the topic, each dead-letters it: the worker's and the read side's projector
    for (let i = 0; i < 100 && letters.length < 2; i++) {
      await sleep(200);
      letters = (await op.request('GET', '/api/operator/dead-letters')).body.deadLetters;
    }
    expect(letters).toHaveLength(2);
    for (const letter of letters)
      expect(letter).toMatchObject({ eventType: null, error: { code: 'INVALID_JSON' } });
    const redriven = await op.request('POST', `/api/operator/dead-letters/${letters[0]!.id}/redrive`);
    expect(redriven.status).toBe(202); // @seatrush/http: published again, accepted
    expect((await op.request('POST', '/api/operator/dead-letters/9-999999/redrive')).status).toBe(404);
  });

  it('runs the lock strategy (Redlock, then the store steps) on Redis to the same confirmed sale', async () => {
    const namespace = uniqueName('lock');
    schemas.push(namespace);
    app = await startTestApp({ ...env, NAMESPACE: namespace, RESERVE_STRATEGY: 'lock' });
    const [first, second] = await Promise.all([
      new Buyer(app.url).login('Zed'),
      new Buyer(app.url).login('Zoe'),
    ]);
    await first.enter('demo');
    await second.enter('demo');
    const [a, b] = await Promise.all([
      first.reserve('demo', { seatIds: ['floor-B1'] }, 'zed-1'),
      second.reserve('demo', { seatIds: ['floor-B1'] }, 'zoe-1'),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const [winner, answer] = a.status === 201 ? [first, a] : [second, b];
    expect((await winner.waitForResult('demo', answer.body.reservation.id, 30_000)).status).toBe('CONFIRMED');
    expect((await app.platform.runtime.ports.inventory.seatStates('demo'))['floor-B1']).toBe('CONFIRMED');
  });

  it('settles reservations in a separate worker when the API runs with WORKER=false', async () => {
    const namespace = uniqueName('scaleout');
    schemas.push(namespace);
    app = await startTestApp({ ...env, NAMESPACE: namespace, WORKER: 'false' });
    const log = createLogger('silent');
    // what dist/worker.js runs: the processor alone, on the same servers and namespace
    worker = createPlatform(await serverPorts(servers, { namespace, log }), {
      tokenSecret: 'x'.repeat(32),
      worker: true,
      saleLoops: false,
      powDifficulty: 4,
      payments: new PaymentSimulator({ latencyMs: 0, failureRate: 0 }),
      log,
    });
    await worker.runtime.start();

    const buyer = await new Buyer(app.url).login('Xan');
    await buyer.enter('demo');
    const held = await buyer.reserve('demo', { seatIds: ['lower-E9'] }, 'xan-1');
    expect(held.status).toBe(201);
    expect(await app.platform.runtime.workerLag()).toBe(0); // the API process consumes nothing itself
    const result = await buyer.waitForResult('demo', held.body.reservation.id, 30_000);
    expect(result.status).toBe('CONFIRMED');
    expect((await app.platform.runtime.ports.inventory.seatStates('demo'))['lower-E9']).toBe('CONFIRMED');
  });
});
