import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { tempDir } from './helpers.js';
import { kithJson, startNode, type NodeProcess } from './node-process.js';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';
import { PHONE, SHOTS, pairPage, shots } from './web-pages.js';

/**
 * Direct messages in the web app, in real headless Chromium against two real
 * node processes: Olive (who follows Xavier, so her node knows where his is)
 * writes to Xavier from Messages; Xavier, who does not follow her, is told of
 * it live (the Messages badge), opens the conversation and replies to her
 * message; Olive's open conversation shows the reply threaded under it.
 * Screenshots at phone and desktop widths: messages*.png, conversation*.png.
 */

/** A step waits this long for what the other node sends. */
const ARRIVAL_MS = 30_000;

const homes = { o: tempDir('kith-webdm-o-'), x: tempDir('kith-webdm-x-') };
const running: NodeProcess[] = [];
const errors: string[] = [];
let browser: Browser;
let olive: Page;
let xavier: Page;

before(
  async () => {
    mkdirSync(SHOTS, { recursive: true });
    const launched = chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
    await Promise.all([kithJson(homes.o, ['init', '--name', 'Olive']), kithJson(homes.x, ['init', '--name', 'Xavier'])]);
    running.push(...(await Promise.all([startNode(homes.o), startNode(homes.x)])));
    browser = await launched;
  },
  { timeout: 60_000 },
);

after(async () => {
  await browser?.close();
  await Promise.all(running.map((n) => n.stop()));
});

test('a DM conversation between two browsers: write, told live, open, reply threaded', { timeout: 120_000 }, async () => {
  const [nodeO, nodeX] = running as [NodeProcess, NodeProcess];
  try {
    await kithJson(homes.o, ['follow', nodeX.info.addresses[0]!]);
    [olive, xavier] = await Promise.all([
      browser.newContext({ viewport: PHONE, deviceScaleFactor: 1 }).then((c) => pairPage(c, nodeO.info.api, homes.o, 'Olive\u2019s phone', errors)),
      browser.newContext({ viewport: PHONE, deviceScaleFactor: 1 }).then((c) => pairPage(c, nodeX.info.api, homes.x, 'Xavier\u2019s phone', errors)),
    ]);

    // Olive writes to Xavier by his key.
    await olive.getByTestId('nav-messages').click();
    await olive.locator('[data-screen="messages"]').waitFor();
    await olive.getByTestId('dm-empty').waitFor();
    await olive.getByTestId('dm-to').fill(nodeX.info.did);
    await olive.getByTestId('dm-new-text').fill('Are the plums ripe yet?');
    await olive.getByTestId('dm-new-send').click();
    await olive.locator('[data-screen="conversation"]').waitFor();
    await olive.getByTestId('dm-text').filter({ hasText: 'Are the plums ripe yet?' }).waitFor();
    assert.equal(await olive.getByTestId('dm-title').innerText(), 'Xavier');

    // Xavier's app is told live: the Messages badge; the conversation is listed with Olive's name and opens.
    await xavier.getByTestId('nav-messages').getByTestId('unread-badge').waitFor({ timeout: ARRIVAL_MS });
    await xavier.getByTestId('nav-messages').click();
    const item = xavier.getByTestId('dm-item').filter({ hasText: 'Are the plums ripe yet?' });
    await item.waitFor({ timeout: ARRIVAL_MS });
    assert.equal(await item.getByTestId('dm-item-names').innerText(), 'Olive');
    await shots(xavier, 'messages');
    await item.locator('a').click();
    await xavier.locator('[data-screen="conversation"]').waitFor();
    const first = xavier.getByTestId('dm-message').filter({ hasText: 'Are the plums ripe yet?' });
    await first.waitFor();
    await xavier.getByTestId('nav-messages').getByTestId('unread-badge').waitFor({ state: 'detached' });

    // He replies to her message; it goes under it.
    await first.getByTestId('dm-reply').first().click();
    await xavier.getByTestId('dm-replying').waitFor();
    await xavier.getByTestId('dm-compose').fill('Yes, come on Sunday');
    await xavier.getByTestId('dm-send').click();
    await xavier.locator('[data-testid="dm-message"][data-depth="1"]').filter({ hasText: 'Yes, come on Sunday' }).waitFor();

    // Olive's open conversation shows the reply live, threaded under her message.
    const reply = olive
      .getByTestId('dm-message')
      .filter({ hasText: 'Are the plums ripe yet?' })
      .locator('[data-testid="dm-message"][data-depth="1"]')
      .filter({ hasText: 'Yes, come on Sunday' });
    await reply.waitFor({ timeout: ARRIVAL_MS });
    await olive.getByTestId('dm-compose').fill('See you then');
    await olive.getByTestId('dm-send').click();
    await xavier.getByTestId('dm-text').filter({ hasText: 'See you then' }).waitFor({ timeout: ARRIVAL_MS });
    await shots(olive, 'conversation');
    assert.deepEqual(errors, []);
  } catch (e) {
    for (const [p, name] of [
      [olive, 'olive'],
      [xavier, 'xavier'],
    ] as const) {
      await p?.screenshot({ path: join(SHOTS, `failure-dm-${name}.png`) }).catch((err: Error) => console.error(`no failure screenshot: ${err.message}`));
    }
    for (const n of running) console.error(`---- log of ${n.home} (last lines) ----\n${n.log().split('\n').slice(-40).join('\n')}`);
    if (errors.length > 0) console.error(`page errors: ${errors.join('\n')}`);
    throw e;
  }
});
