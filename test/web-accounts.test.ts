import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parseCertificate } from '../src/core/certificate.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { keyPairFromSeed } from '../src/core/ed25519.js';
import { signDocument, verifyDocument } from '../src/core/proof.js';
import { parseRevocation } from '../src/core/revocation.js';
import type { JsonObject } from '../src/core/types.js';
import { tempDir } from './helpers.js';
import { kithJson, startNode, type NodeProcess } from './node-process.js';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';
import { pairIn, PHONE, SHOTS, shots, watchErrors } from './web-helpers.js';

/**
 * Hosted accounts in the web app, in real headless Chromium against a real
 * node process. Olive (the node's owner) adds an account for Grandma in
 * Settings and gets a code, a link and a QR code; Grandma's browser (another
 * context) opens the link, makes the key that is her account, claims the
 * code and signs the node's publish certificate. She posts (the post is on
 * the node, signed by the node's key under her certificate, which verifies),
 * follows and unfollows Olive, joins Olive's open forum from her screen and
 * posts and replies there (Olive's node reads both as hers), renews the
 * certificate and takes it back (the node says so); Olive removes the account
 * and Grandma's browser says it is no longer hosted. The browser's
 * eddsa-jcs-2022 signatures are compared byte for byte with
 * src/core/proof.ts's. Screenshots: accounts*.png, account-home*.png and
 * account-forums*.png.
 */

const home = tempDir('kith-webaccounts-');
const errors: string[] = [];
let node: NodeProcess;
let browser: Browser;
let olive: Page;
let grandma: Page;

before(
  async () => {
    mkdirSync(SHOTS, { recursive: true });
    const launched = chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
    await kithJson(home, ['init', '--name', 'Olive']);
    node = await startNode(home);
    browser = await launched;
  },
  { timeout: 60_000 },
);

after(async () => {
  await browser?.close();
  await node?.stop();
});

/** The signed objects of one signer and type in the node's store (read-only, beside the running node). */
function storedBy(signer: string, type: string): JsonObject[] {
  const db = new Database(join(home, 'kith.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT body FROM objects WHERE signer = ? AND type = ? ORDER BY n').pluck().all(signer, type) as string[];
    return rows.map((b) => JSON.parse(b) as JsonObject);
  } finally {
    db.close();
  }
}

/** A call to the owner API from a page, with its session: status and body. */
function call(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  return page.evaluate(
    async ([m, p, b]) => {
      const init: Record<string, unknown> = { method: m, headers: { 'content-type': 'application/json' } };
      if (b !== undefined) init.body = JSON.stringify(b);
      const r = await fetch(p as string, init);
      return { status: r.status, body: await r.json() };
    },
    [method, path, body] as const,
  );
}

