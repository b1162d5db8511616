import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { KithNode } from '../src/node/kith-node.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { generateKeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { attachBytes } from '../src/node/media.js';
import { tempDir, waitFor } from './helpers.js';
import { kithJson, startNode, type NodeProcess } from './node-process.js';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';
import { DESKTOP, PHONE, SHOTS, centre, pairIn, shot, shots } from './web-helpers.js';

/**
 * The web app in real headless Chromium (Debian's, driven by playwright-core)
 * against real node processes: pair a device, write with the character
 * counter, post a described image and view it in the page, follow a second
 * node's person, see their posts arrive live (a long one folded), reply both
 * ways, load an image only the other node holds (the app asks for it), follow a key nobody knows, check Settings (one row per peer, the real
 * block count), name people (petnames), post with a hashtag and a mention,
 * like, unlike and boost, post behind a content warning and open it, edit and
 * delete, search by hashtag, word and name, upload a picture and a header,
 * remove the device from another paired device and be refused.
 * Screenshots of the screens go to test-output/screenshots/, those changed
 * with the phone and desktop widths both (name.png and name-desktop.png).
 */

/** The node's limit on a post's length, which the composer counts down to. */
const MAX_CHARS = 5000;
const ARGS = [
  ...CHROMIUM_ARGS,
  // A name that is not this machine's, so a page opened through it is not a secure context, as a phone on the local network sees the node.
  '--host-resolver-rules=MAP kith-home.test 127.0.0.1',
];

/** A small PNG made here: a 48x48 colour gradient, so a broken image is told apart from a loaded one. */
function png(size = 48): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer): number => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 2; // RGB
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x++) row.set([x * 5, y * 5, 160], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const OLD_POSTS = 8000;

/** A home whose person has posted `count` times over the past day, written before its node starts. */
function seedPosts(home: string, name: string, count: number): { did: string } {
  const { node } = KithNode.init(home, { profile: { name } });
  const start = Date.now() - 86_400_000;
  const docs: string[] = [];
  for (let i = 0; i < count; i++) {
    const t = start + i * 1000;
    docs.push(JSON.stringify(node.sign(buildCreate(node.did, buildNote(node.did, { text: `old post ${i}` }, t), t))));
  }
  for (const r of node.ingestor.ingestMany(docs)) if (r instanceof Error) throw r;
  const did = node.did;
  node.close();
  return { did };
}

/** A post whose author dated it far ahead (the Create that carries it is dated now, as a node accepts only then). */
function seedPostDatedAhead(home: string, text: string): void {
  const node = KithNode.open(home);
  const note = { ...buildNote(node.did, { text }), published: '2999-01-01T00:00:00Z' };
  const create = { ...buildCreate(node.did, note), published: new Date().toISOString() };
  const r = node.ingestor.ingestMany([JSON.stringify(node.sign(create))])[0];
  node.close();
  if (r instanceof Error) throw r;
}

/** An image (40 pixels: not one posted elsewhere, as ERIS gives the same bytes the same URN) kept in a home's store and linked from nothing, so no follower fetches it unasked. */
async function seedFile(home: string): Promise<string> {
  const node = KithNode.open(home);
  const urn = String((await attachBytes(node.store, png(40), 'image/png')).url);
  node.close();
  return urn;
}

/** Coloured pixels of an emoji drawn in black with the page's own fonts: none when it falls back to an empty box. */
function colouredEmojiPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const g = globalThis as any;
    const canvas = g.document.createElement('canvas');
    canvas.width = 48;
    canvas.height = 48;
    const ctx = canvas.getContext('2d');
    ctx.font = `36px ${g.getComputedStyle(g.document.body).fontFamily}`;
    ctx.textBaseline = 'top';
    ctx.fillStyle = '#000';
    ctx.fillText('\u{1F3A8}', 4, 4);
    const px: Uint8ClampedArray = ctx.getImageData(0, 0, 48, 48).data;
    let coloured = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 3]! > 128 && Math.max(px[i]!, px[i + 1]!, px[i + 2]!) - Math.min(px[i]!, px[i + 1]!, px[i + 2]!) > 60) coloured++;
    }
    return coloured;
  });
}

/** What the tests below share: two nodes, the browser, Alice's phone, and what earlier steps made. They run in order. */
const homes = { a: tempDir('kith-web-a-'), b: tempDir('kith-web-b-') };
const running: NodeProcess[] = [];
const errors: string[] = [];
let nodeA: NodeProcess;
let nodeB: NodeProcess;
let bob: { did: string };
/** An image only Bob's node holds. */
let bobsFile: string;
let browser: Browser;
let phone: BrowserContext;
let page: Page;
/** Alice's first post, with its image. */
let mine: Locator;
/** A key nobody knows, which Alice follows. */
let stranger: string;

before(
  async () => {
    mkdirSync(SHOTS, { recursive: true });
    await kithJson(homes.a, ['init', '--name', 'Alice']);
    // Bob has posted a lot, so following him takes a sync long enough to watch.
    bob = seedPosts(homes.b, 'Bob', OLD_POSTS);
    bobsFile = await seedFile(homes.b);
    seedPostDatedAhead(homes.b, 'Dated far ahead by Bob');
    nodeB = await startNode(homes.b);
    running.push(nodeB);
    nodeA = await startNode(homes.a, ['--bootstrap', nodeB.info.addresses[0]!]);
    running.push(nodeA);
    await kithJson(homes.b, ['post', 'Hello from Bob\u2019s node']);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    phone = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 1 });
  },
  { timeout: 180_000 },
);

