/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { signedInBuyer, signedInOperator, webSuite } from './support/browser';
import { operator } from './support/harness';

/**
 * The buyer's checkout (CHECKOUT=buyer) in a real browser: Debian's Chromium (scripts/browser.sh)
 * driven by playwright-core, against the app on an ephemeral port with the embedded default.
 */
describe('the buyer checkout in headless Chromium', () => {
  const web = webSuite({ CHECKOUT: 'buyer' });

  /** Signs in, queues, is admitted and holds one seat: the page is on the checkout step. */
  async function holdSeat(name: string, seatId: string): Promise<Page> {
    const page = await signedInBuyer(web.browser, web.app.url, name);
    await page.click('#join-button');
    await page.waitForSelector(`[data-seat="${seatId}"][data-state="AVAILABLE"]`);
    await page.click(`[data-seat="${seatId}"]`);
    await page.click('#hold-button');
    await page.waitForSelector('#view-hold:not(.hidden)');
    await page.waitForSelector('#checkout:not(.hidden)');
    await page.waitForFunction(() => document.getElementById('pay-amount')?.textContent !== '');
    return page;
  }

  const seatState = async (seatId: string) =>
    (await web.app.platform.runtime.ports.inventory.seatStates('demo'))[seatId];

  it('pays with a declined card, then a 3-D Secure card, and shows the tickets', async () => {
    const page = await holdSeat('Alice', 'floor-A1');
    expect(await page.textContent('#hold-countdown')).toMatch(/^\d+:\d\d$/);
    expect(await page.isHidden('#extend-button')).toBe(true);
    // held and waiting for the buyer: nothing is charged by itself
    await page.waitForTimeout(300);
    expect(await seatState('floor-A1')).toBe('HELD');

    await page.selectOption('#card-preset', { label: 'Declined · 4000000000000002' });
    await page.click('#pay-button');
    await page.waitForSelector('#card-error:not(.hidden)');
    expect(await page.textContent('#card-error')).toContain('card_declined');
    expect(await seatState('floor-A1')).toBe('HELD');

    // a refresh in the middle comes back to the same payment
    await page.reload();
    await page.waitForSelector('#checkout:not(.hidden)');
    await page.waitForSelector('#card-error:not(.hidden)');

    await page.selectOption('#card-preset', { label: '3-D Secure · 4000002760003184' });
    await page.click('#pay-button');
    await page.waitForSelector('#three-ds:not(.hidden)');
    expect(await seatState('floor-A1')).toBe('HELD');
    await page.click('#three-ds-approve');
    // the provider's webhook confirms the seat on the server; the stream brings the result
    await page.waitForSelector('#view-result:not(.hidden)', { timeout: 15_000 });
    expect(await page.getAttribute('#result-detail', 'data-status')).toBe('CONFIRMED');
    expect(await page.textContent('#result-title')).toBe('You have your tickets!');
    expect(await seatState('floor-A1')).toBe('CONFIRMED');
  });

  it('abandons a checkout: the seat comes back at once and the operator sees why', async () => {
    const page = await holdSeat('Bob', 'floor-A2');
    expect(await seatState('floor-A2')).toBe('HELD');
    await page.click('#release-button');
    await page.waitForSelector('#view-result:not(.hidden)');
    expect(await page.getAttribute('#result-detail', 'data-status')).toBe('FAILED');
    expect(await page.textContent('#result-title')).toBe('You left the checkout');
    expect(await seatState('floor-A2')).toBe('AVAILABLE');

    // another buyer's map shows the seat free again, and can take it
    const carol = await holdSeat('Carol', 'floor-A2');
    expect(await carol.isVisible('#checkout')).toBe(true);

    const activity = (await operator(web.app.url).request('GET', '/api/operator/checkout')).body;
    expect(activity.failures).toContainEqual(
      expect.objectContaining({ kind: 'FAILED', code: 'CHECKOUT_ABANDONED' }),
    );
    expect(activity.inProgress).toHaveLength(1);
  });

  it('shows the operator the payments in progress and the failures', async () => {
    const page = await signedInOperator(web.browser, web.app.url);
    await page.waitForSelector('#checkout-in-progress tr[data-reservation]');
    expect(await page.textContent('#checkout-failures')).toContain('CHECKOUT_ABANDONED');
    expect(await page.textContent('#checkout-failures')).toContain('card_declined');
  });
});
