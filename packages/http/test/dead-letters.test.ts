import { memoryPorts } from '@seatrush/core';
import { afterEach, describe, expect, it } from 'vitest';
import { OPERATOR_TOKEN, startApi, type TestApi } from './support';

describe('dead letters on the operator API', () => {
  let t: TestApi | undefined;
  afterEach(async () => {
    await t?.close();
  });

  it('lists what the worker dead-lettered and publishes a letter again once, on the operator’s word', async () => {
    const ports = memoryPorts();
    t = await startApi({
      runtime: {
        ports,
        // the provider is down: every charge throws, the worker gives up after one retry
        payments: {
          charge: async () => {
            throw new Error('provider down');
          },
          refund: async () => undefined,
        },
        workerRetry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 },
      },
    });
    const { runtime } = t;
    const token = await t.admit('ana');
    const held = await t.sale().reservations.reserve({
      userId: 'ana',
      idempotencyKey: 'k1',
      selection: { kind: 'quantity', quantity: 1 },
      admissionToken: token,
    });
    expect(held.ok).toBe(true);
    await expect.poll(() => runtime.deadLetters().length, { timeout: 5_000 }).toBe(1);
    const eventId = runtime.deadLetters()[0]?.event?.eventId as string;

    const base = `${t.base}/operator/dead-letters`;
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
