import { test } from 'node:test';
import assert from 'node:assert/strict';
import { issueCertificate } from '../src/core/certificate.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { generateKeyPair } from '../src/core/ed25519.js';
import { normalizePairingCode, pairMessage } from '../src/core/pairing.js';
import type { Did } from '../src/core/types.js';
import { homePaths } from '../src/node/home.js';
import { runningNode } from '../src/cli/control-client.js';
import { tempDir, waitFor } from './helpers.js';
import { issueRevocation } from '../src/core/revocation.js';
import { probe } from './store-probe.js';
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
async function pairAccount(home: string, base: string, name: string): Promise<DeviceClient & { did: Did; publishDigest: string }> {
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
  return Object.assign(new DeviceClient(base, key, r.body.token, r.body.device.id), { did: didFromPublicKey(key.publicKey), publishDigest: cert.digest });
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

/** Revocations of one certificate a node holds. */
const REVOKED = 'SELECT COUNT(*) FROM revocations WHERE certificate = ?';

test(
  'a hosted account joins a forum, posts and replies through its node; a node that never followed it reads them as its, and stops taking them once it revokes the key',
  { timeout: 180_000 },
  async () => {
    // V owns an open forum; W keeps it and never follows P; N hosts P.
    const homes = { v: tempDir('kith-afv-'), n: tempDir('kith-afn-'), w: tempDir('kith-afw-') };
    const running: NodeProcess[] = [];
    try {
      await Promise.all(Object.values(homes).map((h) => kithJson(h, ['init'])));
      const nodeV = await startNode(homes.v);
      running.push(nodeV);
      const via = nodeV.info.addresses[0]!;
      const [nodeN, nodeW] = await Promise.all([startNode(homes.n, ['--bootstrap', via]), startNode(homes.w, ['--bootstrap', via])]);
      running.push(nodeN, nodeW);
      const F = (await kithJson(homes.v, ['forum', 'create', 'Choir'])).forum as Did;
      assert.equal((await kithJson(homes.w, ['forum', 'host', F, '--via', via])).role, 'host');
      const p = await pairAccount(homes.n, nodeN.info.api, 'Grandma');
      const owner = await pairDevice(homes.n, nodeN.info.api);

      // The account's routes are its device's alone: the owner's device is refused, as the account's is from the owner's forums.
      const path = `/api/account/forums/${encodeURIComponent(F)}`;
      assert.equal((await owner.call('POST', `${path}/join`, { via })).status, 403);
      assert.equal((await p.call('GET', '/api/forums')).status, 403);

      // P asks to join; its Join, signed by N's key for it, carries its publish certificate to V's node, which admits it (an open forum).
      const joined = await p.call('POST', `${path}/join`, { via });
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
      assert.equal(joined.body.forum, F);
      await eventually(
        'P to be a member',
        async () => (await p.call('GET', '/api/account/forums')).body.forums as { forum: Did; member: boolean }[],
        (fs) => fs.some((f) => f.forum === F && f.member),
      );
      const first = await p.call('POST', `${path}/posts`, { text: 'Grandma joins the choir' });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const reply = await p.call('POST', `${path}/posts`, { text: 'and sings alto', inReplyTo: first.body.id });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));

      // W, which never followed P, reads both as P's, with the reply threaded: P's papers came with the forum.
      const read = await eventually(
        'W to read both posts',
        async () => (await kithJson(homes.w, ['forum', 'read', F])).posts as { text: string; author: Did; inReplyTo?: string }[],
        (posts) => posts.length === 2,
      );
      assert.deepEqual(
        read.map((x) => [x.text, x.author, x.inReplyTo ?? null]).sort(),
        [
          ['Grandma joins the choir', p.did, null],
          ['and sings alto', p.did, first.body.id],
        ].sort(),
      );
      const own = await p.call('GET', `${path}/posts`);
      assert.deepEqual(own.body.posts.map((x: { text: string }) => x.text).sort(), ['Grandma joins the choir', 'and sings alto']);
      assert.equal(probe(homes.w, "SELECT COUNT(*) FROM objects WHERE owner = ? AND type = 'Create'", p.did), 0, "W holds none of P's own posts");

      // P's device revokes N's key: N posts for P no more, and the revocation reaches W with the forum.
      const revocation = issueRevocation(p.key, { certificate: p.publishDigest as never });
      assert.equal((await p.call('POST', '/api/account/revocations', { revocation: revocation.doc })).status, 201);
      const refused = await p.call('POST', `${path}/posts`, { text: 'after the revocation' });
      assert.equal(refused.body.error?.code, 'revoked', JSON.stringify(refused.body));
      await waitFor('W to hold the revocation', () => probe(homes.w, REVOKED, p.publishDigest) === 1, 60_000);
    } finally {
      await Promise.all(running.map((r) => r.stop()));
    }
  },
);
