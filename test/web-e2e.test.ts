import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { KithNode } from '../src/node/kith-node.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { repoRoot, tempDir } from './helpers.js';
import { kithJson, startNode, type NodeProcess } from './node-process.js';

/**
 * The web app in real headless Chromium (Debian's, driven by playwright-core)
 * against real node processes: pair a device, post with an image, follow a
 * second node's person, see their post arrive live, remove the device from
 * another paired device and be refused. Screenshots of the main screens go to
 * test-output/screenshots/.
 */

const CHROMIUM = process.env.KITH_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = join(repoRoot, 'test-output', 'screenshots');
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
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

/** Fails the test on any script error or console error in the page. */
function watchErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A refused request (the removed device's 401) is logged by Chromium itself; the app's own errors are what count.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

/** Pairs a new browser device with a code from `kith pair`, typed in, or by opening the link it prints (as its QR code does). */
async function pairIn(context: BrowserContext, base: string, home: string, name: string, errors: string[], screenshot?: string, byLink = false): Promise<Page> {
  const page = await context.newPage();
  watchErrors(page, errors);
  const { code, url } = await kithJson(home, ['pair']);
  if (byLink) {
    await page.goto(url);
    await page.locator('[data-screen="pair"]').waitFor();
    assert.equal((await page.getByTestId('pair-code').inputValue()).replace(/[\s-]/g, ''), code.replace('-', ''), 'the link fills in the code');
  } else {
    await page.goto(`${base}/`);
    await page.locator('[data-screen="pair"]').waitFor();
    await page.getByTestId('pair-code').fill(code);
  }
  await page.getByTestId('pair-name').fill(name);
  if (screenshot) await shot(page, screenshot);
  await page.getByTestId('pair-submit').click();
  await page.locator('[data-screen="home"]').waitFor();
  return page;
}

test('web app in Chromium: pair, post with an image, follow, live post, remove the device', { timeout: 300_000 }, async () => {
  mkdirSync(SHOTS, { recursive: true });
  const homes = { a: tempDir('kith-web-a-'), b: tempDir('kith-web-b-') };
  const running: NodeProcess[] = [];
  let browser: Browser | undefined;
  const errors: string[] = [];
  try {
    await kithJson(homes.a, ['init', '--name', 'Alice']);
    // Bob has posted a lot, so following him takes a sync long enough to watch.
    const bob = seedPosts(homes.b, 'Bob', OLD_POSTS);
    const nodeB = await startNode(homes.b);
    running.push(nodeB);
    const nodeA = await startNode(homes.a, ['--bootstrap', nodeB.info.addresses[0]!]);
    running.push(nodeA);
    await kithJson(homes.b, ['post', 'Hello from Bob\u2019s node']);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    const page = await pairIn(phone, nodeA.info.api, homes.a, 'Phone browser', errors, 'pair');

    // Post with an image: it uploads, shows, and the posted image loads from the node.
    await page.getByTestId('compose-text').fill('First post from the browser');
    await page.getByTestId('compose-file').setInputFiles({ name: 'gradient.png', mimeType: 'image/png', buffer: png() });
    await shot(page, 'compose');
    await page.getByTestId('compose-submit').click();
    const mine = page.getByTestId('post').filter({ hasText: 'First post from the browser' });
    await mine.waitFor();
    const img = mine.getByTestId('post-image').first();
    await img.waitFor();
    // Runs in the page: an <img> that loaded the 48-pixel PNG.
    await page.waitForFunction((el) => {
      const im = el as unknown as { complete: boolean; naturalWidth: number };
      return im.complete && im.naturalWidth === 48;
    }, await img.elementHandle());
    await shot(page, 'timeline');

    // Follow Bob by his node's address; his earlier post arrives.
    await page.getByTestId('follow-target').fill(nodeB.info.addresses[0]!);
    await page.getByTestId('follow-submit').click();
    await page.getByTestId('sync-status').filter({ hasText: /sync/i }).waitFor({ timeout: 60_000 });
    await shot(page, 'syncing');
    await page.getByTestId('follow-status').filter({ hasText: /follow/i }).waitFor({ timeout: 120_000 });
    await page.getByTestId('nav-home').click();
    await page.locator('[data-screen="home"]').waitFor();
    await page.getByTestId('post').filter({ hasText: 'Hello from Bob\u2019s node' }).waitFor({ timeout: 60_000 });

    // Bob posts again: it appears live, without a reload.
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    await kithJson(homes.b, ['post', 'Live from Bob']);
    await page.getByTestId('post').filter({ hasText: 'Live from Bob' }).waitFor({ timeout: 60_000 });
    assert.equal(navigations.filter((u) => !u.includes('#')).length, 0, 'the post arrived without reloading the page');
    await shot(page, 'timeline-live');

    // Replies both ways: Alice answers Bob in the browser; Bob answers Alice, and she is told at once.
    const bobsPost = page.getByTestId('post').filter({ hasText: 'Live from Bob' });
    await bobsPost.getByTestId('post-reply').click();
    await bobsPost.getByTestId('reply-text').fill('Welcome, Bob!');
    await bobsPost.getByTestId('reply-submit').click();
    await page.getByTestId('post').filter({ hasText: 'Welcome, Bob!' }).first().waitFor();
    const alicePostId = await mine.getAttribute('data-id');
    assert.match(alicePostId ?? '', /^ap:\/\/did:key:/);
    await kithJson(homes.b, ['post', 'Lovely colours', '--reply-to', alicePostId!]);
    await page.getByTestId('unread-badge').filter({ hasText: '1' }).first().waitFor({ timeout: 60_000 });

    // Bob's profile, notifications, own profile and settings.
    await page.goto(`${nodeA.info.api}/#/people/${bob.did}`);
    await page.locator('[data-screen="profile"]').waitFor();
    await page.getByText('Live from Bob').waitFor();
    await shot(page, 'profile-bob');
    await page.getByTestId('nav-notifications').click();
    await page.locator('[data-screen="notifications"]').waitFor();
    await page.getByTestId('notification').filter({ hasText: 'Lovely colours' }).waitFor();
    await shot(page, 'notifications');
    await page.getByTestId('nav-me').click();
    await page.locator('[data-screen="profile"]').waitFor();
    await page.getByTestId('post').filter({ hasText: 'First post from the browser' }).waitFor();
    await shot(page, 'profile-me');
    await page.getByTestId('nav-settings').click();
    await page.locator('[data-screen="settings"]').waitFor();
    await page.getByTestId('device').first().waitFor();
    await shot(page, 'settings');

    // A desktop-sized window of the same app.
    const desktop = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const laptop = await pairIn(desktop, nodeA.info.api, homes.a, 'Laptop browser', errors, undefined, true);
    await laptop.getByTestId('post').filter({ hasText: 'Live from Bob' }).waitFor();
    await shot(laptop, 'timeline-desktop');

    // Over plain http by a network name, browsers withhold WebCrypto; pairing still works (Ed25519 in JavaScript).
    const lan = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const lanBase = nodeA.info.api.replace('127.0.0.1', 'kith-home.test');
    const lanPage = await pairIn(lan, lanBase, homes.a, 'Phone over http', errors);
    assert.equal(await lanPage.evaluate(() => (globalThis as unknown as { isSecureContext: boolean }).isSecureContext), false);
    await lanPage.getByTestId('post').filter({ hasText: 'Live from Bob' }).waitFor();
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
    await page.getByTestId('alert').filter({ hasText: /removed/i }).waitFor();
    await shot(page, 'pair-removed');
    await page.reload();
    await page.locator('[data-screen="pair"]').waitFor();

    assert.deepEqual(errors, []);
  } finally {
    await browser?.close();
    await Promise.all(running.map((n) => n.stop()));
  }
});
