import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot, tempDir } from './helpers.js';
import { kithJson, startNode, type NodeProcess } from './node-process.js';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';
import { generateKeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';

/**
 * Forums in the web app, in real headless Chromium against two real node
 * processes: Olive creates a forum that admits by invitation in her browser
 * and invites Xavier, whose browser (another context, his own node) opens
 * the invitation and joins; both post and each sees the other's post, Xavier replies to
 * Olive's; Olive
 * bans Xavier from his post's menu, and Xavier's screen says he is banned
 * with its composer off. Screenshots at phone and desktop widths go to
 * test-output/screenshots/ (forum*.png and forum*-desktop.png).
 *
 * A second test goes on with the same two browsers: Xavier joins another
 * forum, reports two of Olive's posts, and Olive's queue shows them (one
 * hidden, one dismissed); she makes him a moderator and removes him again,
 * blocks a node root in the forum and sets the roots it admits, and blocks
 * and unblocks a node root in Settings; Xavier hosts a third forum by its key.
 */

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const SHOTS = join(repoRoot, 'test-output', 'screenshots');
/** A step waits this long for what another node sends (a join, a post, a ban). */
const ARRIVAL_MS = 30_000;

const homes = { o: tempDir('kith-webforum-o-'), x: tempDir('kith-webforum-x-') };
const running: NodeProcess[] = [];
const errors: string[] = [];
let browser: Browser;
let olive: Page;
let xavier: Page;

function watchErrors(page: Page): void {
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A refused request is logged by Chromium itself; the app's own errors are what count.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
}

/** Pairs a browser context with its node by a code from `kith pair`. */
async function pair(context: BrowserContext, api: string, home: string, name: string): Promise<Page> {
  const page = await context.newPage();
  watchErrors(page);
  const { code } = await kithJson(home, ['pair']);
  await page.goto(`${api}/`);
  await page.getByTestId('pair-code').fill(code);
  await page.getByTestId('pair-name').fill(name);
  await page.getByTestId('pair-submit').click();
  await page.locator('[data-screen="home"]').waitFor();
  return page;
}

/** The page at phone width (name.png) and desktop width (name-desktop.png), neither wider than its window; then back at phone width. */
async function shots(page: Page, name: string): Promise<void> {
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
      browser.newContext({ viewport: PHONE, deviceScaleFactor: 1 }).then((c) => pair(c, nodeO.info.api, homes.o, 'Olive\u2019s phone')),
      browser.newContext({ viewport: PHONE, deviceScaleFactor: 1 }).then((c) => pair(c, nodeX.info.api, homes.x, 'Xavier\u2019s phone')),
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
    await failed(e);
  }
});

