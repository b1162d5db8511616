import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actorId, outboxId } from '../src/core/apid.js';
import { ACCOUNT_HOSTED, ACCOUNT_MEMBER } from '../src/core/account-vouch.js';
import { buildActor } from '../src/core/as2.js';
import { issueCertificate } from '../src/core/certificate.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { generateKeyPair } from '../src/core/ed25519.js';
import { normalizePairingCode, pairMessage } from '../src/core/pairing.js';
import { signDocument } from '../src/core/proof.js';
import { issueRevocation } from '../src/core/revocation.js';
import type { Did, JsonObject } from '../src/core/types.js';
import { KithNode } from '../src/node/kith-node.js';
import { KithService } from '../src/node/service.js';
import { signText } from './device-client.js';
import { hostAccount } from './hosted-account-pairing.js';
import { refusedWith, rejectsWith, tempDir } from './helpers.js';

/**
 * Hosted accounts and node-root blocks on real stores with no network: what
 * one node stores is handed to another's ingest, as sync would. The
 * multi-node check (real processes, sync and live push) is p2p-accounts.
 */

/** A person's service over a store of its own; `now` is its clock, ingest's and the service's alike. */
function person(now?: () => number): KithService {
  return new KithService(KithNode.init(tempDir('kith-accounts-'), now === undefined ? {} : { ingest: { now } }).node, now === undefined ? {} : { now });
}

/** Hands everything `from` holds of a scope to `to`, as a sync would. */
function syncScope(from: KithService, to: KithService, owner: Did): void {
  const rows = from.node.store.db
    .prepare('SELECT o.body FROM objects o JOIN scopes s ON s.n = o.scope WHERE s.name = ? ORDER BY o.n')
    .pluck()
    .all(outboxId(owner)) as string[];
  for (const r of to.node.ingestor.ingestMany(rows)) if (r instanceof Error) throw r;
}

const texts = (rows: readonly { body: string }[]): string[] =>
  rows.map((o) => {
    const doc = JSON.parse(o.body) as JsonObject;
    return String(((doc.object ?? doc) as JsonObject).content ?? '').replace(/<[^>]+>/g, '');
  });

test('a hosted account posts under its own key, other nodes see its root vouch, and blocking that root mutes it for one person only', async () => {
  const [n, v, w] = [person(), person(), person()];
  try {
    const p = await hostAccount(n, 'Grandma');
    const q = await hostAccount(n, 'Kid');
    const posted = await n.accounts.post(p.account(), { text: 'Hello from the shared phone' });
    const stored = n.node.store.objects.byDigest(posted.digest)!;
    assert.equal(stored.owner, p.did, "the post is the account's, under its own did:key");
    assert.equal(stored.signer, p.account().delegate, "signed by the node's key for it");
    await n.accounts.post(q.account(), { text: 'Kid was here' });
    assert.deepEqual(texts(n.accounts.timeline(p.account(), { limit: 10 })), ['Hello from the shared phone']);
    await n.accounts.follow(p.account(), q.did);
    assert.deepEqual(texts(n.accounts.timeline(p.account(), { limit: 10 })), ['Kid was here', 'Hello from the shared phone']);
    assert.ok(n.node.scopes().includes(outboxId(p.did)), "the node keeps and serves the account's scope");

    // V and W follow P, Q and a self-rooted person (N's owner, also a root but no account).
    const own = await n.publishing.post({ text: 'The node owner speaks' });
    const vPost = await v.publishing.post({ text: 'V asks a question' });
    for (const reader of [v, w]) {
      for (const did of [p.did, q.did, n.node.did]) {
        syncScope(n, reader, did);
        reader.node.follow(did);
      }
    }
    assert.equal(v.node.store.accountVouches.rootOf(p.did), n.node.did, "P's actor carries N's account certificate");
    assert.equal(v.node.store.accountVouches.rootOf(n.node.did), undefined, 'a self-rooted key has no vouching root');
    // P answers V: a reply V is notified of and sees in the thread.
    const reply = await n.accounts.post(p.account(), { text: 'Grandma answers', inReplyTo: vPost.noteId });
    syncScope(n, v, p.did);
    const seen = (s: KithService) => ({
      timeline: texts(s.reading.timeline({ limit: 20 })).sort(),
      notifications: s.reading.notifications({ limit: 20 }).items.map((i) => i.object.digest),
      replies: s === v ? s.reading.thread(vPost.noteId).replies.map((r) => r.digest) : [],
      search: s.search.search('Grandma').posts.map((o) => o.digest),
    });
    const everything = ['Grandma answers', 'Hello from the shared phone', 'Kid was here', 'The node owner speaks', 'V asks a question'];
    assert.deepEqual(seen(v), { timeline: everything, notifications: [reply.digest], replies: [reply.digest], search: [reply.digest] });

    const blocked = v.rootBlocks.block(n.node.did);
    assert.deepEqual(blocked, { did: n.node.did, added: true, accounts: 2 });
    assert.deepEqual(
      seen(v),
      { timeline: ['The node owner speaks', 'V asks a question'], notifications: [], replies: [], search: [] },
      "every account N vouches for is muted for V at once; N's owner, self-rooted, is not",
    );
    assert.deepEqual(
      texts(w.reading.timeline({ limit: 20 })).sort(),
      everything
        .filter((t) => t !== 'V asks a question' && t !== 'Grandma answers')
        .concat()
        .sort(),
    );
    syncScope(n, w, p.did);
    assert.ok(texts(w.reading.timeline({ limit: 20 })).includes('Grandma answers'), 'W, who blocked nothing, still sees them');
    // An account N takes on after the block is muted too, with no list kept.
    const r = await hostAccount(n, 'Lodger');
    await n.accounts.post(r.account(), { text: 'New lodger' });
    syncScope(n, v, r.did);
    v.node.follow(r.did);
    assert.ok(!texts(v.reading.timeline({ limit: 20 })).includes('New lodger'));

    assert.deepEqual(v.rootBlocks.unblock(n.node.did), { did: n.node.did, removed: true });
    assert.deepEqual(seen(v), {
      timeline: [...everything, 'New lodger'].sort(),
      notifications: [reply.digest],
      replies: [reply.digest],
      search: [reply.digest],
    });
    refusedWith(() => v.rootBlocks.block(v.node.did), 'conflict', /own node/);
    assert.ok(own.digest.length > 0);
  } finally {
    for (const s of [n, v, w]) s.close();
  }
});