after(async () => {
  await browser?.close();
  await Promise.all(running.map((n) => n.stop()));
});

/**
 * One step of the walk through the app. It fails on any page error; when it
 * fails, the phone's screen and the nodes' last log lines are kept, to see why.
 */
function step(name: string, timeout: number, fn: () => Promise<void>): void {
  test(name, { timeout }, async () => {
    try {
      await fn();
      assert.deepEqual(errors, []);
    } catch (e) {
      const file = `failure-${name.slice(0, 40).replace(/\W+/g, '-')}.png`;
      await page?.screenshot({ path: join(SHOTS, file) }).catch((err: Error) => console.error(`no failure screenshot: ${err.message}`));
      for (const n of running) console.error(`---- log of ${n.home} (last lines) ----\n${n.log().split('\n').slice(-40).join('\n')}`);
      if (errors.length > 0) console.error(`page errors: ${errors.join('\n')}`);
      throw e;
    }
  });
}

step('pair a phone; the composer counts down, and its length error clears when the text is shortened or cleared', 120_000, async () => {
  page = await pairIn(phone, nodeA.info.api, homes.a, 'Phone browser', errors, 'pair');
  assert.ok((await colouredEmojiPixels(page)) > 50, 'emoji are drawn in colour (a colour emoji font is installed), not as empty boxes');

  // The composer counts down to the node's limit; past it an error shows, and it goes when the text is shortened or cleared.
  const text = page.getByTestId('compose-text');
  const counter = page.getByTestId('compose-counter');
  const tooLong = page.getByTestId('alert').filter({ hasText: /too long/ });
  await text.fill('Hello \u{1F3A8}');
  assert.equal(await counter.getAttribute('data-left'), String(MAX_CHARS - 'Hello \u{1F3A8}'.length));
  await text.fill('x'.repeat(MAX_CHARS + 3));
  await tooLong.waitFor();
  assert.match(await counter.innerText(), /^3 too many/);
  assert.equal(await page.getByTestId('compose-submit').isDisabled(), true);
  await shots(page, 'composer-too-long', counter);
  await text.fill('x'.repeat(MAX_CHARS - 10));
  await tooLong.waitFor({ state: 'detached' });
  assert.match(await counter.innerText(), /^10 left/);
  await text.fill('x'.repeat(MAX_CHARS + 1));
  await tooLong.waitFor();
  await text.fill('');
  await tooLong.waitFor({ state: 'detached' });
  assert.equal(await counter.getAttribute('data-left'), String(MAX_CHARS));
});

step('post a described image; it opens in the page with its description, and Escape closes it', 120_000, async () => {
  // Post with a described image: it uploads, shows, and the posted image loads from the node.
  const ALT = 'A square fading from blue to pink \u{1F3A8}';
  await page.getByTestId('compose-text').fill('First post from the browser');
  await page.getByTestId('compose-file').setInputFiles({ name: 'gradient.png', mimeType: 'image/png', buffer: png() });
  await page.getByTestId('compose-alt').fill(ALT);
  await shots(page, 'compose');
  await page.getByTestId('compose-submit').click();
  mine = page.getByTestId('post').filter({ hasText: 'First post from the browser' });
  await mine.waitFor();
  const img = mine.getByTestId('post-image').first();
  await img.waitFor();
  // Runs in the page: an <img> that loaded the 48-pixel PNG.
  await page.waitForFunction(
    (el) => {
      const im = el as unknown as { complete: boolean; naturalWidth: number };
      return im.complete && im.naturalWidth === 48;
    },
    await img.elementHandle(),
  );
  assert.equal(await img.getAttribute('alt'), ALT, 'the description is the image\u2019s alt text');
  await shot(page, 'timeline');

  // The image opens over the page, with its description; Escape closes it. No tab opens.
  await mine.getByTestId('post-image-open').first().click();
  const viewer = page.getByTestId('viewer');
  await viewer.waitFor();
  assert.equal(await page.getByTestId('viewer-alt').innerText(), ALT);
  assert.equal(await page.getByTestId('viewer-image').getAttribute('alt'), ALT);
  await page.waitForFunction(() => {
    const im = (globalThis as any).document.querySelector('[data-testid="viewer-image"]');
    return im?.complete && im.naturalWidth === 48;
  });
  assert.equal(phone.pages().length, 1, 'the image opened in the page, not in a new tab');
  await shots(page, 'viewer');
  await page.keyboard.press('Escape');
  await viewer.waitFor({ state: 'detached' });
});

