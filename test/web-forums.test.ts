import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { tempDir } from './helpers.js';
import { kithJson, startNode, type NodeProcess } from './node-process.js';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';
import { PHONE, SHOTS, pairIn, shots } from './web-helpers.js';

/**
 * Forums in the web app, in real headless Chromium against two real node
 * processes: Olive creates a forum that admits by invitation in her browser
 * and invites Xavier, whose browser (another context, his own node) opens
 * the invitation and joins; both post and each sees the other's post, Xavier replies to
 * Olive's; Olive
 * bans Xavier from his post's menu, and Xavier's screen says he is banned
 * with its composer off. Screenshots at phone and desktop widths go to
 * test-output/screenshots/ (forum*.png and forum*-desktop.png).
 */

/** A step waits this long for what another node sends (a join, a post, a ban). */
const ARRIVAL_MS = 30_000;

const homes = { o: tempDir('kith-webforum-o-'), x: tempDir('kith-webforum-x-') };
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
    // Xavier's node learns where the forum is kept from the address he types in when he joins.
    running.push(...(await Promise.all([startNode(homes.o), startNode(homes.x)])));
    browser = await launched;
  },
  { timeout: 60_000 },
);

after(async () => {
  await browser?.close();
  await Promise.all(running.map((n) => n.stop()));
});

test('a forum in two browsers: create, invite, join, both post, reply, ban; the banned client says so', { timeout: 120_000 }, async () => {
  const [nodeO, nodeX] = running as [NodeProcess, NodeProcess];
  try {
    [olive, xavier] = await Promise.all([
      browser.newContext({ viewport: PHONE, deviceScaleFactor: 1 }).then((c) => pairIn(c, nodeO.info.api, homes.o, 'Olive\u2019s phone', errors)),
      browser.newContext({ viewport: PHONE, deviceScaleFactor: 1 }).then((c) => pairIn(c, nodeX.info.api, homes.x, 'Xavier\u2019s phone', errors)),
    ]);

    // Olive starts a forum that admits by invitation, and makes an invitation link.
    await olive.getByTestId('nav-forums').click();
    await olive.locator('[data-screen="forums"]').waitFor();
    await olive.getByTestId('forum-create-name').fill('Allotment club');
    await olive.getByTestId('forum-create-policy').selectOption('invitation');
    await shots(olive, 'forums');
    await olive.getByTestId('forum-create-submit').click();
    await olive.locator('[data-screen="forum"]').waitFor();
    await olive.getByTestId('forum-name').filter({ hasText: 'Allotment club' }).waitFor();
    const forum = await olive.getByTestId('forum-id').innerText();
    assert.match(forum, /^did:key:z6Mk/);
    await olive.getByTestId('forum-invite').click();
    const link = await olive.getByTestId('forum-invite-link').inputValue();
    assert.ok(link.includes(encodeURIComponent(forum)) && link.includes('token='), 'the link names the forum and carries a token');

    // The link opens the join form filled in (here its route, on Xavier's node).
    await xavier.goto(`${nodeX.info.api}/${new URL(link).hash}`);
    await xavier.locator('[data-screen="forums"]').waitFor();
    assert.equal(await xavier.getByTestId('forum-join-id').inputValue(), forum);
    // Xavier, on his own node, pastes the whole link into the form, names where the forum is kept, and joins.
    await xavier.getByTestId('forum-join-id').fill('');
    await xavier.getByTestId('forum-join-token').fill(link);
    await xavier.getByTestId('forum-join-via').fill(nodeO.info.addresses[0]!);
    await xavier.getByTestId('forum-join-submit').click();
    await xavier.locator('[data-screen="forum"]').waitFor({ timeout: ARRIVAL_MS });
    await xavier.getByTestId('forum-compose-text').and(xavier.locator(':enabled')).waitFor({ timeout: ARRIVAL_MS });

    // Both post, and each sees the other's post arrive.
    await olive.getByTestId('forum-compose-text').fill('Seed swap on Saturday');
    await olive.getByTestId('forum-compose-submit').click();
    await xavier.getByTestId('forum-compose-text').fill('I will bring beans');
    await xavier.getByTestId('forum-compose-submit').click();
    const xaviersPost = olive.getByTestId('forum-post').filter({ hasText: 'I will bring beans' });
    await xaviersPost.waitFor({ timeout: ARRIVAL_MS });
    const olivesPost = xavier.getByTestId('forum-post').filter({ hasText: 'Seed swap on Saturday' });
    await olivesPost.waitFor({ timeout: ARRIVAL_MS });
    // Xavier replies to Olive's post: the reply shows under it in her thread.
    await olivesPost.getByTestId('forum-reply').click();
    await olivesPost.getByTestId('forum-reply-compose-text').fill('Count me in');
    await olivesPost.getByTestId('forum-reply-compose-submit').click();
    await olive
      .getByTestId('forum-post')
      .filter({ hasText: 'Seed swap on Saturday' })
      .getByTestId('forum-reply-post')
      .filter({ hasText: 'Count me in' })
      .waitFor({ timeout: ARRIVAL_MS });
    const xRole = olive.getByTestId('forum-member').filter({ hasText: /Member/ });
    await xRole.first().waitFor({ timeout: ARRIVAL_MS });
    await shots(xavier, 'forum');

    // Olive bans Xavier from his post's menu: her list says so, the log records it.
    await xaviersPost.getByTestId('forum-post-menu').locator('summary').click();
    await shots(olive, 'forum-moderation');
    await xaviersPost.getByTestId('forum-post-ban').click();
    await olive.locator('[data-testid="forum-member"][data-banned="true"]').waitFor();
    await olive.locator('[data-testid="forum-log-entry"][data-kind="ban"]').waitFor();

    // Xavier's client learns the ban from his node and says so; its composer is off.
    await xavier.getByTestId('forum-banned').waitFor({ timeout: ARRIVAL_MS });
    assert.match(await xavier.getByTestId('forum-banned').innerText(), /You are banned from this forum/);
    assert.equal(await xavier.getByTestId('forum-compose-text').isDisabled(), true);
    assert.equal(await xavier.getByTestId('forum-compose-submit').isDisabled(), true);
    await shots(xavier, 'forum-banned');
    assert.deepEqual(errors, []);
  } catch (e) {
    for (const [p, name] of [
      [olive, 'olive'],
      [xavier, 'xavier'],
    ] as const) {
      await p?.screenshot({ path: join(SHOTS, `failure-forum-${name}.png`) }).catch((err: Error) => console.error(`no failure screenshot: ${err.message}`));
    }
    for (const n of running) console.error(`---- log of ${n.home} (last lines) ----\n${n.log().split('\n').slice(-40).join('\n')}`);
    if (errors.length > 0) console.error(`page errors: ${errors.join('\n')}`);
    throw e;
  }
});