test('account certificates are checked: forged, revoked by the root, and a publish certificate the person revoked', async () => {
  const [n, v, x] = [person(), person(), person()];
  try {
    const p = await hostAccount(n, 'Grandma');
    syncScope(n, v, p.did);
    const vouch = n.node.store.accountVouches.get(p.did)!;
    assert.equal(vouch.root, n.node.did);

    // An actor of P's carrying an account certificate whose signature was tampered with.
    const held = JSON.parse(n.node.store.objects.byId(actorId(p.did))!.body) as JsonObject;
    const carried = (held[ACCOUNT_MEMBER] as JsonObject).certificate as JsonObject;
    const tampered = { ...carried, expires: '2099-01-01T00:00:00Z' };
    const actorWith = (certificate: JsonObject) => signDocument({ ...buildActor(p.did, { name: 'Grandma' }), [ACCOUNT_MEMBER]: { certificate } }, p.key);
    refusedWith(() => v.node.ingest(actorWith(tampered)), 'forged', /account certificate/);
    // A genuine certificate from some root, but for someone else.
    const rogue = generateKeyPair();
    const other = issueCertificate(rogue, {
      subject: didFromPublicKey(generateKeyPair().publicKey),
      capability: ACCOUNT_HOSTED,
      resource: actorId(didFromPublicKey(rogue.publicKey)),
      expires: Date.now() + 3600_000,
    });
    refusedWith(() => v.node.ingest(actorWith(other.doc as JsonObject)), 'wrong-key', /certifies/);
    // A certificate from a root to P, but for another capability.
    const notAccount = issueCertificate(rogue, {
      subject: p.did,
      capability: 'publish',
      resource: actorId(didFromPublicKey(rogue.publicKey)),
      expires: Date.now() + 3600_000,
    });
    refusedWith(() => v.node.ingest(actorWith(notAccount.doc as JsonObject)), 'unauthorized', /account:hosted/);
    assert.equal(v.node.store.accountVouches.rootOf(p.did), n.node.did, 'nothing refused changed who vouches for P');

    // At pairing: a publish certificate not signed by the account's key, or over less than its whole name.
    const key = generateKeyPair();
    const publicKey = Buffer.from(key.publicKey).toString('base64url');
    const offer = n.accounts.offer('Guest', 'http://127.0.0.1:9');
    const code = normalizePairingCode(offer.code);
    const signature = signText(key, pairMessage(code, publicKey));
    const terms = n.accounts.claim({ code, publicKey, signature }, 'device');
    const expires = Date.parse(terms.expires);
    const byStranger = issueCertificate(rogue, {
      subject: terms.delegate,
      capability: 'publish',
      resource: `ap://${didFromPublicKey(rogue.publicKey)}`,
      expires,
    });
    await rejectsWith(n.accounts.pair({ code, publicKey, signature, certificate: byStranger.doc }, 'device'), 'forged', /not by the account's key/);
    const narrow = issueCertificate(key, { subject: terms.delegate, capability: 'publish', resource: `${terms.resource}/objects`, expires });
    await rejectsWith(n.accounts.pair({ code, publicKey, signature, certificate: narrow.doc }, 'device'), 'unauthorized', /must be over/);
    assert.equal(n.node.store.hostedAccounts.get(terms.account), undefined, 'a refused pairing stores no account');

    // Renewal: the device signs a new publish certificate, later than the one held; an earlier one is refused.
    const a = p.account();
    const later = issueCertificate(p.key, { subject: a.delegate, capability: 'publish', resource: `ap://${p.did}`, expires: a.publishExpires + 3600_000 });
    const renewed = await n.accounts.renew(a, later.doc);
    assert.equal(Date.parse(renewed.publishExpires), later.expires);
    assert.equal(renewed.renew, false);
    await rejectsWith(n.accounts.renew(p.account(), later.doc), 'conflict', /no later than/);
    await n.accounts.post(p.account(), { text: 'posted under the renewed certificate' });
    // A revocation of the older certificate alone leaves the one held standing.
    await n.accounts.revoke(p.account(), issueRevocation(p.key, { certificate: p.publishDigest }).doc);
    assert.equal(n.accounts.status(p.account()).revoked, false);

    // P revokes the node's publish certificates: N can no longer post as P, anywhere, and the account's status says so.
    await n.accounts.revoke(p.account(), issueRevocation(p.key, { certificate: later.digest }).doc);
    assert.equal(n.accounts.status(p.account()).revoked, true);
    const rev = issueRevocation(p.key, { certificate: p.publishDigest });
    await n.accounts.revoke(p.account(), rev.doc);
    await rejectsWith(n.accounts.post(p.account(), { text: 'posted after the revocation' }), 'revoked');
    await rejectsWith(n.accounts.revoke(p.account(), issueRevocation(rogue, { certificate: p.publishDigest }).doc), 'wrong-key');

    // N stops hosting Q: its root revokes the account certificate; Q's device is refused and no root vouches for Q any more.
    const q = await hostAccount(n, 'Kid');
    syncScope(n, v, q.did);
    syncScope(n, x, q.did);
    v.rootBlocks.block(n.node.did);
    assert.equal(v.node.store.accountVouches.rootOf(q.did), n.node.did);
    const device = n.node.store.devices.byDid(q.did)!;
    assert.equal(n.devices.list().length, 0, "account devices are not listed among the owner's");
    refusedWith(() => n.devices.pairing.revoke(device.id), 'conflict', /account remove/);
    const removed = await n.accounts.remove(q.did);
    assert.ok(removed.removed);
    refusedWith(() => n.accounts.accountOf(n.node.store.devices.byDid(q.did)!), 'revoked');
    await rejectsWith(n.accounts.remove(q.did), 'conflict');
    syncScope(n, v, n.node.did);
    assert.equal(v.node.store.accountVouches.rootOf(q.did), undefined, "the root's revocation (in the root's scope) ends its vouch");
    assert.equal(x.node.store.accountVouches.rootOf(q.did), n.node.did);
    syncScope(n, x, q.did);
    assert.equal(x.node.store.accountVouches.rootOf(q.did), undefined, "so does Q's last actor version, for a node that follows Q alone");
    assert.equal(v.node.store.accountVouches.rootOf(p.did), n.node.did);
    const muted = v.node.store.db.prepare('SELECT did FROM muted_people ORDER BY did').pluck().all();
    assert.deepEqual(muted, [p.did], 'an account its root let go is no longer muted by the root block');
  } finally {
    for (const s of [n, v, x]) s.close();
  }
});

test('the node vouches anew for an account its person keeps using, before its account certificate runs out', async () => {
  const DAY = 24 * 3600_000;
  let clock = Date.now();
  const now = (): number => clock;
  const [n, v] = [person(now), person(now)];
  try {
    // The device signs on the real clock, which may be past the node's by the time it does.
    const p = await hostAccount(n, 'Grandma', clock - 1000);
    const first = n.node.store.devices.byDid(p.did)!.expires;
    const before = p.account();
    await n.accounts.checkIn(before);
    assert.equal(p.account().accountCertificate, before.accountCertificate, 'nothing is signed while the certificate has long to run');

    clock = first - 10 * DAY;
    // Meanwhile the device renewed its publish certificate, as GET /api/account asked it to.
    const publish = issueCertificate(p.key, { subject: before.delegate, capability: 'publish', resource: `ap://${p.did}`, expires: clock + 30 * DAY });
    assert.equal(n.accounts.status(p.account()).renew, true);
    await n.accounts.renew(p.account(), publish.doc);
    const status = await n.accounts.checkIn(p.account());
    assert.equal(status.renew, false);
    assert.notEqual(p.account().accountCertificate, before.accountCertificate, 'a new account certificate');
    assert.ok(n.node.store.devices.byDid(p.did)!.expires > first, "the account's device stays paired past the old end");
    syncScope(n, v, p.did);
    assert.equal(v.node.store.accountVouches.rootOf(p.did, first + DAY), n.node.did, "other nodes see the vouch hold past the old certificate's end");
  } finally {
    for (const s of [n, v]) s.close();
  }
});
