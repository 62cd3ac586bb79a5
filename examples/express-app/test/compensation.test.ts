import { memoryPorts } from '@seatrush/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningApp } from '../src/server';
import { Buyer, startTestApp } from './support/harness';

/** Reads Server-Sent Events from a response until `until` says stop; returns them. */
async function readEvents(
  res: Response,
  until: (event: { event: string; data: unknown }) => boolean,
): Promise<Array<{ event: string; data: unknown }>> {
  const events: Array<{ event: string; data: unknown }> = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return events;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data !== undefined) {
        const parsed = { event, data: JSON.parse(data) as unknown };
        events.push(parsed);
        if (until(parsed)) {
          await reader.cancel();
          return events;
        }
      }
      end = buffer.indexOf('\n\n');
    }
  }
}

function cookieOf(buyer: Buyer): string {
  return [...buyer.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
}

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

    const stream = await fetch(`${app.url}/api/sales/demo/reservations/${id}/stream`, {
      headers: { cookie: cookieOf(buyer), accept: 'text/event-stream' },
    });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readEvents(stream, (e) => (e.data as { status: string }).status !== 'HELD');
    const final = events.at(-1)!.data as { status: string; reason: string };
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
    const stream = await fetch(`${app.url}/api/sales/demo/queue/stream`, {
      headers: { cookie: cookieOf(buyer), accept: 'text/event-stream' },
    });
    const resume = buyer.request('POST', '/api/operator/sales/demo/resume', {
      headers: { authorization: 'Bearer test-operator-token-0123456789' },
    });
    const events = await readEvents(stream, (e) => (e.data as { state?: string }).state === 'ADMITTED');
    await resume;
    expect((events[0]!.data as { state: string }).state).toBe('WAITING');
    const admitted = events.at(-1)!.data as { state: string; admissionToken: string };
    expect(admitted.admissionToken).toMatch(/\./);
  });

  it('drains SSE streams with a shutdown event on graceful shutdown', async () => {
    const running = await startTestApp();
    const buyer = await new Buyer(running.url).login('Vic');
    const stream = await fetch(`${running.url}/api/sales/demo/seats/stream`, {
      headers: { cookie: cookieOf(buyer), accept: 'text/event-stream' },
    });
    const reading = readEvents(stream, (e) => e.event === 'shutdown');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await running.close();
    const events = await reading;
    expect(events[0]!.event).toBe('seats');
    expect(events.at(-1)!.event).toBe('shutdown');
  });
});
