import { test } from 'node:test';
import assert from 'node:assert/strict';
import { issueCertificate } from '../src/core/certificate.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { generateKeyPair } from '../src/core/ed25519.js';
import { normalizePairingCode, pairMessage } from '../src/core/pairing.js';
import type { Did } from '../src/core/types.js';
import { homePaths } from '../src/node/home.js';
import { runningNode } from '../src/cli/control-client.js';
import { tempDir } from './helpers.js';
import { api, DeviceClient, pairDevice, signText } from './device-client.js';
import { eventually, kith, kithJson, startNode, type NodeProcess } from './node-process.js';

/**
 * Hosted accounts across real node processes. Node N hosts accounts P and Q,
 * paired from their own devices (their keys made there) through N's owner
 * API. V and W follow P, Q and N's owner (a self-rooted person); N serves
 * the accounts' scopes by sync and live push. V blocks N's root with the
 * command: P and Q are muted for V at once (N's owner is not), W still sees
 * them; V unblocks and they are back.
 */

async function control(home: string) {
  const client = await runningNode(homePaths(home));
  if (!client) throw new Error(`no node answers in ${home}`);
  return client;
}

/** A person's device takes on an account from a code of `kith account add`, as the web app would: claim, sign the publish certificate, pair. */
async function pairAccount(home: string, base: string, name: string): Promise<DeviceClient & { did: Did }> {
  const offer = await kithJson(home, ['account', 'add', name]);
  const key = generateKeyPair();
  const publicKey = Buffer.from(key.publicKey).toString('base64url');
  const code = normalizePairingCode(offer.code);
  const signature = signText(key, pairMessage(code, publicKey));
  const terms = await api(base, 'POST', '/api/accounts/claim', { code, publicKey, signature });
  assert.equal(terms.status, 200, JSON.stringify(terms.body));
  const cert = issueCertificate(key, {
    subject: terms.body.delegate,
    capability: terms.body.capability,
    resource: terms.body.resource,
    expires: Date.parse(terms.body.expires),
  });
  const r = await api(base, 'POST', '/api/accounts/pair', { code, publicKey, signature, certificate: cert.doc, bearer: true });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return Object.assign(new DeviceClient(base, key, r.body.token, r.body.device.id), { did: didFromPublicKey(key.publicKey) });
}

const texts = (items: { text: string }[]): string[] => items.map((p) => p.text).sort();

test('a root block mutes every account a node vouches for, for that person only, and unblocking restores them', { timeout: 120_000 }, async () => {
  const homes = { n: tempDir('kith-an-'), v: tempDir('kith-av-'), w: tempDir('kith-aw-') };
  const running: NodeProcess[] = [];
  try {
    await Promise.all(Object.values(homes).map((h) => kithJson(h, ['init'])));
    const nodeN = await startNode(homes.n);
    running.push(nodeN);
    const at = ['--bootstrap', nodeN.info.addresses[0]!];
    const [nodeV, nodeW] = await Promise.all([startNode(homes.v, at), startNode(homes.w, at)]);
    running.push(nodeV, nodeW);
    const n = nodeN.info.did as Did;

    const [p, q] = [await pairAccount(homes.n, nodeN.info.api, 'Grandma'), await pairAccount(homes.n, nodeN.info.api, 'Kid')];
    const listed = await kithJson(homes.n, ['account', 'list']);
    assert.deepEqual(
      listed.accounts.map((a: { did: Did; root: Did }) => [a.did, a.root]).sort(),
      [
        [p.did, n],
        [q.did, n],
      ].sort(),
    );
    const me = await p.call('GET', '/api/account');
    assert.equal(me.body.account.did, p.did);
    assert.equal(me.body.account.renew, false);
    const owners = await p.call('GET', '/api/timeline');
    assert.equal(owners.status, 403, "an account's device cannot read the owner's timeline");
    assert.equal(owners.body.error.code, 'unauthorized');
    assert.equal((await p.call('POST', '/api/posts', { text: 'as the owner?' })).status, 403);
    for (const [who, text] of [
      [p, 'Grandma says hello'],
      [q, 'Kid says hi'],
    ] as const) {
      const r = await who.call('POST', '/api/account/posts', { text });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.post.author.did, who.did);
    }
    assert.equal((await kith(homes.n, ['post', 'The node owner speaks'])).code, 0);

    const [v, w] = await Promise.all([pairDevice(homes.v, nodeV.info.api), pairDevice(homes.w, nodeW.info.api)]);
    for (const home of [homes.v, homes.w]) {
      const c = await control(home);
      await c.call('POST /follow', { target: nodeN.info.addresses[0]! });
      for (const did of [p.did, q.did]) await c.call('POST /follow', { target: did });
    }
    const everything = ['Grandma says hello', 'Kid says hi', 'The node owner speaks'];
    const timeline = async (d: DeviceClient): Promise<string[]> => texts((await d.call('GET', '/api/timeline?limit=50')).body.items);
    for (const d of [v, w])
      await eventually(
        'the accounts and the owner synced',
        () => timeline(d),
        (t) => everything.every((x) => t.includes(x)),
      );
    // V's node learned from P's actor (its account certificate) that N's root vouches for P; N's owner is self-rooted.
    const authors = new Map<string, { did: Did; hostedBy: Did | null }>(
      (await v.call('GET', '/api/timeline?limit=50')).body.items.map((i: { text: string; author: { did: Did; hostedBy: Did | null } }) => [i.text, i.author]),
    );
    assert.deepEqual(authors.get('Grandma says hello'), { ...authors.get('Grandma says hello')!, did: p.did, hostedBy: n });
    assert.equal(authors.get('Kid says hi')?.hostedBy, n);
    assert.equal(authors.get('The node owner speaks')?.hostedBy, null);
    // Live push of an account's post, served by N as it serves its owner's.
    assert.equal((await p.call('POST', '/api/account/posts', { text: 'Grandma again, live' })).status, 201);
    const all = [...everything, 'Grandma again, live'].sort();
    for (const d of [v, w])
      await eventually(
        'the live post',
        () => timeline(d),
        (t) => t.includes('Grandma again, live'),
      );

    const blocked = await kith(homes.v, ['block-root', n]);
    assert.equal(blocked.code, 0, blocked.stderr);
    assert.match(blocked.stdout, /2 account\(s\) it vouches for are muted/);
    assert.deepEqual(await timeline(v), ['The node owner speaks'], "P and Q are muted for V at once; N's owner, self-rooted, is not");
    assert.deepEqual(await timeline(w), all, 'W blocked nothing and still sees them');
    const roots = await kithJson(homes.v, ['blocked-roots']);
    assert.deepEqual(
      roots.roots.map((r: { did: Did; accounts: number }) => [r.did, r.accounts]),
      [[n, 2]],
    );

    const unblocked = await v.call('DELETE', `/api/blocked-roots/${encodeURIComponent(n)}`);
    assert.deepEqual(unblocked.body, { did: n, removed: true });
    assert.deepEqual(await timeline(v), all, 'unblocking brings them back at once');

    // N stops hosting Q: Q's device is refused at once, and N posts for Q no more.
    const removed = await kithJson(homes.n, ['account', 'remove', q.did]);
    assert.ok(removed.account.removed);
    const gone = await q.call('POST', '/api/account/posts', { text: 'still here?' });
    assert.equal(gone.status, 401, JSON.stringify(gone.body));
    assert.equal(gone.body.error.code, 'revoked');
  } finally {
    await Promise.all(running.map((r) => r.stop()));
  }
});