step('follow Bob: his posts arrive, live too; replies say whom they answer; a long post folds; the notification quotes the post', 300_000, async () => {
  // Follow Bob by his node's address; his earlier post arrives.
  await page.getByTestId('follow-target').fill(nodeB.info.addresses[0]!);
  await page.getByTestId('follow-submit').click();
  await page.getByTestId('sync-status').filter({ hasText: /sync/i }).waitFor({ timeout: 60_000 });
  await shot(page, 'syncing');
  await page
    .getByTestId('follow-status')
    .filter({ hasText: /follow/i })
    .waitFor({ timeout: 120_000 });
  await page.getByTestId('nav-home').click();
  await page.locator('[data-screen="home"]').waitFor();
  await page.getByTestId('post').filter({ hasText: 'Hello from Bob\u2019s node' }).waitFor({ timeout: 60_000 });
  // A post Bob dated far ahead shows when it arrived, marked, and the date he claimed is there for anyone who asks.
  const ahead = page.getByTestId('post').filter({ hasText: 'Dated far ahead by Bob' });
  const mark = ahead.getByTestId('post-claimed-date');
  await mark.waitFor();
  assert.match((await mark.getAttribute('title')) ?? '', /2999.*future when it arrived/);
  assert.notEqual(await ahead.locator('time').getAttribute('datetime'), '2999-01-01T00:00:00Z');
  await shots(page, 'post-dated-ahead', ahead);
  // Back at the top, where a new post is shown at once rather than announced above the fold.
  await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));

  // Bob posts again: it appears live, without a reload.
  const navigations: string[] = [];
  page.on('framenavigated', (f) => navigations.push(f.url()));
  await kithJson(homes.b, ['post', 'Live from Bob']);
  await page.getByTestId('post').filter({ hasText: 'Live from Bob' }).waitFor({ timeout: 60_000 });
  assert.equal(navigations.filter((u) => !u.includes('#')).length, 0, 'the post arrived without reloading the page');
  await shot(page, 'timeline-live');

  // Replies both ways: Alice answers Bob in the browser, and her reply says whom it answers; Bob answers Alice, and she is told at once.
  const bobsPost = page.getByTestId('post').filter({ hasText: 'Live from Bob' });
  await bobsPost.getByTestId('post-reply').click();
  await bobsPost.getByTestId('reply-text').fill('Welcome, Bob!');
  await shots(page, 'reply-compose', bobsPost);
  await bobsPost.getByTestId('reply-submit').click();
  const reply = page.getByTestId('post').filter({ hasText: 'Welcome, Bob!' }).first();
  await reply.waitFor();
  assert.equal(await reply.getByTestId('post-context').innerText(), 'Replying to Bob');
  // Counted once, though the reply reaches the page twice (from posting it, and live).
  assert.equal(await bobsPost.getByTestId('post-thread').innerText(), '1 reply');
  await shots(page, 'reply-header', reply);
  const alicePostId = await mine.getAttribute('data-id');
  assert.match(alicePostId ?? '', /^ap:\/\/did:key:/);
  await kithJson(homes.b, ['post', 'Lovely colours \u{1F3A8}\u{1F308}', '--reply-to', alicePostId!]);
  await page.getByTestId('unread-badge').filter({ hasText: '1' }).first().waitFor({ timeout: 60_000 });

  // A long post from Bob shows its start, with "Show more".
  const long = Array.from({ length: 24 }, (_, i) => `Line ${i + 1} of a long post about the garden, the weather and the week.`).join('\n');
  await kithJson(homes.b, ['post', long]);

  // Bob's profile, notifications, own profile and settings.
  await page.goto(`${nodeA.info.api}/#/people/${bob.did}`);
  await page.locator('[data-screen="profile"]').waitFor();
  await page.getByText('Live from Bob').waitFor();
  await shot(page, 'profile-bob');
  const longPost = page.getByTestId('post').filter({ hasText: 'Line 1 of a long post' });
  await longPost.waitFor({ timeout: 60_000 });
  const more = longPost.getByTestId('post-more');
  assert.equal(await more.getAttribute('aria-expanded'), 'false');
  const folded = await longPost.getByTestId('post-text').evaluate((e) => (e as unknown as { clientHeight: number }).clientHeight);
  await shots(page, 'long-post', longPost);
  await more.click();
  assert.equal(await more.getAttribute('aria-expanded'), 'true');
  const unfolded = await longPost.getByTestId('post-text').evaluate((e) => (e as unknown as { clientHeight: number }).clientHeight);
  assert.ok(unfolded > folded * 2, `the whole post shows once unfolded (${folded} px folded, ${unfolded} px open)`);

  await page.getByTestId('nav-notifications').click();
  await page.locator('[data-screen="notifications"]').waitFor();
  const notice = page.getByTestId('notification').filter({ hasText: 'Lovely colours' });
  await notice.waitFor();
  // The notification quotes the post it is about.
  const quote = notice.getByTestId('notification-quote');
  assert.match(await quote.innerText(), /Your post\s+First post from the browser/);
  await shots(page, 'notifications', notice);
  await page.getByTestId('nav-me').click();
  await page.locator('[data-screen="profile"]').waitFor();
  await page.getByTestId('post').filter({ hasText: 'First post from the browser' }).waitFor();
  await shot(page, 'profile-me');
});

