import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { repoRoot } from './helpers.js';
import { kithJson } from './node-process.js';

/** What browser tests of the web app share: widths, where screenshots go, pairing a context, watching for the app's errors. */

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };
export const SHOTS = join(repoRoot, 'test-output', 'screenshots');

/** Collects the app's own errors (uncaught, or logged) into `errors`. */
export function watchErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A refused request is logged by Chromium itself; the app's own errors are what count.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
}

/** Pairs a browser context with its node by a code from `kith pair`. */
export async function pairPage(context: BrowserContext, api: string, home: string, name: string, errors: string[]): Promise<Page> {
  const page = await context.newPage();
  watchErrors(page, errors);
  const { code } = await kithJson(home, ['pair']);
  await page.goto(`${api}/`);
  await page.getByTestId('pair-code').fill(code);
  await page.getByTestId('pair-name').fill(name);
  await page.getByTestId('pair-submit').click();
  await page.locator('[data-screen="home"]').waitFor();
  return page;
}

/** The page at phone width (name.png) and desktop width (name-desktop.png), neither wider than its window; then back at phone width. */
export async function shots(page: Page, name: string): Promise<void> {
  for (const [size, file] of [
    [PHONE, name],
    [DESKTOP, `${name}-desktop`],
  ] as const) {
    await page.setViewportSize(size);
    await page.screenshot({ path: join(SHOTS, `${file}.png`) });
    const wider = await page.evaluate(() => {
      const g = globalThis as any;
      return g.document.documentElement.scrollWidth - g.innerWidth;
    });
    assert.ok(wider <= 0, `${file}: the page is ${wider} px wider than the window`);
  }
  await page.setViewportSize(PHONE);
}
