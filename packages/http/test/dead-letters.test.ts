import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSeatRushRuntime, memoryPorts, type SeatRushRuntime } from '@seatrush/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSeatRushHttp, nodeHandler, type SeatRushHttp } from '../src';
import { ADMISSION_SECRET, generalSale, OPERATOR_TOKEN } from './support';

describe('dead letters on the operator API', () => {
  let runtime: SeatRushRuntime | undefined;
  let api: SeatRushHttp | undefined;
  let server: Server | undefined;
  afterEach(async () => {
    api?.close();
    server?.closeAllConnections();
    server?.close();
    await runtime?.close();
  });

  it('lists what the worker dead-lettered and publishes a letter again once, on the operator’s word', async () => {
    const ports = memoryPorts();
    runtime = createSeatRushRuntime({
      ports,
      // the provider is down: every charge throws, the worker gives up after one retry
      payments: {
        charge: async () => {
          throw new Error('provider down');
        },
        refund: async () => undefined,
      },
      admissionSecret: ADMISSION_SECRET,
      workerRetry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 },
      loops: { admission: false },
    });
    await runtime.start();
    const sale = await runtime.define(generalSale());
    await sale.queue.join({ userId: 'ana' });
    await sale.queue.tick();
    const token = (await sale.queue.status({ userId: 'ana' }))?.admissionToken;
    const held = await sale.reservations.reserve({
      userId: 'ana',
      idempotencyKey: 'k1',
      selection: { kind: 'quantity', quantity: 1 },
      admissionToken: token,
    });
    expect(held.ok).toBe(true);
    await expect.poll(() => runtime?.deadLetters().length, { timeout: 5_000 }).toBe(1);
    const eventId = runtime.deadLetters()[0]?.event?.eventId as string;

    api = createSeatRushHttp({
      runtime,
      identify: () => null,
      authorizeOperator: (request) => request.headers.authorization === `Bearer ${OPERATOR_TOKEN}`,
    });
    server = createServer(nodeHandler(api));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/operator/dead-letters`;
    const operator = { authorization: `Bearer ${OPERATOR_TOKEN}` };
    const list = async () =>
      (
        (await (await fetch(base, { headers: operator })).json()) as {
          deadLetters: Array<{ id: string; eventType: string; redrivable: boolean }>;
        }
      ).deadLetters;

    const [letter] = await list();
    expect(letter).toMatchObject({ eventType: 'ReservationRequested', redrivable: true });
    const id = letter?.id as string;
    expect((await fetch(`${base}/${id}/redrive`, { method: 'POST' })).status).toBe(401);

    const published = () => ports.bus.published().filter((e) => e.eventId === eventId).length;
    const before = published();
    const redrive = await fetch(`${base}/${id}/redrive`, { method: 'POST', headers: operator });
    expect(redrive.status).toBe(202);
    expect(published()).toBe(before + 1);
    // once: the letter is gone, a second redrive is 404 and publishes nothing
    expect(await list()).toEqual([]);
    const again = await fetch(`${base}/${id}/redrive`, { method: 'POST', headers: operator });
    expect(again.status).toBe(404);
    expect(published()).toBe(before + 1);
  });
});