step('an image the node does not hold loads once the app asks the node to fetch it (reading alone never fetches)', 60_000, async () => {
  const src = `/api/media/${encodeURIComponent(bobsFile)}?type=image%2Fpng`;
  assert.equal(await page.evaluate(async (s) => (await fetch(s)).status, src), 404);
  // Runs in the page: an image of the app's kind, with the app's own error handler.
  await page.evaluate(async (s) => {
    const g = globalThis as any;
    const { fetchMissingMedia } = await import('/app/media.js' as string);
    const img = g.document.createElement('img');
    img.dataset.testid = 'missing-media';
    img.addEventListener('error', fetchMissingMedia);
    img.src = s;
    g.document.body.append(img);
  }, src);
  await page.waitForFunction(() => {
    const im = (globalThis as any).document.querySelector('[data-testid="missing-media"]');
    return im?.complete && im.naturalWidth === 40;
  });
  await page.evaluate(() => (globalThis as any).document.querySelector('[data-testid="missing-media"]').remove());
});

step('following a key nobody knows says that nothing was found yet', 120_000, async () => {
  // Following a key nobody knows says that nothing was found yet, there and in Settings.
  stranger = didFromPublicKey(generateKeyPair().publicKey);
  await page.getByTestId('nav-home').click();
  await page.locator('[data-screen="home"]').waitFor();
  await page.getByTestId('follow-target').fill(stranger);
  await page.getByTestId('follow-submit').click();
  const notFound = page.getByTestId('follow-not-found');
  await notFound.waitFor({ timeout: 60_000 });
  assert.match(await notFound.innerText(), /nothing of theirs was found/i);
  await shots(page, 'follow-not-found', page.getByTestId('follow-status'));
  await page.goto(`${nodeA.info.api}/#/people/${stranger}`);
  await page.getByTestId('profile-not-found').waitFor();
  await shots(page, 'profile-not-found');
});

step('Settings: one row per peer, named by its person, however many connections; the real block count; follows not found marked', 120_000, async () => {
  // Bob follows Alice by her node's address without its peer id, so his node dials hers afresh: two connections between the two nodes.
  await kithJson(homes.b, ['follow', nodeA.info.addresses[0]!.replace(/\/p2p\/\w+$/, '')]);
  const peersOfA = async (): Promise<{ peerId: string; connections: number; person: { name: string | null } | null }[]> =>
    (await page.evaluate(async () => (await (await fetch('/api/peers')).json()) as { peers: any[] })).peers;
  await waitFor(
    'two connections between Alice\u2019s and Bob\u2019s nodes',
    async () => (await peersOfA()).some((p) => p.peerId === nodeB.info.peerId && p.connections >= 2),
    60_000,
  );

  await page.getByTestId('nav-settings').click();
  await page.locator('[data-screen="settings"]').waitFor();
  await page.getByTestId('device').first().waitFor();
  await shot(page, 'settings');
  const followed = page.getByTestId('followed');
  await followed.filter({ hasText: 'Bob' }).waitFor();
  assert.equal(await followed.filter({ hasText: 'Bob' }).getAttribute('data-found'), 'true');
  assert.equal(await followed.filter({ hasText: 'Not found yet' }).count(), 1, 'the unknown key is marked');
  await shots(page, 'settings-following', page.locator('#following'));

  // Settings › Peers: one row for Bob's node however many connections, named by him.
  const peerRows = page.getByTestId('peer');
  await peerRows.first().waitFor();
  assert.equal(await peerRows.count(), 1, 'one row per peer');
  assert.equal(await peerRows.first().getAttribute('data-peer-id'), nodeB.info.peerId);
  assert.ok(Number(await peerRows.first().getAttribute('data-connections')) >= 2, 'the row stands for more than one connection');
  assert.equal(await peerRows.first().getByTestId('peer-person').innerText(), 'Bob');
  assert.equal(await page.getByTestId('peer-count').innerText(), 'Connected to 1 node.');
  await shots(page, 'settings-peers', page.locator('#peers'));

  // Settings › Storage: the real number of stored blocks (the image's, at least), as the API counts them.
  const blocks = page.getByTestId('storage-blocks');
  await blocks.waitFor();
  const stored = await page.evaluate(async () => ((await (await fetch('/api/storage')).json()) as { blocks: { blocks: number } }).blocks.blocks);
  assert.ok(stored > 0, 'the uploaded image is stored as blocks');
  assert.equal(Number(await blocks.getAttribute('data-count')), stored);
  assert.equal(await blocks.innerText(), `${stored.toLocaleString('en-US')} ${stored === 1 ? 'block' : 'blocks'}`);
  await shots(page, 'settings-storage', page.locator('#storage'));
});

/** Scrolls to the top of the page, where a new post shows at once rather than being announced above the fold. */
async function toTop(p: Page): Promise<void> {
  await p.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
}

/** A post as Alice's node shows it now (its text, counts and warning), or the error it answers with, read through the owner API. */
function postState(id: string): Promise<any> {
  return page.evaluate(async (i) => {
    const body = (await (await fetch(`/api/thread?id=${encodeURIComponent(i)}`)).json()) as { post?: unknown; error?: unknown };
    return body.post ?? body;
  }, id);
}

/** A post on the screen by its id (found so while its text is in the editor, or hidden behind a warning). */
function postById(id: string): Locator {
  return page.locator(`[data-testid="post"][data-id="${id}"]`);
}

