/// <reference lib="dom" />

import { memoryPorts } from '@seatrush/core';
import { ManualClock } from '@seatrush/core/testing';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { signedInBuyer, signedInOperator, webSuite } from './support/browser';
import { Buyer, generalSale, operator } from './support/harness';
import { createSale, joinWith, patientAdmission } from './support/queueing';

describe('invitations, the pre-queue and adaptive admission in headless Chromium', () => {
  const clock = new ManualClock(Date.now());
  const web = webSuite(
    { DEMO_SALE: 'none', ADAPTIVE_INTERVAL_MS: '3600000' },
    { ports: { ...memoryPorts(), clock } },
  );

  async function signIn(name: string, path: string): Promise<{ page: Page; userId: string }> {
    const page = await signedInBuyer(web.browser, web.app.url + path, name);
    // the id an operator's invitation is made out to, shown on the buyer's name
    const title = (await page.getAttribute('#who-name', 'title')) ?? '';
    return { page, userId: title.replace('Your user id: ', '') };
  }

  it('counts down in the pre-queue and moves on by itself at the opening', async () => {
    const opensAt = clock.now() + 300_000;
    await createSale(
      web.app.url,
      {
        ...generalSale('web-pre', 10, { opensAt, admission: patientAdmission() }),
        queueing: { preQueue: true },
      },
      ['warm-up'],
    );
    const { page } = await signIn('Early', '/?sale=web-pre');
    await page.click('#join-button');
    await page.waitForSelector('#view-queue:not(.hidden)');
    expect(await page.textContent('#queue-ticket')).toBe('drawn at the opening');
    expect(await page.textContent('#queue-eta')).toMatch(/^opens in (4|5):\d\d$/);
    clock.advance(300_000);
    await page.waitForSelector('#view-seats:not(.hidden)', { timeout: 15_000 });
  }, 60_000);

  it('joins with the invitation of the join link, and says why a refused one cannot be used', async () => {
    await createSale(
      web.app.url,
      generalSale('web-inv', 10, { admission: patientAdmission({ intervalMs: 3_600_000 }) }),
      ['warm-up', 'open'],
    );
    const earlier = await new Buyer(web.app.url).login('Earlier');
    expect((await joinWith(earlier, 'web-inv')).body.queue.state).toBe('WAITING');
    const op = operator(web.app.url);
    const invite = async (userId: string) =>
      (
        await op.request('POST', '/api/operator/sales/web-inv/invitations', {
          body: { userId, lane: 'bypass', validForMs: 600_000 },
        })
      ).body.invitation.joinPath as string;

    // someone else's link: refused with the reason, then the page joins the normal line
    const { page: eve, userId: eveId } = await signIn('Eve', '/?sale=web-inv');
    await eve.goto(web.app.url + (await invite(earlier.userId)));
    await eve.waitForSelector('#view-sale:not(.hidden)');
    await eve.click('#join-button');
    await eve.waitForSelector('#toast');
    expect(await eve.textContent('#toast')).toContain('WRONG_USER');
    expect(new URL(eve.url()).searchParams.has('invitation')).toBe(false);
    await eve.click('#join-button');
    await eve.waitForSelector('#view-queue:not(.hidden)');

    // her own link lets her straight in (a bypass with room), while the earlier arrival waits
    const { page: vip } = await signIn('Vip', '/?sale=web-inv');
    const vipId = (await vip.getAttribute('#who-name', 'title'))?.replace('Your user id: ', '') ?? '';
    expect(vipId).not.toBe(eveId);
    await vip.goto(web.app.url + (await invite(vipId)));
    await vip.waitForSelector('#view-sale:not(.hidden)');
    await vip.click('#join-button');
    await vip.waitForSelector('#view-seats:not(.hidden)');
    expect((await earlier.request('GET', '/api/sales/web-inv/queue')).body.queue.state).toBe('WAITING');
  }, 60_000);

  it('turns adaptive admission on from the dashboard and shows its decision', async () => {
    await createSale(
      web.app.url,
      generalSale('web-ad', 10, { admission: patientAdmission({ usersPerInterval: 10 }) }),
      ['warm-up', 'open'],
    );
    const page = await signedInOperator(web.browser, web.app.url);
    await page.selectOption('#dash-sale', 'web-ad');
    await page.waitForFunction(
      () => (document.getElementById('adaptive-max') as HTMLInputElement).value === '20',
    );
    await page.check('#adaptive-enabled');
    await page.fill('#adaptive-min', '2');
    await page.fill('#adaptive-max', '15');
    await page.click('#adaptive-form button[type=submit]');
    await page.waitForFunction(
      () => document.getElementById('toast')?.textContent === 'Adaptive admission on.',
    );
    await page.click('#adaptive-adjust');
    await page.waitForFunction(() =>
      document.getElementById('adaptive-decision')?.textContent?.startsWith('healthy'),
    );
    // healthy: one step up from 10, held to the maximum of 15
    expect(await page.textContent('#adaptive-rate')).toBe('15 per interval');
    const { body } = await operator(web.app.url).request('GET', '/api/operator/sales/web-ad/adaptive');
    expect(body.adaptive).toMatchObject({
      enabled: true,
      policy: { minUsersPerInterval: 2, maxUsersPerInterval: 15 },
    });
  }, 60_000);
});
