import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Did } from '../src/core/types.js';
import { KithService } from '../src/node/service.js';
import { tempDir } from './helpers.js';
import { eventually, kithJson, startNode, type NodeProcess } from './node-process.js';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';
import { PHONE, SHOTS, pairIn, shots } from './web-helpers.js';

/**
 * Followers-only posts in the web app, in real headless Chromium against
 * three real node processes. Alice's account is locked: she approves Bob
 * and leaves Rita's request waiting, so Rita's node keeps Alice's scope (her
 * public posts, and the sealed envelope with its blocks) without a key. Alice
 * chooses "Followers only" in her composer; Bob's browser shows the post,
 * marked so; Rita's shows Alice's public post and nothing of the other, not
 * in her timeline, on Alice's profile or in search. Screenshots at phone and
 * desktop widths: followers-only*.png.
 */

/** A step waits this long for what another node sends. */
const ARRIVAL_MS = 60_000;
const SECRET = 'FOLLOWERS-ONLY: the key is under the blue pot';
const PUBLIC = 'PUBLIC: the garden opens at ten';

const homes = { a: tempDir('kith-webfo-a-'), b: tempDir('kith-webfo-b-'), r: tempDir('kith-webfo-r-') };
const running: NodeProcess[] = [];
const errors: string[] = [];
let browser: Browser;
const pages: Record<'alice' | 'bob' | 'rita', Page | undefined> = { alice: undefined, bob: undefined, rita: undefined };

before(
  async () => {
    mkdirSync(SHOTS, { recursive: true });
    const launched = chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
    await Promise.all([
      kithJson(homes.a, ['init', '--name', 'Alice']),
      kithJson(homes.b, ['init', '--name', 'Bob']),
      kithJson(homes.r, ['init', '--name', 'Rita']),
    ]);
    await kithJson(homes.a, ['settings', 'set', 'locked', 'true']);
    const nodeA = await startNode(homes.a);
    running.push(nodeA);
    const at = ['--bootstrap', nodeA.info.addresses[0]!];
    running.push(...(await Promise.all([startNode(homes.b, at), startNode(homes.r, at)])));
    browser = await launched;
  },
  { timeout: 180_000 },
);

after(async () => {
  await browser?.close();
  await Promise.all(running.map((n) => n.stop()));
});

/** How many followers-only envelopes of Alice's Rita's node holds (read beside the running node, as a command would). */
function envelopesHeld(home: string, author: Did): number {
  const s = KithService.open(home);
  try {
    return s.node.store.db
      .prepare("SELECT COUNT(*) FROM objects WHERE type = 'KithSealed' AND owner = ? AND json_extract(body, '$.followers') IS NOT NULL")
      .pluck()
      .get(author) as number;
  } finally {
    s.close();
  }
}

/** The texts of the posts a screen shows. */
function texts(page: Page): Promise<string[]> {
  return page.getByTestId('post').allInnerTexts();
}