/** Waits until an <img> has loaded a picture `width` pixels wide (scrolled into view, as the app's images load lazily). */
async function loaded(img: Locator, width: number): Promise<void> {
  await img.waitFor();
  await centre(img);
  await page.waitForFunction(
    ([el, w]) => {
      const im = el as unknown as { complete: boolean; naturalWidth: number };
      return im.complete && im.naturalWidth === w;
    },
    [await img.elementHandle(), width] as const,
  );
}

step('petnames: Alice names a bare key and Bob; her name shows instead of the key, the key or their own name beside it', 60_000, async () => {
  // A key of which nothing is known shows as the start of the key, until Alice names it.
  await page.goto(`${nodeA.info.api}/#/people/${stranger}`);
  const heading = page.locator('[data-screen="profile"] h1');
  await heading.filter({ hasText: stranger.slice(8, 18) }).waitFor();
  await page.getByTestId('petname-input').fill('Mystery');
  await page.getByTestId('petname-save').click();
  await heading.filter({ hasText: 'Mystery' }).waitFor();
  assert.equal(await heading.innerText(), 'Mystery');
  assert.match(await page.locator('.profile-self-name').innerText(), new RegExp(`^${stranger.slice(8, 18)}`), 'the key moves beside the name');
  const person = (did: string) => page.evaluate(async (d) => ((await (await fetch(`/api/people/${d}`)).json()) as { person: any }).person, did);
  assert.equal((await person(stranger)).petname, 'Mystery');

  // Bob chose a name; Alice's own name for him comes first, and his own is quoted beside it.
  await page.goto(`${nodeA.info.api}/#/people/${bob.did}`);
  await heading.filter({ hasText: 'Bob' }).waitFor();
  await page.getByTestId('petname-input').fill('bobby');
  await page.getByTestId('petname-save').click();
  await heading.filter({ hasText: 'bobby' }).waitFor();
  assert.equal(await page.locator('.profile-self-name').getByTestId('self-name').textContent(), '\u201cBob\u201d (their own name)');
  assert.equal((await person(bob.did)).petname, 'bobby');
  // His posts below take the new name at once.
  await page.getByTestId('post-author').first().waitFor();
  assert.deepEqual([...new Set(await page.getByTestId('post-author').allInnerTexts())], ['bobby']);
  await shots(page, 'petname', page.getByTestId('petname-form'));
});

step('a hashtag and a mention by petname are linked; like, unlike and boost show their counts; Bob\u2019s like arrives live', 60_000, async () => {
  await page.getByTestId('nav-home').click();
  await page.locator('[data-screen="home"]').waitFor();
  await toTop(page);
  await page.getByTestId('compose-text').fill('Seeds for @bobby: the #Garden wants them');
  await page.getByTestId('compose-submit').click();
  const seeds = page.getByTestId('post').filter({ hasText: 'Seeds for' });
  await seeds.waitFor();
  seedsId = (await seeds.getAttribute('data-id'))!;
  const mention = seeds.getByTestId('post-mention');
  assert.equal(await mention.innerText(), '@bobby');
  assert.equal(await mention.getAttribute('href'), `#/people/${bob.did}`);
  const hashtag = seeds.getByTestId('post-hashtag');
  assert.equal(await hashtag.innerText(), '#Garden');
  assert.equal(await hashtag.getAttribute('href'), `#/search?q=${encodeURIComponent('#Garden')}`);

  // Like, take it back, like again and boost: the buttons and counts follow, and so does the node.
  const bobsPost = page
    .getByTestId('post')
    .filter({ hasText: 'Live from Bob' })
    .filter({ hasNot: page.getByTestId('post-boosted-by') });
  const bobsId = (await bobsPost.getAttribute('data-id'))!;
  const like = bobsPost.getByTestId('post-like');
  const boost = bobsPost.getByTestId('post-boost');
  const pressed = (button: Locator, on: boolean) => button.and(page.locator(`[aria-pressed="${on}"]`)).waitFor();
  await like.click();
  await pressed(like, true);
  assert.equal(await bobsPost.getByTestId('post-likes').innerText(), '1');
  assert.deepEqual(pick(await postState(bobsId)), { likes: 1, liked: true, boosts: 0, boosted: false });
  await like.click();
  await pressed(like, false);
  assert.equal(await bobsPost.getByTestId('post-likes').innerText(), '');
  assert.deepEqual(pick(await postState(bobsId)), { likes: 0, liked: false, boosts: 0, boosted: false });
  await like.click();
  await pressed(like, true);
  await boost.click();
  await pressed(boost, true);
  assert.equal(await bobsPost.getByTestId('post-boosts').innerText(), '1');
  assert.equal(await bobsPost.getByTestId('post-likes').innerText(), '1');
  assert.deepEqual(pick(await postState(bobsId)), { likes: 1, liked: true, boosts: 1, boosted: true });
  await shots(page, 'post-actions', bobsPost);

  // Bob likes Alice's first post from his node: its count rises on her screen without a reload.
  await kithJson(homes.b, ['like', (await mine.getAttribute('data-id'))!]);
  await mine.getByTestId('post-likes').filter({ hasText: '1' }).waitFor({ timeout: 30_000 });
  assert.equal(await mine.getByTestId('post-like').getAttribute('aria-pressed'), 'false', 'the like is Bob\u2019s, not Alice\u2019s');
});

