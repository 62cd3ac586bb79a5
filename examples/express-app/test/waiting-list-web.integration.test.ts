/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { signedInBuyer, webSuite } from './support/browser';
import { holdPayments } from './support/event-stream';
import { Buyer, generalSale, openSale } from './support/harness';

/** The waiting list in the web client (headless Chromium from scripts/browser.sh, embedded default). */
describe('the waiting list in the web client', () => {
  const web = webSuite();

  async function onSeatMap(name: string, sale: string): Promise<Page> {
    const page = await signedInBuyer(web.browser, `${web.app.url}/?sale=${sale}`, name);
    await page.click('#join-button');
    await page.waitForSelector('#view-seats:not(.hidden)');
    return page;
  }

  it('joins when sold out, gets the offer pushed with a countdown, claims it and is confirmed', async () => {
    const sale = 'wl-web';
    await openSale(web.app.url, generalSale(sale, 1));
    const gate = holdPayments(web.app);
    const ann = await new Buyer(web.app.url).login('Web-Ann');
    gate.block(ann.userId);
    await ann.enter(sale);
    const held = await ann.reserve(sale, { quantity: 1 }, 'web-ann-1');
    expect(held.status).toBe(201);

    const page = await onSeatMap('Web-Bo', sale);
    await page.waitForSelector('#sold-out:not(.hidden)');
    await page.waitForSelector('#wl-join-button:visible');
    await page.click('#wl-join-button');
    await page.waitForFunction(() => document.getElementById('wl-status')?.textContent?.includes('first'));
    expect(await page.isVisible('#wl-leave-button')).toBe(true);

    // Ann gives her ticket back: the offer arrives over SSE, no click, no refresh
    await ann.request('DELETE', `/api/sales/${sale}/reservations/${held.body.reservation.id}`);
    gate.open();
    await page.waitForSelector('#wl-offer:not(.hidden)');
    expect(await page.textContent('#wl-offer-what')).toBe('1 general admission ticket(s)');
    expect(await page.textContent('#wl-countdown')).toMatch(/^\d+:\d\d$/);

    await page.click('#wl-claim-button');
    await page.waitForSelector('#view-hold:not(.hidden), #view-result:not(.hidden)');
    await page.waitForSelector('#view-result:not(.hidden)', { timeout: 15_000 });
    expect(await page.getAttribute('#result-detail', 'data-status')).toBe('CONFIRMED');
  });
});
