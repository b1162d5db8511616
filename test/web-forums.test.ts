import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { NodeProcess } from './node-process.js';
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