/** The counts of a post and whether the owner liked or boosted it. */
function pick(p: any): { likes: number; liked: boolean; boosts: number; boosted: boolean } {
  return { likes: p.likes, liked: p.liked, boosts: p.boosts, boosted: p.boosted };
}

/** Alice's post with a hashtag and a mention, which she edits. */
let seedsId: string;
const WARNING = 'Garden show results';
const EDITED = 'Seeds for @bobby: the #Garden wants them, and sunflowers';

step('a content warning hides a post until it is opened; Alice edits one post and deletes another; Bob\u2019s edit and delete show live', 60_000, async () => {
  await toTop(page);
  await page.getByTestId('compose-cw-toggle').click();
  await page.getByTestId('compose-cw').fill(WARNING);
  await page.getByTestId('compose-text').fill('The tomatoes won the #garden show');
  await shots(page, 'compose-cw', page.getByTestId('compose-cw'));
  await page.getByTestId('compose-submit').click();
  await page.getByTestId('compose-cw').waitFor({ state: 'detached' });
  const warned = page.getByTestId('post').filter({ has: page.getByTestId('post-cw-text').filter({ hasText: WARNING }) });
  await warned.waitFor();
  const warnedId = (await warned.getAttribute('data-id'))!;
  assert.equal(await warned.getByTestId('post-cw-text').innerText(), WARNING);
  assert.equal(await warned.getByTestId('post-text').count(), 0, 'the post itself is not in the page until opened');
  const state = await postState(warnedId);
  assert.deepEqual([state.sensitive, state.summary, state.text], [true, WARNING, 'The tomatoes won the #garden show']);
  const open = warned.getByTestId('post-cw-toggle');
  assert.equal(await open.getAttribute('aria-expanded'), 'false');
  await shots(page, 'post-cw', warned);
  await open.click();
  assert.equal(await open.getAttribute('aria-expanded'), 'true');
  assert.equal(await warned.getByTestId('post-text').innerText(), 'The tomatoes won the #garden show');
  await shots(page, 'post-cw-open', warned);

  // Edit: the new text shows, marked edited, and the node holds it. (While the editor is open, the text is in a field, so the post is found by its id.)
  const seeds = postById(seedsId);
  await seeds.getByTestId('post-edit').click();
  const editor = seeds.getByTestId('post-edit-text');
  assert.equal(await editor.inputValue(), 'Seeds for @bobby: the #Garden wants them');
  await editor.fill(EDITED);
  await shots(page, 'post-edit', seeds);
  await seeds.getByTestId('post-edit-save').click();
  await seeds.getByTestId('post-editor').waitFor({ state: 'detached' });
  assert.equal(await seeds.getByTestId('post-text').innerText(), EDITED);
  await seeds.getByTestId('post-edited').waitFor();
  assert.equal(await seeds.getByTestId('post-hashtag').innerText(), '#Garden', 'the edited post keeps its links');
  const edited = await postState(seedsId);
  assert.equal(edited.text, EDITED);
  assert.ok(edited.edited, 'the node marks the post edited');

  // Delete, confirmed with a second press: the post leaves the page and the node.
  await warned.getByTestId('post-delete').click();
  await warned.getByTestId('post-delete-confirm').click();
  await page.getByTestId('post-deleted').waitFor();
  assert.equal(await postById(warnedId).count(), 0);
  assert.equal((await postState(warnedId)).error?.code, 'deleted');

  // Bob edits and then deletes a post of his from his node: Alice's screen follows each without a reload.
  const hello = page.getByTestId('post').filter({ hasText: 'Hello from Bob\u2019s node' });
  const helloId = (await hello.getAttribute('data-id'))!;
  await kithJson(homes.b, ['edit', helloId, 'Hello again from Bob\u2019s node']);
  await postById(helloId).getByTestId('post-text').filter({ hasText: 'Hello again from Bob\u2019s node' }).waitFor({ timeout: 30_000 });
  await postById(helloId).getByTestId('post-edited').waitFor();
  await kithJson(homes.b, ['delete', helloId]);
  await page.getByTestId('post-deleted').filter({ hasText: 'Its author deleted this post.' }).waitFor({ timeout: 30_000 });
  assert.equal(await postById(helloId).count(), 0);
});

