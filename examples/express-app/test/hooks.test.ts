import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../src/server';
import { Buyer, generalSale, openSale, sleep, startTestApp } from './support/harness';

describe('the sale hooks, logged by the app', () => {
  const lines: Array<{ msg: string; hook?: { type: string; saleId: string; userId?: string } }> = [];
  let app: RunningApp;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    app = await startTestApp({}, { log: pino({ level: 'debug' }, sink) });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('logs the admission and the hold of a buyer as hook lines', async () => {
    await openSale(app.url, generalSale('hooked', 3));
    const eve = await new Buyer(app.url).login('Eve').then((buyer) => buyer.enter('hooked'));
    expect((await eve.reserve('hooked', { quantity: 1 }, 'eve-hooked-1')).status).toBe(201);
    const hooksOf = () =>
      lines.filter((line) => line.hook?.saleId === 'hooked' && line.hook.userId === eve.userId);
    for (let i = 0; i < 100 && hooksOf().length < 2; i++) await sleep(20);
    expect(hooksOf().map((line) => line.hook?.type)).toEqual(expect.arrayContaining(['admitted', 'held']));
    expect(hooksOf().find((line) => line.hook?.type === 'held')?.msg).toBe('sale hook held');
  });
});
