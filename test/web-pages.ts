import { after, before } from 'node:test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { tempDir } from './helpers.js';
import { kithJson, startNode, type NodeProcess } from './node-process.js';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';
import { PHONE, SHOTS, pairIn } from './web-helpers.js';

/** Two people's nodes and browsers for the web app's two-browser tests (forums, direct messages). */

/** Olive's and Xavier's identities made in their homes, both nodes started (pushed onto `running`), Chromium launched. */
export async function oliveAndXavier(homes: { o: string; x: string }, running: NodeProcess[]): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  const launched = chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
  await Promise.all([kithJson(homes.o, ['init', '--name', 'Olive']), kithJson(homes.x, ['init', '--name', 'Xavier'])]);
  running.push(...(await Promise.all([startNode(homes.o), startNode(homes.x)])));
  return launched;
}

/** What a failed browser test leaves to look at: a screenshot of each page, the nodes' last log lines, the app's errors. */
export async function reportFailure(
  what: string,
  pages: Record<string, Page | undefined>,
  running: readonly NodeProcess[],
  errors: readonly string[],
): Promise<void> {
  for (const [name, p] of Object.entries(pages)) {
    await p?.screenshot({ path: join(SHOTS, `failure-${what}-${name}.png`) }).catch((err: Error) => console.error(`no failure screenshot: ${err.message}`));
  }
  for (const n of running) console.error(`---- log of ${n.home} (last lines) ----\n${n.log().split('\n').slice(-40).join('\n')}`);
  if (errors.length > 0) console.error(`page errors: ${errors.join('\n')}`);
}

/** A browser context for each of Olive's and Xavier's nodes (as oliveAndXavier started them), paired at phone width. */
export function pairOliveAndXavier(
  browser: Browser,
  homes: { o: string; x: string },
  running: readonly NodeProcess[],
  errors: string[],
): Promise<[Page, Page]> {
  const [nodeO, nodeX] = running as [NodeProcess, NodeProcess];
  return Promise.all([
    browser.newContext({ viewport: PHONE, deviceScaleFactor: 1 }).then((c) => pairIn(c, nodeO.info.api, homes.o, 'Olive\u2019s phone', errors)),
    browser.newContext({ viewport: PHONE, deviceScaleFactor: 1 }).then((c) => pairIn(c, nodeX.info.api, homes.x, 'Xavier\u2019s phone', errors)),
  ]);
}

export interface OliveAndXavier {
  readonly homes: { o: string; x: string };
  /** Olive's node, then Xavier's, once started. */
  readonly running: NodeProcess[];
  /** The app's errors in either browser: a test ends by asserting there were none. */
  readonly errors: string[];
  browser: Browser;
}

/** Hooks of a test file: before its tests, Olive's and Xavier's nodes and Chromium (oliveAndXavier); after, all stopped. */
export function withOliveAndXavier(prefix: string): OliveAndXavier {
  const fx: OliveAndXavier = {
    homes: { o: tempDir(`${prefix}-o-`), x: tempDir(`${prefix}-x-`) },
    running: [],
    errors: [],
    browser: undefined as unknown as Browser,
  };
  before(
    async () => {
      fx.browser = await oliveAndXavier(fx.homes, fx.running);
    },
    { timeout: 60_000 },
  );
  after(async () => {
    await fx.browser?.close();
    await Promise.all(fx.running.map((n) => n.stop()));
  });
  return fx;
}