test(
  'an account hosted for someone: added in Settings, paired from its link in her own browser, posts, renews, revokes, removed',
  { timeout: 180_000 },
  async () => {
    try {
      olive = await pairIn(await browser.newContext({ viewport: PHONE, deviceScaleFactor: 1 }), node.info.api, home, 'Olive\u2019s phone', errors);

      // Olive adds an account for Grandma: a code, its link and a QR code.
      await olive.goto(`${node.info.api}/#/settings`);
      await olive.locator('#accounts').waitFor();
      await olive.getByTestId('accounts-empty').waitFor();
      await olive.getByTestId('account-add-name').fill('Grandma');
      await olive.getByTestId('account-add').click();
      const panel = olive.getByTestId('account-offer-panel');
      await panel.waitFor();
      assert.equal(await panel.locator('img.pairing-qr').count(), 1, 'a QR code of the link is shown');
      const code = (await olive.getByTestId('account-offer-code').innerText()).trim();
      const link = await olive.getByTestId('account-offer-link').getAttribute('href');
      assert.equal(link, `${node.info.api}/#account=${code.replace('-', '')}`);
      await panel.scrollIntoViewIfNeeded();
      await shots(olive, 'accounts');

      // Grandma opens the link in her own browser: the code is filled in; her browser makes her key and pairs.
      grandma = await (await browser.newContext({ viewport: PHONE, deviceScaleFactor: 1 })).newPage();
      watchErrors(grandma, errors);
      grandma.on('dialog', (d) => void d.accept());
      await grandma.goto(link!);
      await grandma.locator('[data-screen="account-claim"]').waitFor();
      assert.equal((await grandma.getByTestId('account-code').inputValue()).replace('-', ''), code.replace('-', ''));
      await grandma.getByTestId('account-claim').click();
      await grandma.locator('[data-screen="account-home"]').waitFor();
      assert.equal(await grandma.getByTestId('account-name').innerText(), 'Grandma');
      const did = await grandma.getByTestId('account-did').innerText();
      assert.match(did, /^did:key:z6Mk/);
      const me = (await call(grandma, 'GET', '/api/account')).body.account;
      assert.equal(me.did, did);
      assert.equal(me.root, node.info.did);
      assert.equal(me.renew, false);
      assert.equal(me.revoked, false);
      // Her key never left the browser: it is a non-extractable WebCrypto key (this origin is a secure context).
      assert.equal(
        await grandma.evaluate(async () => (await (await import('/app/device-key.js' as string)).loadDeviceKey()).keyPair.privateKey.extractable),
        false,
      );

      // Olive's list shows the account, and until when her node may post for it; the code's panel closes by itself.
      const row = olive.locator(`[data-testid="hosted-account"][data-did="${did}"]`);
      await row.waitFor({ timeout: 30_000 });
      await panel.waitFor({ state: 'detached' });
      assert.match(await row.getByTestId('hosted-account-until').innerText(), /\d{4}/);

      // The publish certificate her browser signed is on the node and verifies, for the node's key.
      const [publish] = storedBy(did, 'KithCertificate').map((c) => parseCertificate(c));
      assert.ok(publish, 'the publish certificate is stored');
      assert.equal(publish.issuer, did);
      assert.equal(publish.subject, me.delegate);
      assert.deepEqual(publish.capability, ['publish']);
      assert.equal(publish.resource, `ap://${did}`);
      assert.equal(new Date(publish.expires).toISOString().replace('.000', ''), me.publishExpires);

      // She posts: the post shows, and is on the node signed by the node's key for her.
      await grandma.getByTestId('account-compose-text').fill('Hello from my own key');
      await grandma.getByTestId('account-compose-submit').click();
      await grandma.getByTestId('account-post').filter({ hasText: 'Hello from my own key' }).waitFor();
      const creates = storedBy(me.delegate, 'Create');
      assert.equal(creates.length, 1);
      const create = creates[0]!;
      assert.equal(create.actor, `ap://${did}/actor`);
      assert.equal(verifyDocument(create).signer, me.delegate);
      assert.match(JSON.stringify(create.object), /Hello from my own key/);

      // She follows Olive, whose post then shows in her home timeline; unfollowing takes it away.
      await kithJson(home, ['post', 'Olive here, on her own node']);
      await grandma.getByTestId('account-follow-target').fill(node.info.did);
      await grandma.getByTestId('account-follow-submit').click();
      await grandma.locator(`[data-testid="account-following"][data-did="${node.info.did}"]`).waitFor();
      const olivesPost = grandma.getByTestId('account-post').filter({ hasText: 'Olive here, on her own node' });
      await olivesPost.waitFor();
      await shots(grandma, 'account-home');
      await olivesPost.getByTestId('account-post-unfollow').click();
      await olivesPost.waitFor({ state: 'detached' });
      await grandma.locator('[data-testid="account-following"]').first().waitFor({ state: 'detached' });
      assert.deepEqual((await call(grandma, 'GET', '/api/account/follows')).body.follows, []);

      // Olive starts an open forum; Grandma's screen lists it (not a member), she joins it by its key, posts and replies in it.
      const created = await call(olive, 'POST', '/api/forums', { name: 'Family', policy: 'open' });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const forum: string = created.body.forum;
      await grandma.reload();
      const item = grandma.locator(`[data-testid="account-forum-item"][data-forum="${forum}"]`);
      await item.waitFor();
      assert.equal(await item.getAttribute('data-member'), 'false');
      assert.match(await item.innerText(), /Family[\s\S]*Not a member/);
      await grandma.getByTestId('forum-join-id').fill(forum);
      await grandma.getByTestId('forum-join-submit').click();
      // Admitted as the forum's node answers (here, Olive's own): the list says so.
      await grandma.locator(`[data-testid="account-forum-item"][data-forum="${forum}"][data-member="true"]`).waitFor({ timeout: 60_000 });
      const reader = grandma.locator(`[data-testid="account-forum"][data-forum="${forum}"]`);
      assert.equal(await reader.getByTestId('account-forum-name').innerText(), 'Family');
      await reader.getByTestId('account-forum-compose-text').fill('Sunday lunch at mine?');
      await reader.getByTestId('account-forum-compose-submit').click();
      const first = reader.getByTestId('account-forum-post').filter({ hasText: 'Sunday lunch at mine?' });
      await first.waitFor();
      await first.getByTestId('account-forum-reply').click();
      await first.getByTestId('account-forum-reply-compose-text').fill('I will bring a cake');
      await first.getByTestId('account-forum-reply-compose-submit').click();
      await first.getByTestId('account-forum-reply-post').filter({ hasText: 'I will bring a cake' }).waitFor();
      assert.match(await first.locator('.post-author').first().innerText(), /^You$/);
      await shots(grandma, 'account-forums', reader);

      // Olive's node reads both as Grandma's (her key the author), the reply threaded under the post.
      const read = (await call(olive, 'GET', `/api/forums/${encodeURIComponent(forum)}/posts`)).body.posts as {
        id: string;
        author: string;
        text: string;
        inReplyTo?: string;
      }[];
      const lunch = read.find((x) => x.text === 'Sunday lunch at mine?');
      assert.ok(lunch, JSON.stringify(read));
      assert.deepEqual(
        read.map((x) => [x.text, x.author, x.inReplyTo ?? null]).sort(),
        [
          ['I will bring a cake', did, lunch.id],
          ['Sunday lunch at mine?', did, null],
        ].sort(),
      );

      // Renewal: her browser signs a later publish certificate (as the Renew button does once the node asks), and the screen shows the new date.
      const later = Date.parse(me.publishExpires) + 3600_000;
      const renewed = await grandma.evaluate(
        async ([account, expires]) => (await import('/app/account-actions.js' as string)).renewPublishing(account, expires),
        [me, later] as const,
      );
      assert.equal(Date.parse(renewed.publishExpires), later);
      const certs = storedBy(did, 'KithCertificate').map((c) => parseCertificate(c));
      assert.equal(certs.length, 2);
      assert.equal(certs[1]!.expires, later);

      // She takes the node's right to post back: the revocation is hers, and the node can post for her no more.
      await grandma.getByTestId('account-revoke').click();
      await grandma.getByTestId('account-revoked').waitFor();
      const [revocation] = storedBy(did, 'KithRevocation').map((r) => parseRevocation(r));
      assert.deepEqual(revocation?.target, { subject: me.delegate, root: did });
      const signed = storedBy(me.delegate, 'Create').length;
      const refused = await call(grandma, 'POST', '/api/account/posts', { text: 'after revoking' });
      assert.equal(refused.status >= 400, true, 'a post after the revocation is refused');
      assert.equal(refused.body.error.code, 'revoked');
      assert.equal(storedBy(me.delegate, 'Create').length, signed, 'nothing new was stored');
      // The node says so (not this browser alone): a fresh load of the screen still knows, and the forum's composer is off.
      assert.equal((await call(grandma, 'GET', '/api/account')).body.account.revoked, true);
      await grandma.evaluate(() => (globalThis as any).localStorage.clear());
      await grandma.reload();
      await grandma.getByTestId('account-revoked').waitFor();
      assert.equal(await grandma.getByTestId('account-compose-text').count(), 0, 'no composer once revoked');
      await grandma.locator(`[data-testid="account-forum-item"][data-forum="${forum}"]`).getByTestId('account-forum-open').click();
      assert.equal(await grandma.getByTestId('account-forum-compose-text').isDisabled(), true);
      assert.equal(await grandma.getByTestId('forum-join-id').count(), 0, 'no join form once revoked');

      // Olive removes the account; Grandma's browser, opened again, says it is no longer hosted and still shows her key.
      olive.on('dialog', (d) => void d.accept());
      await row.getByTestId('hosted-account-remove').click();
      await olive.getByTestId('accounts-empty').waitFor();
      await grandma.reload();
      await grandma.locator('[data-screen="account-gone"]').waitFor();
      assert.equal(await grandma.getByTestId('account-gone-did').innerText(), did);
      assert.deepEqual(errors, []);
    } catch (e) {
      for (const [p, name] of [
        [olive, 'olive'],
        [grandma, 'grandma'],
      ] as const) {
        await p
          ?.screenshot({ path: join(SHOTS, `failure-accounts-${name}.png`) })
          .catch((err: Error) => console.error(`no failure screenshot: ${err.message}`));
      }
      console.error(`---- log of ${node.home} (last lines) ----\n${node.log().split('\n').slice(-40).join('\n')}`);
      if (errors.length > 0) console.error(`page errors: ${errors.join('\n')}`);
      throw e;
    }
  },
);

