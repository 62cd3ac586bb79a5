/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { consoleErrorsOf, signedInBuyer, signedInOperator, webSuite } from './support/browser';
import { Buyer, generalSale, openSale, operator, startTestApp } from './support/harness';

/**
 * The whole sale in a real browser: Debian's Chromium (installed by scripts/browser.sh) driven by
 * playwright-core, against the app on an ephemeral port with the embedded default.
 */
describe('the web client in headless Chromium', () => {
  // a payment that takes a moment, so the hold and its countdown are on screen before the result
  const web = webSuite({ PAYMENT_LATENCY_MS: '1500' });

  const signIn = (name: string, path = '/') => signedInBuyer(web.browser, web.app.url + path, name);

  it('buys a seat from the queue to the confirmation, and a second browser sees it sold', async () => {
    const alice = await signIn('Alice');
    await alice.click('#join-button');
    await alice.waitForSelector('#view-seats:not(.hidden)');
    await alice.waitForSelector('[data-seat="floor-A1"][data-state="AVAILABLE"]');
    await alice.click('[data-seat="floor-A1"]');
    expect(await alice.textContent('#selection-summary')).toContain('1 seat');
    // a nervous double-click sends one reservation: the button is disabled while it is in flight
    await alice.dblclick('#hold-button');
    await alice.waitForSelector('#view-hold:not(.hidden)');
    expect(await alice.textContent('#hold-seats')).toBe('Floor A1');
    expect(await alice.textContent('#hold-countdown')).toMatch(/^\d+:\d\d$/);
    // a refresh in the middle of the payment comes back to the same reservation
    await alice.reload();
    await alice.waitForSelector('#view-hold:not(.hidden), #view-result:not(.hidden)');
    await alice.waitForSelector('#view-result:not(.hidden)', { timeout: 15_000 });
    expect(await alice.getAttribute('#result-detail', 'data-status')).toBe('CONFIRMED');
    expect(await alice.textContent('#result-title')).toBe('You have your tickets!');
    const heldOrSold = Object.values(
      await web.app.platform.runtime.ports.inventory.seatStates('demo'),
    ).filter((s) => s !== 'AVAILABLE');
    expect(heldOrSold).toEqual(['CONFIRMED']);

    const bob = await signIn('Bob');
    await bob.click('#join-button');
    await bob.waitForSelector('#view-seats:not(.hidden)');
    const seat = await bob.waitForSelector('[data-seat="floor-A1"][data-state="CONFIRMED"]');
    expect(await seat.isDisabled()).toBe(true);
    expect(await bob.isEnabled('[data-seat="floor-A2"]')).toBe(true);
  });

  it('keeps a waiting buyer in place across a refresh and moves them to the seat map on admission', async () => {
    const op = operator(web.app.url);
    expect((await op.request('POST', '/api/operator/sales/demo/pause')).status).toBe(200);
    try {
      const carol = await signIn('Carol');
      await carol.click('#join-button');
      await carol.waitForSelector('#view-queue:not(.hidden)');
      const ticket = await carol.textContent('#queue-ticket');
      expect(Number(ticket)).toBeGreaterThan(0);
      await carol.reload();
      await carol.waitForSelector('#view-queue:not(.hidden)');
      await carol.waitForFunction((t) => document.getElementById('queue-ticket')?.textContent === t, ticket);
      expect((await op.request('POST', '/api/operator/sales/demo/resume')).status).toBe(200);
      // no click: the admission arrives over SSE and the page moves by itself
      await carol.waitForSelector('#view-seats:not(.hidden)', { timeout: 10_000 });
    } finally {
      await op.request('POST', '/api/operator/sales/demo/resume');
    }
  });

  it('counts the hold down and shows it expired when nobody pays in time', async () => {
    // no worker: the hold is never paid, so the sweeper gives the seat back when its time is up
    const idle = await startTestApp({ WORKER: 'false', HOLD_MS: '3000' });
    try {
      const page = await signedInBuyer(web.browser, idle.url, 'Dan');
      await page.click('#join-button');
      await page.waitForSelector('[data-seat="lower-C1"][data-state="AVAILABLE"]');
      await page.click('[data-seat="lower-C1"]');
      await page.click('#hold-button');
      await page.waitForSelector('#view-hold:not(.hidden)');
      expect(await page.textContent('#hold-countdown')).toMatch(/^0:0[0-3]$/);
      await page.waitForSelector('#view-result:not(.hidden)', { timeout: 15_000 });
      expect(await page.getAttribute('#result-detail', 'data-status')).toBe('EXPIRED');
      expect((await idle.platform.runtime.ports.inventory.seatStates('demo'))['lower-C1']).toBe('AVAILABLE');
    } finally {
      await idle.close();
    }
  });

  it('tells the next buyer a general-admission sale is sold out, live', async () => {
    await openSale(web.app.url, generalSale('mini', 1));
    const first = await signIn('Eve', '/?sale=mini');
    const second = await signIn('Fred', '/?sale=mini');
    for (const page of [first, second]) {
      await page.click('#join-button');
      await page.waitForSelector('#view-seats:not(.hidden)');
    }
    expect(await second.isHidden('#sold-out')).toBe(true);
    await first.click('#hold-button');
    await first.waitForSelector('#view-hold:not(.hidden), #view-result:not(.hidden)');
    // the second buyer's map hears it over SSE: no refresh, no click
    await second.waitForSelector('#sold-out:not(.hidden)');
    expect(await second.isDisabled('#hold-button')).toBe(true);
    expect(await second.textContent('#general-left')).toBe('0 tickets left');
  });

  it('logs no console error for the expected states: signed out, not in the queue, not on the waiting list, a stale saved reservation', async () => {
    const page = await (await web.browser.newContext()).newPage();
    const errors = consoleErrorsOf(page);
    await page.goto(web.app.url);
    await page.waitForSelector('#view-login:not(.hidden)');
    await page.fill('#login-name', 'Gina');
    await page.click('#login-button');
    await page.waitForSelector('#view-sale:not(.hidden)');
    // a reload of a signed-in buyer who has not joined asks where they are: nowhere, no error
    await page.reload();
    await page.waitForSelector('#view-sale:not(.hidden)');
    // a reservation id the page saved that the server no longer knows: asked quietly, then forgotten
    await page.evaluate(async () => {
      const { sales } = (await (await fetch('/api/sales')).json()) as { sales: Array<{ id: string }> };
      const saved = { saleId: sales[0]?.id, reservationId: 'r-forgotten-long-ago' };
      localStorage.setItem('seatrush.reservation', JSON.stringify(saved));
    });
    await page.reload();
    await page.waitForSelector('#view-sale:not(.hidden)');
    expect(await page.evaluate(() => localStorage.getItem('seatrush.reservation'))).toBeNull();
    // the seat map asks for the buyer's waiting-list entry: none, no error
    await page.click('#join-button');
    await page.waitForSelector('#view-seats:not(.hidden)');
    await page.waitForSelector('[data-seat="floor-A2"][data-state]');
    expect(errors).toEqual([]);
  });

  /** The operator's dashboard, and its console errors from the start. */
  async function signInOperator(setup: (page: Page) => Promise<unknown> = async () => undefined) {
    let errors: string[] = [];
    const page = await signedInOperator(web.browser, web.app.url, async (page) => {
      errors = consoleErrorsOf(page);
      await setup(page);
    });
    return { page, errors };
  }

  const LIFECYCLE_BUTTONS = ['#op-warm', '#op-open', '#op-pause', '#op-resume', '#op-close'];

  it('offers no lifecycle command before it knows the state of the sale', async () => {
    let answerStats!: () => void;
    const statsHeld = new Promise<void>((resolve) => {
      answerStats = resolve;
    });
    const { page, errors } = await signInOperator((page) =>
      page.route('**/api/operator/sales/*/stats', async (route) => {
        await statsHeld;
        await route.continue();
      }),
    );
    // the dashboard is up, its first sample on the way: no button may send a command yet
    for (const button of LIFECYCLE_BUTTONS) expect(await page.isDisabled(button), button).toBe(true);
    answerStats();
    await page.waitForSelector('#op-pause:enabled');
    expect(await page.textContent('#dash-state')).toBe('OPEN');
    expect(await page.isDisabled('#op-open')).toBe(true);
    expect(await page.isDisabled('#op-warm')).toBe(true);
    expect(errors).toEqual([]);
  });

  it('counts a buyer among the active buyers until their checkout, and no longer', async () => {
    const saleId = `checkout-ends-${Date.now()}`; // a retry defines a sale of its own
    await openSale(web.app.url, generalSale(saleId, 10));
    const { page, errors } = await signInOperator();
    await page.selectOption('#dash-sale', saleId);
    await page.waitForFunction(
      (saleId) => document.getElementById('dash-sale-name')?.textContent?.includes(saleId),
      saleId,
    );
    expect(await page.textContent('[data-figure="active"] .label')).toBe('Active buyers');
    const activeIs = (count: number) =>
      page.waitForFunction(
        (count) => document.querySelector('[data-figure="active"] .value')?.textContent === String(count),
        count,
        { timeout: 15_000 },
      );
    const buyer = await new Buyer(web.app.url).login('Ivy');
    await buyer.enter(saleId);
    await activeIs(1);
    const held = await buyer.reserve(saleId, { quantity: 1 }, 'ivy-1');
    expect(held.status).toBe(201);
    const result = await buyer.waitForResult(saleId, held.body.reservation.id, 30_000);
    expect(result.status).toBe('CONFIRMED');
    // the checkout ended her session: she is no longer counted (nor admitted: more tickets mean queueing again)
    await activeIs(0);
    const again = await buyer.reserve(saleId, { quantity: 1 }, 'ivy-2');
    expect(again.body.error.code).toBe('NOT_ADMITTED');
    expect(errors).toEqual([]);
  });

  it('shows the operator dashboard with live figures', async () => {
    const { page, errors } = await signInOperator();
    await page.waitForSelector('[data-figure="confirmed"] .value');
    expect(await page.textContent('#dash-state')).toBe('OPEN');
    await page.waitForFunction(
      () => Number(document.querySelector('[data-figure="confirmed"] .value')?.textContent) >= 1,
    );
    // the buttons follow the lifecycle: an open sale can be paused or closed, not opened or warmed
    expect(await page.isDisabled('#op-open')).toBe(true);
    expect(await page.isDisabled('#op-warm')).toBe(true);
    expect(await page.isDisabled('#op-resume')).toBe(true);
    expect(await page.isEnabled('#op-pause')).toBe(true);
    expect(await page.isEnabled('#op-close')).toBe(true);
    await page.click('#op-pause');
    await page.waitForFunction(() => document.getElementById('dash-state')?.textContent === 'PAUSED');
    await page.waitForSelector('#op-resume:enabled');
    expect(await page.isDisabled('#op-pause')).toBe(true);
    expect(await page.isDisabled('#op-open')).toBe(true);
    await page.click('#op-resume');
    await page.waitForFunction(() => document.getElementById('dash-state')?.textContent === 'OPEN');
    await page.waitForSelector('#op-pause:enabled');
    expect(await page.isDisabled('#op-open')).toBe(true);
    expect(await page.isDisabled('#op-warm')).toBe(true);
    // a run of the reconciler, as its loop makes one (not the Reconcile button), reaches the page
    const demo = web.app.platform.runtime.sale('demo');
    if (!demo) throw new Error('the demo sale is not served');
    const run = await demo.reconciler.reconcile('demo');
    await page.waitForFunction(
      (ranAt) => Number(document.getElementById('reconcile-result')?.dataset.ranAt) >= ranAt,
      run.ranAt,
      { timeout: 15_000 },
    );
    expect(await page.textContent('#reconcile-result')).not.toContain('Not run yet');
    expect(errors).toEqual([]);
  });
});