test('a followers-only post: chosen in the composer, shown to the follower, nothing of it to a non-follower', { timeout: 420_000 }, async () => {
  const [nodeA, nodeB, nodeR] = running as [NodeProcess, NodeProcess, NodeProcess];
  const alice = nodeA.info.did as Did;
  try {
    // Bob and Rita ask to follow; Alice approves Bob only.
    await kithJson(homes.b, ['follow', nodeA.info.addresses[0]!]);
    await kithJson(homes.r, ['follow', nodeA.info.addresses[0]!]);
    await eventually(
      'both requests to reach Alice',
      async () => (await kithJson(homes.a, ['follow-requests'])).requests.map((r: { did: string }) => r.did),
      (l: string[]) => l.includes(nodeB.info.did) && l.includes(nodeR.info.did),
    );
    await kithJson(homes.a, ['approve', nodeB.info.did]);

    const context = () => browser.newContext({ viewport: PHONE, deviceScaleFactor: 1 });
    [pages.alice, pages.bob, pages.rita] = await Promise.all([
      context().then((c) => pairIn(c, nodeA.info.api, homes.a, 'Alice\u2019s phone', errors)),
      context().then((c) => pairIn(c, nodeB.info.api, homes.b, 'Bob\u2019s phone', errors)),
      context().then((c) => pairIn(c, nodeR.info.api, homes.r, 'Rita\u2019s phone', errors)),
    ]);
    const [a, b, r] = [pages.alice!, pages.bob!, pages.rita!];

    // Alice chooses "Followers only" and posts; her own timeline shows it, marked.
    await a.getByTestId('compose-text').fill(SECRET);
    await a.getByTestId('compose-visibility').selectOption('followers');
    await shots(a, 'followers-only-compose');
    await a.getByTestId('compose-submit').click();
    const own = a.getByTestId('post').filter({ hasText: SECRET });
    await own.getByTestId('post-followers-only').waitFor();
    assert.equal(await a.getByTestId('compose-visibility').inputValue(), 'public', 'the composer goes back to public for the next post');
    await a.getByTestId('compose-text').fill(PUBLIC);
    await a.getByTestId('compose-submit').click();
    await a.getByTestId('post').filter({ hasText: PUBLIC }).waitFor();
    assert.equal(await a.getByTestId('post').filter({ hasText: PUBLIC }).getByTestId('post-followers-only').count(), 0, 'a public post has no mark');

    // Bob's browser shows it as it arrives, marked followers-only; likes and boosts, which would travel in public, are not offered.
    const atBob = b.getByTestId('post').filter({ hasText: SECRET });
    await atBob.waitFor({ timeout: ARRIVAL_MS });
    await atBob.getByTestId('post-followers-only').waitFor();
    assert.equal(await atBob.getByTestId('post-like').count(), 0);
    assert.equal(await atBob.getByTestId('post-boost').count(), 0);
    await shots(b, 'followers-only');

    // Rita's node holds Alice's public post and the sealed envelope, and her browser shows the public post alone.
    await r.getByTestId('post').filter({ hasText: PUBLIC }).waitFor({ timeout: ARRIVAL_MS });
    await eventually(
      'Rita’s node to hold the envelope',
      async () => envelopesHeld(homes.r, alice),
      (n) => n === 1,
    );
    for (const [hash, screen] of [
      ['#/', 'home'],
      [`#/people/${alice}`, 'profile'],
    ] as const) {
      await r.goto(`${nodeR.info.api}/${hash}`);
      await r.locator(`[data-screen="${screen}"]`).waitFor();
      await r.getByTestId('post').filter({ hasText: PUBLIC }).waitFor();
      assert.deepEqual(
        (await texts(r)).filter((t) => !t.includes(PUBLIC)),
        [],
        `Rita's ${screen} shows no other post, no placeholder`,
      );
      assert.equal(await r.getByTestId('post-followers-only').count(), 0);
      assert.equal(await r.getByText('FOLLOWERS-ONLY').count(), 0);
    }
    await shots(r, 'followers-only-outsider');
    await r.goto(`${nodeR.info.api}/#/search?q=${encodeURIComponent('blue pot')}`);
    await r.getByTestId('search-empty').waitFor();
    // Bob finds it by its words.
    await b.goto(`${nodeB.info.api}/#/search?q=${encodeURIComponent('blue pot')}`);
    await b.getByTestId('search-posts').getByTestId('post').filter({ hasText: SECRET }).waitFor();
    assert.deepEqual(errors, []);
  } catch (e) {
    for (const [name, p] of Object.entries(pages)) {
      await p
        ?.screenshot({ path: join(SHOTS, `failure-followers-only-${name}.png`) })
        .catch((err: Error) => console.error(`no failure screenshot: ${err.message}`));
    }
    for (const n of running) console.error(`---- log of ${n.home} (last lines) ----\n${n.log().split('\n').slice(-40).join('\n')}`);
    if (errors.length > 0) console.error(`page errors: ${errors.join('\n')}`);
    throw e;
  }
});