test('the browser signs eddsa-jcs-2022 byte for byte as src/core/proof.ts does', { timeout: 60_000 }, async () => {
  const page = await (await browser.newContext()).newPage();
  watchErrors(page, errors);
  await page.goto(`${node.info.api}/`);
  const seed = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff);
  const key = keyPairFromSeed(seed);
  // Members out of order, non-ASCII text and numbers: what JCS has to get right.
  const doc: JsonObject = {
    type: 'Note',
    '@context': ['https://www.w3.org/ns/activitystreams', 'https://w3id.org/security/data-integrity/v1'],
    content: 'Grüße, 👋 "quoted" \u2028',
    z: [3, 1.5, -0, 1e21, { b: null, a: true }],
    attributedTo: didFromPublicKey(key.publicKey),
  };
  const created = '2026-01-02T03:04:05Z';
  for (const proofPurpose of ['assertionMethod', 'capabilityDelegation']) {
    const expected = signDocument(doc, key, { created, proofPurpose });
    const args = { secret: [...seed], publicKey: Buffer.from(key.publicKey).toString('base64url'), doc: JSON.stringify(doc), created, proofPurpose };
    const made: JsonObject = JSON.parse(
      await page.evaluate(async (a: typeof args) => {
        const { signDocument: sign } = await import('/app/proof.js' as string);
        const key = { secretKey: Uint8Array.from(a.secret), publicKey: a.publicKey };
        return JSON.stringify(await sign(key, JSON.parse(a.doc), { created: a.created, proofPurpose: a.proofPurpose }));
      }, args),
    );
    assert.equal(JSON.stringify(made), JSON.stringify(expected), `the browser's ${proofPurpose} proof is the node's, byte for byte`);
    assert.equal(verifyDocument(made).signer, didFromPublicKey(key.publicKey));
  }
  assert.deepEqual(errors, []);
});