/** On failure: both screens and the nodes' last log lines, then the error again. */
async function failed(e: unknown): Promise<never> {
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

/** Olive creates a forum in her browser; answers its key. */
async function createForum(name: string, policy: string): Promise<string> {
  await olive.getByTestId('nav-forums').click();
  await olive.locator('[data-screen="forums"]').waitFor();
  await olive.getByTestId('forum-create-name').fill(name);
  await olive.getByTestId('forum-create-policy').selectOption(policy);
  await olive.getByTestId('forum-create-submit').click();
  await olive.getByTestId('forum-name').filter({ hasText: name }).waitFor();
  return olive.getByTestId('forum-id').innerText();
}

test('reports, moderators, node roots and hosting in two browsers', { timeout: 180_000 }, async () => {
  const [nodeO] = running as [NodeProcess, NodeProcess];
  try {
    assert.ok(olive && xavier, 'the first test paired both browsers');
    const forum = await createForum('Choir', 'open');
    for (const text of ['Rehearsal on Tuesday', 'Bring your own sheet music']) {
      await olive.getByTestId('forum-compose-text').fill(text);
      await olive.getByTestId('forum-compose-submit').click();
      await olive.getByTestId('forum-post').filter({ hasText: text }).waitFor();
    }

    // Xavier joins by the forum's key and the address of Olive's node.
    await xavier.getByTestId('nav-forums').click();
    await xavier.locator('[data-screen="forums"]').waitFor();
    await xavier.getByTestId('forum-join-id').fill(forum);
    await xavier.getByTestId('forum-join-token').fill('');
    await xavier.getByTestId('forum-join-via').fill(nodeO.info.addresses[0]!);
    await xavier.getByTestId('forum-join-submit').click();
    await xavier.getByTestId('forum-name').filter({ hasText: 'Choir' }).waitFor({ timeout: ARRIVAL_MS });
    await xavier.getByTestId('forum-compose-text').and(xavier.locator(':enabled')).waitFor({ timeout: ARRIVAL_MS });

    // He reports both of Olive's posts from their menus.
    const logged = await xavier.locator('[data-testid="forum-log-entry"]').count();
    for (const [text, reason] of [
      ['Rehearsal on Tuesday', 'It is on Wednesday'],
      ['Bring your own sheet music', 'Off topic'],
    ] as const) {
      const p = xavier.getByTestId('forum-post').filter({ hasText: text });
      await p.waitFor({ timeout: ARRIVAL_MS });
      await p.getByTestId('forum-post-menu').locator('summary').click();
      await p.getByTestId('forum-post-report').click();
      await p.getByTestId('forum-report-reason').fill(reason);
      if (reason === 'Off topic') await shots(xavier, 'forum-report');
      await p.getByTestId('forum-report-submit').click();
      await p.getByTestId('forum-post-report').filter({ hasText: 'Reported' }).waitFor({ state: 'attached' });
    }
    // Neither report is public: the forum's log says nothing of them.
    assert.equal(await xavier.locator('[data-testid="forum-log-entry"]').count(), logged);

    // Olive's queue shows both, with the reason and the post; she hides one post and dismisses the other report.
    const reports = olive.getByTestId('forum-report');
    await olive.getByTestId('forum-reports').getByText('Off topic').waitFor({ timeout: ARRIVAL_MS });
    await olive.getByTestId('forum-reports').getByText('It is on Wednesday').waitFor({ timeout: ARRIVAL_MS });
    await olive.getByTestId('forum-reports').scrollIntoViewIfNeeded();
    await shots(olive, 'forum-reports');
    await reports.filter({ hasText: 'It is on Wednesday' }).getByTestId('forum-report-hide').click();
    await olive.locator('[data-testid="forum-log-entry"][data-kind="hide"]').waitFor();
    await reports.filter({ hasText: 'Off topic' }).getByTestId('forum-report-dismiss').click();
    await olive.getByTestId('forum-reports').getByText('No open reports.').waitFor();
    assert.equal(await olive.getByTestId('forum-post').filter({ hasText: 'Rehearsal on Tuesday' }).count(), 0, 'the hidden post is gone');
    // The hide reaches Xavier's node: the post is gone there too.
    await xavier.getByTestId('forum-post').filter({ hasText: 'Rehearsal on Tuesday' }).waitFor({ state: 'detached', timeout: ARRIVAL_MS });

    // Olive makes Xavier a moderator from his row's menu, then removes him again; the log records both.
    const xRow = olive.locator('[data-testid="forum-member"][data-role="member"]');
    await xRow.waitFor({ timeout: ARRIVAL_MS });
    await xRow.getByTestId('forum-member-menu').locator('summary').click();
    await xRow.getByTestId('forum-moderator-add').click();
    const modRow = olive.locator('[data-testid="forum-member"][data-role="moderator"]');
    await modRow.waitFor();
    await olive.locator('[data-testid="forum-log-entry"][data-kind="moderator-add"]').waitFor();
    // Xavier's screen learns it: he now sees the moderation queue.
    await xavier.getByTestId('forum-reports').waitFor({ timeout: ARRIVAL_MS });
    await modRow.getByTestId('forum-member-menu').locator('summary').click();
    await modRow.scrollIntoViewIfNeeded();
    await shots(olive, 'forum-moderators');
    await modRow.getByTestId('forum-moderator-remove').click();
    await olive.locator('[data-testid="forum-log-entry"][data-kind="moderator-remove"]').waitFor();
    // Removal revokes every certificate the root gave him (forum-moderation.ts): he is no moderator, and no member until admitted again.
    await olive.locator('[data-testid="forum-member"][data-role="moderator"]').waitFor({ state: 'detached' });

    // Node roots in the forum: Olive blocks one, admits only another, then unblocks the first.
    const [rootA, rootB] = [didFromPublicKey(generateKeyPair().publicKey), didFromPublicKey(generateKeyPair().publicKey)];
    await olive.getByTestId('forum-root-did').fill('not a key');
    await olive.getByTestId('forum-root-block').click();
    await olive.getByTestId('forum-roots').getByRole('alert').waitFor();
    await olive.getByTestId('forum-root-did').fill(rootA);
    await olive.getByTestId('forum-root-block').click();
    await olive.locator(`[data-testid="forum-root-blocked"][data-did="${rootA}"]`).waitFor();
    await olive.getByTestId('forum-roots-only-input').fill(rootB);
    await olive.getByTestId('forum-roots-save').click();
    await olive.getByTestId('forum-root-admitted').waitFor();
    await olive.locator('[data-testid="forum-log-entry"][data-kind="roots"]').waitFor();
    await olive.getByTestId('forum-roots').scrollIntoViewIfNeeded();
    await shots(olive, 'forum-roots');
    await olive.locator(`[data-testid="forum-root-blocked"][data-did="${rootA}"]`).getByTestId('forum-root-unblock').click();
    await olive.getByTestId('forum-roots').getByText('No node root is blocked.').waitFor();
    await olive.locator('[data-testid="forum-log-entry"][data-kind="root-unblock"]').waitFor();

    // Xavier hosts a third forum by its key: it is listed as hosted on his node.
    const archive = await createForum('Archive', 'approval');
    await xavier.getByTestId('nav-forums').click();
    await xavier.locator('[data-screen="forums"]').waitFor();
    await xavier.getByTestId('forum-host-id').fill(archive);
    await xavier.getByTestId('forum-host-via').fill(nodeO.info.addresses[0]!);
    await xavier.getByTestId('forum-host-submit').click();
    await xavier.getByTestId('forum-name').filter({ hasText: 'Archive' }).waitFor({ timeout: ARRIVAL_MS });
    await xavier.getByTestId('nav-forums').click();
    const hosted = xavier.getByTestId('forum-item').filter({ hasText: 'Archive' });
    await hosted.filter({ hasText: 'Host' }).waitFor();
    await shots(xavier, 'forum-host');

    // A node root blocked in Settings (every account it vouches for is hidden), then unblocked.
    await olive.getByTestId('nav-settings').click();
    await olive.locator('[data-screen="settings"]').waitFor();
    await olive.getByTestId('blocked-roots-empty').waitFor();
    await olive.getByTestId('blocked-root-did').fill(rootA);
    await olive.getByTestId('blocked-root-block').click();
    await olive.locator(`[data-testid="blocked-root"][data-did="${rootA}"]`).waitFor();
    assert.deepEqual(
      (await kithJson(homes.o, ['blocked-roots'])).roots.map((r: { did: string }) => r.did),
      [rootA],
      'the node lists the root as blocked',
    );
    await olive.locator('#blocked-roots').scrollIntoViewIfNeeded();
    await shots(olive, 'blocked-roots');
    await olive.getByTestId('blocked-root-unblock').click();
    await olive.getByTestId('blocked-roots-empty').waitFor();
    assert.deepEqual(errors, []);
  } catch (e) {
    await failed(e);
  }
});
