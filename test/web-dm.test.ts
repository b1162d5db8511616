import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { kithJson } from './node-process.js';
import { pairOliveAndXavier, reportFailure, withOliveAndXavier } from './web-pages.js';
import { shots } from './web-helpers.js';

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

const fx = withOliveAndXavier('kith-webdm');
const { homes, running, errors } = fx;
let olive: Page | undefined;
let xavier: Page | undefined;

test('a DM conversation between two browsers: write, told live, open, reply threaded', { timeout: 120_000 }, async () => {
  const nodeX = running[1]!;
  try {
    await kithJson(homes.o, ['follow', nodeX.info.addresses[0]!]);
    [olive, xavier] = await pairOliveAndXavier(fx.browser, homes, running, errors);

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
    await reportFailure('dm', { olive, xavier }, running, errors);
    throw e;
  }
});