step('search finds a post by a hashtag (its link) and by a word of its edit, and people by Alice\u2019s names for them', 60_000, async () => {
  // The hashtag's link searches for it; the deleted post that carried the same tag is not found.
  await toTop(page);
  await postById(seedsId).getByTestId('post-hashtag').click();
  await page.locator('[data-screen="search"]').waitFor();
  const results = page.getByTestId('search-posts').getByTestId('post');
  await results.first().waitFor();
  assert.equal(await page.getByTestId('search-input').inputValue(), '#Garden');
  assert.deepEqual(await results.evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { id: string } }).dataset.id)), [seedsId]);
  await shots(page, 'search-hashtag');

  const search = async (q: string) => {
    await page.getByTestId('search-input').fill(q);
    await page.getByTestId('search-submit').click();
    await page.waitForURL((u) => u.hash === `#/search?q=${encodeURIComponent(q)}`);
  };
  await search('sunflowers');
  await results.filter({ hasText: EDITED }).waitFor();
  assert.equal(await results.count(), 1);

  await search('bobby');
  const people = page.getByTestId('search-person');
  await people.first().waitFor();
  assert.equal(await people.count(), 1);
  assert.equal(await people.locator('a').getAttribute('href'), `#/people/${bob.did}`);
  assert.match(await people.innerText(), /bobby/);
  await search('Mystery');
  await people.filter({ hasText: 'Mystery' }).waitFor();
  // At phone width the name keeps to one line; the key and the badge beside it wrap below when they must.
  const nameLines = await people.locator('.person-row-name').evaluate((e) => {
    const range = (globalThis as any).document.createRange();
    range.selectNodeContents(e);
    return range.getClientRects().length as number;
  });
  assert.equal(nameLines, 1);
  assert.equal(await people.locator('a').getAttribute('href'), `#/people/${stranger}`);
  await shots(page, 'search-people');
});

step('a picture and a header uploaded in the profile form show on the profile and on Alice\u2019s posts', 60_000, async () => {
  await page.getByTestId('nav-me').click();
  await page.locator('[data-screen="profile"]').waitFor();
  await page.getByTestId('edit-profile').click();
  await page.getByTestId('profile-avatar').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png(56) });
  await page.getByTestId('profile-header').setInputFiles({ name: 'header.png', mimeType: 'image/png', buffer: png(64) });
  await page.getByTestId('profile-header-preview').waitFor();
  await page.getByTestId('profile-save').click();
  await page.getByTestId('profile-save').waitFor({ state: 'detached' });
  const avatar = page.locator('[data-screen="profile"] .profile-head').getByTestId('avatar');
  await loaded(avatar, 56);
  await loaded(page.getByTestId('profile-banner'), 64);
  const seeds = page.getByTestId('post').filter({ hasText: 'Seeds for' });
  await loaded(seeds.getByTestId('avatar'), 56);
  const me = await page.evaluate(async () => ((await (await fetch('/api/me')).json()) as { actor: { icon?: string; image?: string } }).actor);
  assert.match(me.icon ?? '', /^\/api\/media\/urn%3Aeris%3A/);
  assert.match(me.image ?? '', /^\/api\/media\/urn%3Aeris%3A/);
  assert.equal(await avatar.getAttribute('src'), me.icon);
  assert.equal(await page.getByTestId('profile-banner').getAttribute('src'), me.image);
  // The deleted post (the one behind a warning) is gone from her profile too.
  const warned = page.getByTestId('post').filter({ has: page.getByTestId('post-cw') });
  assert.equal(await warned.count(), 0);
  await toTop(page);
  await shots(page, 'profile-avatar');
});

step(
  'a locked account: Bob\u2019s request waits among Alice\u2019s notifications and followers until she approves it; his like is told of too',
  90_000,
  async () => {
    const api = <T>(path: string): Promise<T> => page.evaluate(async (p) => (await (await fetch(p)).json()) as unknown, path) as Promise<T>;
    const alice = (await api<{ did: string }>('/api/me')).did;
    const followersOfA = async (): Promise<string[]> =>
      (await api<{ followers: { person: { did: string } }[] }>('/api/followers')).followers.map((f) => f.person.did);
    const bobsFollow = async (): Promise<string | undefined> =>
      ((await kithJson(homes.b, ['following'])) as { following: { did: string; state: string }[] }).following.find((f) => f.did === alice)?.state;
    // Bob followed Alice while her account was open: accepted at once. He takes it back, and she is told.
    await waitFor('Bob among Alice\u2019s followers', async () => (await followersOfA()).includes(bob.did), 30_000);
    await kithJson(homes.b, ['unfollow', alice]);
    await waitFor('Bob\u2019s Undo to reach Alice', async () => !(await followersOfA()).includes(bob.did), 30_000);

    // Alice locks her account in Settings; Bob asks again.
    await page.getByTestId('nav-settings').click();
    await page.locator('[data-screen="settings"]').waitFor();
    const locked = page.getByTestId('pref-locked');
    await centre(locked);
    await locked.check();
    await waitFor('the locked setting saved', async () => (await kithJson(homes.a, ['settings'])).locked === true, 10_000);
    await kithJson(homes.b, ['follow', nodeA.info.addresses[0]!]);
    assert.equal(await bobsFollow(), 'requested');

    // Her notifications tell of the request, with a way to answer it, and of Bob's like of her post.
    await page.getByTestId('nav-notifications').click();
    await page.locator('[data-screen="notifications"]').waitFor();
    const request = page.locator('[data-testid="notification"][data-kind="follow-request"]');
    await request.waitFor({ timeout: 30_000 });
    const said = async (l: Locator): Promise<string> => ((await l.textContent()) ?? '').replace(/\s+/g, ' ');
    assert.match(await said(request), /bobby asks to follow you/);
    const liked = page.locator('[data-testid="notification"][data-kind="like"]').first();
    assert.match(await said(liked.getByTestId('notification-like')), /bobby liked your post/);
    assert.equal(await liked.getByTestId('notification-by').getAttribute('href'), `#/people/${bob.did}`);
    await toTop(page);
    await shots(page, 'notification-follow-request');

    // Answering leads to Settings › Followers, where the request waits; Alice approves it.
    await request.getByTestId('notification-answer').click();
    const row = page.locator(`[data-testid="follow-request"][data-did="${bob.did}"]`);
    await row.waitFor();
    await shots(page, 'settings-follow-request', page.locator('#followers'));
    await row.getByTestId('follow-request-approve').click();
    await page.locator(`[data-testid="follower"][data-did="${bob.did}"]`).waitFor();
    assert.equal(await page.getByTestId('follow-requests-empty').count(), 1, 'no request is left waiting');
    assert.deepEqual(await followersOfA(), [bob.did]);
    await waitFor('Bob\u2019s node to hear that his follow is accepted', async () => (await bobsFollow()) === 'accepted', 30_000);
    await shots(page, 'settings-followers', page.locator('#followers'));

    // Her account opens again, as the steps after expect.
    await centre(locked);
    await locked.uncheck();
    await waitFor('the locked setting cleared', async () => (await kithJson(homes.a, ['settings'])).locked === false, 10_000);
  },
);

