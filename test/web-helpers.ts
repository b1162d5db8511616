import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { repoRoot } from './helpers.js';
import { kithJson } from './node-process.js';

/** What the web app's Chromium tests share: the two widths, screenshots, pairing a browser, and watching for page errors. */

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };
export const SHOTS = join(repoRoot, 'test-output', 'screenshots');

/** Fails the test on any script error or console error in the page. */
export function watchErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A refused request (the removed device's 401) is logged by Chromium itself; the app's own errors are what count.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

/** Scrolls an element to the middle of the window (clear of the sticky bars). */
export async function centre(el: Locator): Promise<void> {
  await el.evaluate((e) => (e as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'center' }));
}

/** The page at phone width (name.png) and at desktop width (name-desktop.png), then back at phone width; `on` is scrolled into view at each, and neither is wider than its window. */
export async function shots(page: Page, name: string, on?: Locator): Promise<void> {
  for (const [size, file] of [
    [PHONE, name],
    [DESKTOP, `${name}-desktop`],
  ] as const) {
    await page.setViewportSize(size);
    if (on) await centre(on);
    await shot(page, file);
    // Nothing on the screen is wider than the phone: no sideways scrolling.
    const wider = await page.evaluate(() => {
      const g = globalThis as any;
      return g.document.documentElement.scrollWidth - g.innerWidth;
    });
    assert.ok(wider <= 0, `${file}: the page is ${wider} px wider than the window`);
  }
  await page.setViewportSize(PHONE);
}

/** Pairs a new browser device with a code from `kith pair`, typed in, or by opening the link it prints (as its QR code does). */
export async function pairIn(
  context: BrowserContext,
  base: string,
  home: string,
  name: string,
  errors: string[],
  screenshot?: string,
  byLink = false,
): Promise<Page> {
  const page = await context.newPage();
  watchErrors(page, errors);
  const { code, url } = await kithJson(home, ['pair']);
  if (byLink) {
    await page.goto(url);
    await page.locator('[data-screen="pair"]').waitFor();
    assert.equal((await page.getByTestId('pair-code').inputValue()).replace(/[\s-]/g, ''), code.replace('-', ''), 'the link fills in the code');
  } else {
    await page.goto(`${base}/`);
    await page.locator('[data-screen="pair"]').waitFor();
    await page.getByTestId('pair-code').fill(code);
  }
  await page.getByTestId('pair-name').fill(name);
  if (screenshot) await shot(page, screenshot);
  await page.getByTestId('pair-submit').click();
  await page.locator('[data-screen="home"]').waitFor();
  return page;
}
