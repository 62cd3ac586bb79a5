import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { RunningApp } from '../../src/server';
import { OPERATOR_TOKEN, startTestApp } from './harness';

/** Headless Chromium's flags for the tests: no sandbox, GPU, QUIC, first-run or background work. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's Chromium (installed by scripts/browser.sh, or CHROMIUM_PATH) driven by playwright-core. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

/** The app and a browser a describe block's tests share. */
export interface WebSuite {
  readonly app: RunningApp;
  readonly browser: Browser;
}

/**
 * Starts the app (as {@link startTestApp} does) and Chromium before the describe block's tests,
 * and closes both after them. Read `app` and `browser` inside the tests, once started.
 */
export function webSuite(...appArgs: Parameters<typeof startTestApp>): WebSuite {
  const suite = {} as { app: RunningApp; browser: Browser };
  beforeAll(async () => {
    suite.app = await startTestApp(...appArgs);
    suite.browser = await launchChromium();
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.app?.close();
  });
  return suite;
}

/** Every console error and uncaught exception of the page from now on (an expected state logs none). */
export function consoleErrorsOf(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/** A buyer signed in under `name` in a fresh browser context, on the sale's page at `url`. */
export async function signedInBuyer(browser: Browser, url: string, name: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(url);
  await page.fill('#login-name', name);
  await page.click('#login-button');
  await page.waitForSelector('#view-sale:not(.hidden)');
  return page;
}

/**
 * The operator signed in with the test token on a fresh dashboard of the app at `baseUrl`;
 * `setup` runs on the page before it loads (routes, listeners).
 */
export async function signedInOperator(
  browser: Browser,
  baseUrl: string,
  setup: (page: Page) => Promise<unknown> = async () => undefined,
): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await setup(page);
  await page.goto(`${baseUrl}/operator.html`);
  await page.waitForSelector('#view-op-login:not(.hidden)');
  await page.fill('#op-token', OPERATOR_TOKEN);
  await page.click('#op-login-button');
  await page.waitForSelector('#view-dashboard:not(.hidden)');
  return page;
}
