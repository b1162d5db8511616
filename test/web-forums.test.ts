import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { kithJson, type NodeProcess } from './node-process.js';
import { generateKeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { pairOliveAndXavier, reportFailure, withOliveAndXavier } from './web-pages.js';
import { shots } from './web-helpers.js';

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

// Xavier's node learns where the forum is kept from the address he types in when he joins.
const fx = withOliveAndXavier('kith-webforum');
const { homes, running, errors } = fx;
let olive: Page | undefined;
let xavier: Page | undefined;

test('a forum in two browsers: create, invite, join, both post, reply, ban; the banned client says so', { timeout: 120_000 }, async () => {
  const [nodeO, nodeX] = running as [NodeProcess, NodeProcess];
  try {
    [olive, xavier] = await pairOliveAndXavier(fx.browser, homes, running, errors);

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
    await reportFailure('forum', { olive, xavier }, running, errors);
    throw e;
  }
});

/** Olive creates a forum in her browser; answers its key. */
async function createForum(name: string, policy: string): Promise<string> {
  if (olive === undefined) throw new Error("the first test pairs Olive's browser");
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
    await reportFailure('forum-moderation', { olive, xavier }, running, errors);
    throw e;
  }
});
