import { memoryPorts } from '@seatrush/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningApp } from '../src/server';
import { EventStream } from './support/event-stream';
import { Buyer, startTestApp } from './support/harness';

describe('failures end with the stock and the seat given back', () => {
  let app: RunningApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('a declined payment fails the reservation, pushes the result over SSE and frees the seat', async () => {
    app = await startTestApp({ PAYMENT_FAILURE_RATE: '1', PAYMENT_LATENCY_MS: '300' });
    const buyer = await new Buyer(app.url).login('Rae');
    await buyer.enter('demo');
    const initial = await app.platform.runtime.ports.inventory.counts('demo');
    const held = await buyer.reserve('demo', { seatIds: ['balcony-F1', 'balcony-F2'] }, 'rae-1');
    expect(held.status).toBe(201);
    const id = held.body.reservation.id;

    // an event stream, or open throws
    const stream = await EventStream.open(buyer, `/api/sales/demo/reservations/${id}/stream`);
    const final = (await stream.next((e) => e.data.status !== 'HELD')).data;
    stream.close();
    expect(final).toMatchObject({ status: 'FAILED', reason: 'PAYMENT_DECLINED' });

    const seats = await app.platform.runtime.ports.inventory.seatStates('demo');
    expect([seats['balcony-F1'], seats['balcony-F2']]).toEqual(['AVAILABLE', 'AVAILABLE']);
    expect(await app.platform.runtime.ports.inventory.counts('demo')).toEqual(initial);
    expect((await app.platform.runtime.ports.repository.get(id))?.status).toMatch(/FAILED|COMPENSATED/);

    // the seat is really back on sale: someone else can buy it
    app.platform.payments.settings = { latencyMs: 0, failureRate: 0 };
    const next = await new Buyer(app.url).login('Sam');
    await next.enter('demo');
    const again = await next.reserve('demo', { seatIds: ['balcony-F1'] }, 'sam-1');
    expect(again.status).toBe(201);
    expect((await next.waitForResult('demo', again.body.reservation.id)).status).toBe('CONFIRMED');
  });

  it('a failed publish after the hold still answers 201: the outbox brings the hold to the worker', async () => {
    const ports = memoryPorts();
    app = await startTestApp({}, { ports });
    const buyer = await new Buyer(app.url).login('Tia');
    await buyer.enter('demo');
    ports.bus.failNextPublishes(1);
    const held = await buyer.reserve('demo', { seatIds: ['floor-B7'] }, 'tia-1');
    expect(held.status).toBe(201);
    expect(held.body.reservation).toMatchObject({ status: 'HELD', seatIds: ['floor-B7'] });
    expect((await app.platform.runtime.ports.inventory.seatStates('demo'))['floor-B7']).toBe('HELD');
    // the double submit hears the same hold
    const again = await buyer.reserve('demo', { seatIds: ['floor-B7'] }, 'tia-1');
    expect(again.status).toBe(200);
    expect(again.body.reservation.id).toBe(held.body.reservation.id);
    // the relay loop publishes what the failed hand-over left, and the worker confirms it
    expect((await buyer.waitForResult('demo', held.body.reservation.id)).status).toBe('CONFIRMED');
  });

  it('pushes the queue position and the admission over SSE', async () => {
    app = await startTestApp();
    const buyer = await new Buyer(app.url).login('Uma');
    await buyer.request('POST', '/api/operator/sales/demo/pause', {
      headers: { authorization: 'Bearer test-operator-token-0123456789' },
    });
    expect((await buyer.join('demo')).status).toBe(201);
    const stream = await EventStream.open(buyer, '/api/sales/demo/queue/stream');
    const resume = buyer.request('POST', '/api/operator/sales/demo/resume', {
      headers: { authorization: 'Bearer test-operator-token-0123456789' },
    });
    const admitted = (await stream.next((e) => e.data.state === 'ADMITTED')).data;
    await resume;
    stream.close();
    expect(stream.events[0]!.data.state).toBe('WAITING');
    expect(admitted.admissionToken).toMatch(/\./);
  });

  it('drains SSE streams with a shutdown event on graceful shutdown', async () => {
    const running = await startTestApp();
    const buyer = await new Buyer(running.url).login('Vic');
    const stream = await EventStream.open(buyer, '/api/sales/demo/seats/stream');
    const reading = stream.next((e) => e.event === 'shutdown');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await running.close();
    await reading;
    expect(stream.events[0]!.event).toBe('seats');
    expect(stream.events.at(-1)!.event).toBe('shutdown');
    stream.close();
  });
});