step('a laptop pairs by link, a phone over plain http; removing the phone refuses it at once', 180_000, async () => {
  // A desktop-sized window of the same app; the pairing card is centred.
  const desktop = await browser.newContext({ viewport: DESKTOP });
  const laptop = await pairIn(desktop, nodeA.info.api, homes.a, 'Laptop browser', errors, 'pair-desktop', true);
  // Bob's post shows twice, as he posted it and, on top, as Alice boosted it.
  await laptop.getByTestId('post').filter({ hasText: 'Live from Bob' }).first().waitFor();
  assert.equal(await laptop.getByTestId('post').filter({ hasText: 'Live from Bob' }).first().getByTestId('post-boosted-by').innerText(), 'Boosted by you');
  await shot(laptop, 'timeline-desktop');

  // Over plain http by a network name, browsers withhold WebCrypto; pairing still works (Ed25519 in JavaScript).
  // The node answers to a name only once the owner allows it (a guard against DNS rebinding).
  // The owner allows the name in Settings › Web access; an address that is not an IP is refused there, with the reason.
  await laptop.getByTestId('nav-settings').click();
  const hosts = laptop.getByTestId('web-hosts');
  await hosts.waitFor();
  await hosts.fill('kith-home.test');
  await laptop.getByTestId('web-proxies').fill('my-proxy');
  await laptop.getByTestId('web-access-save').click();
  await laptop
    .locator('#web-access')
    .getByTestId('alert')
    .filter({ hasText: /trustedProxies lists IP addresses/ })
    .waitFor();
  await shots(laptop, 'settings-web-access-refused', laptop.locator('#web-access'));
  assert.deepEqual((await kithJson(homes.a, ['settings'])).apiHosts, [], 'a refused change changes nothing');
  await laptop.getByTestId('web-proxies').fill('');
  await laptop.getByTestId('web-access-save').click();
  await laptop.locator('#web-access').getByText('Saved.').waitFor();
  await shots(laptop, 'settings-web-access', laptop.locator('#web-access'));
  assert.deepEqual((await kithJson(homes.a, ['settings'])).apiHosts, ['kith-home.test']);
  await laptop.setViewportSize(DESKTOP);
  const lan = await browser.newContext({ viewport: PHONE });
  const lanBase = nodeA.info.api.replace('127.0.0.1', 'kith-home.test');
  const lanPage = await pairIn(lan, lanBase, homes.a, 'Phone over http', errors);
  assert.equal(await lanPage.evaluate(() => (globalThis as unknown as { isSecureContext: boolean }).isSecureContext), false);
  await lanPage.getByTestId('post').filter({ hasText: 'Live from Bob' }).first().waitFor();
  await lan.close();

  // From the laptop, remove the phone; the phone is refused at once and sent back to pairing.
  await laptop.getByTestId('nav-settings').click();
  const phoneRow = laptop.getByTestId('device').filter({ hasText: 'Phone browser' });
  await phoneRow.waitFor();
  laptop.once('dialog', (d) => void d.accept());
  await phoneRow.getByTestId('device-remove').click();
  // A removed device leaves the list.
  await phoneRow.waitFor({ state: 'detached' });
  await shot(laptop, 'settings-devices');

  const status = await page.evaluate(async () => {
    const r = await fetch('/api/me');
    return { status: r.status, body: (await r.json()) as { error?: { code: string } } };
  });
  assert.equal(status.status, 401);
  assert.equal(status.body.error?.code, 'revoked');
  // The app learns it was removed from its live stream or its next call, and goes back to pairing; a reload stays there.
  await page.locator('[data-screen="pair"]').waitFor();
  await page
    .getByTestId('alert')
    .filter({ hasText: /removed/i })
    .waitFor();
  await shot(page, 'pair-removed');
  await page.reload();
  await page.locator('[data-screen="pair"]').waitFor();
});
