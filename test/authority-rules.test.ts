import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Store } from '../src/store/store.js';
import { Ingestor } from '../src/store/ingest.js';
import { openDatabase, schemaVersion } from '../src/store/database.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { generateKeyPair, type Ed25519KeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { signDocument } from '../src/core/proof.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { issueCertificate, type Certificate } from '../src/core/certificate.js';
import { issueRevocation } from '../src/core/revocation.js';
import { outboxId } from '../src/core/apid.js';
import { CERTIFICATES_PER_ISSUER_AND_SUBJECT, CHAINS_PER_CHECK } from '../src/core/constants.js';
import { KithError } from '../src/core/errors.js';
import type { ApId, Did, Digest, JsonObject } from '../src/core/types.js';
import { canonicalize } from '../src/core/jcs.js';
import { examineObject } from '../src/core/examine.js';
import { KithNode } from '../src/node/kith-node.js';
import { OwnerDevices } from '../src/node/owner-devices.js';
import { NetworkLink } from '../src/node/network-link.js';
import type { PairRequest } from '../src/node/devices.js';
import { pairRequest } from './device-client.js';
import { tempDir, refusedWith, rejectsWith } from './helpers.js';

/**
 * The rules of authority as the store applies them (README, "Removing a
 * device"): a revoked key adds nothing new whatever time it claims; what a
 * node held before the revocation reached it stays, unless signed at or
 * after the cut-off; a key holds a bounded number of certificates per issuer.
 * test/attack-authority.test.ts plays the same attacks against running nodes.
 */

interface Person {
  key: Ed25519KeyPair;
  did: Did;
}

function person(): Person {
  const key = generateKeyPair();
  return { key, did: didFromPublicKey(key.publicKey) };
}

const HOUR = 3600_000;

function post(owner: Person, text: string, signer: Ed25519KeyPair, at: number): JsonObject {
  return signDocument(buildCreate(owner.did, buildNote(owner.did, { text }, at), at), signer, { created: new Date(at) });
}

function deviceCertificate(owner: Person, device: Person, expires = Date.now() + HOUR): Certificate {
  // Paired two hours ago, so the posts below fall inside its window.
  return issueCertificate(owner.key, {
    subject: device.did,
    capability: ['publish'],
    resource: `ap://${owner.did}`,
    notBefore: Date.now() - 2 * HOUR,
    expires,
  });
}

/** Every row of every table ingest writes: "nothing changed" means this is equal. */
function snapshot(store: Store): string {
  const tables = ['objects', 'embedded', 'certificates', 'revocations'];
  return JSON.stringify(tables.map((t) => store.db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()));
}

test('a revoked device key adds nothing new whatever time it claims; what was stored before stays unless signed after the cut-off', () => {
  const store = Store.open(join(tempDir(), 'kith.db'));
  const ingest = new Ingestor(store);
  const alice = person();
  const phone = person();
  const now = Date.now();
  const cert = deviceCertificate(alice, phone);
  ingest.ingest(cert.doc as JsonObject);
  // Two posts signed honestly on the phone, stored before anyone knew it was lost; and its chain judged, so a verdict is kept.
  const early = ingest.ingest(post(alice, 'an hour ago', phone.key, now - 50 * 60_000));
  const late = ingest.ingest(post(alice, 'ten minutes ago', phone.key, now - 10 * 60_000));
  const row = (d: Digest) => store.objects.byDigest(d)!;
  assert.equal(ingest.stillValid(row(early.digest)), true);
  assert.equal(ingest.stillValid(row(late.digest)), true);

  // The phone was stolen half an hour ago: the revocation says so.
  ingest.ingest(issueRevocation(alice.key, { certificate: cert.digest }, { from: now - 30 * 60_000 }).doc as JsonObject);
  assert.equal(ingest.stillValid(row(early.digest)), true, 'signed before the cut-off and stored before the revocation: it stays');
  assert.equal(ingest.stillValid(row(late.digest)), false, 'signed after the cut-off: void though it was stored earlier');

  // Whoever holds the key now backdates: before the cut-off, before the certificate was even revoked.
  const before = snapshot(store);
  refusedWith(() => ingest.ingest(post(alice, 'backdated', phone.key, now - 40 * 60_000)), 'revoked', /nothing new signed with it is taken in/);
  refusedWith(() => ingest.ingest(post(alice, 'backdated further', phone.key, now - 55 * 60_000)), 'revoked');
  refusedWith(() => ingest.ingest(post(alice, 'after the cut-off', phone.key, now - 60_000)), 'revoked', /cut-off/);
  for (const r of ingest.ingestMany([JSON.stringify(post(alice, 'in a batch', phone.key, now - 45 * 60_000))])) {
    assert.ok(r instanceof KithError && r.code === 'revoked', 'a batch refuses it too');
  }
  assert.equal(snapshot(store), before, 'refusals change nothing');

  // A store written by a version without this rule may hold such a post, taken in after the revocation: it is not served.
  const slipped = examineObject(post(alice, 'taken in by an older Kith', phone.key, now - 45 * 60_000), ingest.limits);
  store.transaction(() => store.objects.insert(slipped, now));
  assert.equal(ingest.stillValid(row(slipped.digest)), false, 'it reached this node after the revocation');
  assert.equal(ingest.stillValid(row(early.digest)), true);
  store.close();
});

test("a person's own backup keeps its order: posts a removed device made before its removal come back, and stay valid", () => {
  const alice = person();
  const phone = person();
  const now = Date.now();
  const cert = deviceCertificate(alice, phone);
  const revocation = issueRevocation(alice.key, { certificate: cert.digest }, { from: now - 10 * 60_000 });
  const honest = post(alice, 'from the phone, before it was removed', phone.key, now - 20 * 60_000);
  const inputs = [cert.doc, honest, revocation.doc].map((d) => JSON.stringify(d));

  // From a peer, in one batch: the revocation goes first, and the post is refused (a node cannot tell it from a backdated one).
  const peerStore = Store.open(join(tempDir(), 'kith.db'));
  const fromPeer = new Ingestor(peerStore).ingestMany(inputs);
  assert.ok(fromPeer[1] instanceof KithError && fromPeer[1].code === 'revoked');
  peerStore.close();

  // From the person's own signed backup, which vouches that the post came before the revocation.
  const store = Store.open(join(tempDir(), 'kith.db'));
  const ingest = new Ingestor(store);
  const restored = ingest.ingestMany(inputs, undefined, { revocationsLast: true });
  assert.deepEqual(
    restored.map((r) => (r instanceof KithError ? r.code : r.status)),
    ['stored', 'stored', 'stored'],
  );
  const kept = store.objects.byId(honest.id as ApId)!;
  assert.equal(ingest.stillValid(kept), true);
  refusedWith(() => ingest.ingest(post(alice, 'and then, backdated', phone.key, now - 20 * 60_000)), 'revoked');
  store.close();
});

test('a key holds at most the capped number of unexpired certificates from one issuer; past it one is refused and nothing changes', () => {
  const store = Store.open(join(tempDir(), 'kith.db'));
  const ingest = new Ingestor(store);
  const cap = CERTIFICATES_PER_ISSUER_AND_SUBJECT;
  const alice = person();
  const phone = person();
  const now = Date.now();
  const certs = Array.from({ length: cap + 5 }, (_, i) => deviceCertificate(alice, phone, now + HOUR + i * 1000));
  // One batch, as a sync delivers them: the certificates admitted in it count too.
  const results = ingest.ingestMany(certs.slice(0, cap + 2).map((c) => JSON.stringify(c.doc)));
  assert.equal(results.filter((r) => !(r instanceof KithError)).length, cap);
  for (const r of results.slice(cap)) {
    assert.ok(r instanceof KithError && r.code === 'conflict', `refused past the cap: ${String(r)}`);
    assert.match(r.message, new RegExp(`at most ${cap} certificates from one issuer`));
  }
  // One at a time, as live push delivers them.
  const before = snapshot(store);
  refusedWith(() => ingest.ingest(certs[cap + 3]!.doc as JsonObject), 'conflict');
  assert.equal(snapshot(store), before);
  // One that ran out before it arrived (history, as a sync of an old scope brings it) never counts: it is kept.
  const ranOut = issueCertificate(
    alice.key,
    { subject: phone.did, capability: ['publish'], resource: `ap://${alice.did}`, expires: now - HOUR },
    { now: now - 3 * HOUR },
  );
  assert.equal(ingest.ingest(ranOut.doc as JsonObject).status, 'stored');
  // One already held is no new certificate: a duplicate, not a refusal.
  assert.equal(ingest.ingest(certs[0]!.doc as JsonObject).status, 'duplicate');
  // Another issuer, or another key, has its own allowance.
  const bob = person();
  assert.equal(ingest.ingest(deviceCertificate(bob, phone).doc as JsonObject).status, 'stored');
  assert.equal(ingest.ingest(deviceCertificate(alice, person()).doc as JsonObject).status, 'stored');
  const counted = new Map(store.refusals.list().map((r) => [r.code, r.count]));
  assert.equal(counted.get('conflict'), 3);
  // And the phone still signs for alice.
  assert.equal(ingest.ingest(post(alice, 'still mine', phone.key, now)).status, 'stored');
  store.close();
});

test('certificates stored by an older Kith: the migration finds each chain its root, a check weighs a bounded number of chains', () => {
  const dir = tempDir();
  const path = join(dir, 'kith.db');
  const alice = person();
  const moderator = person();
  const member = person();
  const now = Date.now();
  const first = issueCertificate(alice.key, {
    subject: moderator.did,
    capability: ['delegate', 'publish'],
    resource: `ap://${alice.did}`,
    expires: now + HOUR,
  });
  const second = issueCertificate(moderator.key, {
    subject: member.did,
    capability: ['publish'],
    resource: `ap://${alice.did}`,
    expires: now + HOUR,
    parent: first,
  });
  // More certificates for one key than a check weighs, from before the cap: written as schema 4 held them.
  const flood = Array.from({ length: CHAINS_PER_CHECK + 20 }, (_, i) => deviceCertificate(alice, member, now + 2 * HOUR + i * 1000));
  const old = openDatabase(path, MIGRATIONS.slice(0, 4));
  const scope = Number(old.prepare('INSERT INTO scopes (name) VALUES (?)').run(outboxId(alice.did)).lastInsertRowid);
  const modScope = Number(old.prepare('INSERT INTO scopes (name) VALUES (?)').run(outboxId(moderator.did)).lastInsertRowid);
  for (const c of [first, second, ...flood]) {
    const n = old
      .prepare('INSERT INTO objects (digest, id, owner, signer, type, scope, created, received, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        Buffer.from(c.digest, 'hex'),
        c.id,
        c.issuer,
        c.issuer,
        'KithCertificate',
        c.issuer === alice.did ? scope : modScope,
        c.notBefore,
        now,
        canonicalize(c.doc),
      );
    old
      .prepare('INSERT INTO certificates (object, digest, issuer, subject, parent, not_before, expires) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(n.lastInsertRowid, c.digest, c.issuer, c.subject, c.parent ?? null, c.notBefore, c.expires);
  }
  old.close();

  const store = Store.open(path);
  assert.equal(schemaVersion(store.db), MIGRATIONS.at(-1)!.version);
  const rootOf = (d: Digest) => store.db.prepare('SELECT root FROM certificates WHERE digest = ?').pluck().get(d);
  assert.equal(rootOf(first.digest), alice.did);
  assert.equal(rootOf(second.digest), alice.did, 'a second link finds the root of its first');
  const chains = store.authority.chains(member.did, alice.did, 8);
  assert.equal(chains.length, CHAINS_PER_CHECK, 'a check weighs a bounded number of chains, those that expire last');
  assert.ok(chains.every((c) => c.length === 1 && c[0]!.expires >= now + 2 * HOUR));
  const ingest = new Ingestor(store);
  assert.equal(ingest.ingest(post(alice, 'by a member', member.key, now)).status, 'stored');
  store.close();
});

test('a link that arrives before its parent gets its root when the parent comes; a rolled-back certificate leaves no verdict behind', () => {
  const store = Store.open(join(tempDir(), 'kith.db'));
  const ingest = new Ingestor(store);
  const alice = person();
  const moderator = person();
  const member = person();
  const now = Date.now();
  const first = issueCertificate(alice.key, {
    subject: moderator.did,
    capability: ['delegate', 'publish'],
    resource: `ap://${alice.did}`,
    expires: now + HOUR,
  });
  const second = issueCertificate(moderator.key, {
    subject: member.did,
    capability: ['publish'],
    resource: `ap://${alice.did}`,
    expires: now + HOUR,
    parent: first,
  });
  ingest.ingest(second.doc as JsonObject);
  refusedWith(() => ingest.ingest(post(alice, 'too soon', member.key, now)), 'wrong-key', /no certificate/);
  ingest.ingest(first.doc as JsonObject);
  assert.equal(ingest.ingest(post(alice, 'now it holds', member.key, now)).status, 'stored');

  // A certificate written in a transaction that is rolled back: what was judged inside it is not remembered.
  const phone = person();
  assert.throws(
    () =>
      store.transaction(() => {
        ingest.ingestMany([JSON.stringify(deviceCertificate(alice, phone).doc), JSON.stringify(post(alice, 'inside', phone.key, now))]);
        throw new Error('roll back');
      }),
    /roll back/,
  );
  refusedWith(() => ingest.ingest(post(alice, 'outside', phone.key, now)), 'wrong-key');
  store.close();
});

test('removing a device with a cut-off: a real time, no later than now, becomes the revocation’s cut-off', async () => {
  const { node } = KithNode.init(tempDir());
  try {
    const devices = new OwnerDevices(node, new NetworkLink());
    const pair = () => {
      const offer = devices.offer('http://127.0.0.1:1');
      return devices.pair(pairRequest(generateKeyPair(), offer.code, 'Phone') as unknown as PairRequest, '127.0.0.1');
    };
    const { device } = await pair();
    const before = snapshot(node.store);
    await rejectsWith(devices.revoke(device.id, 'yesterday at two'), 'malformed', /date and time with its zone/);
    await rejectsWith(devices.revoke(device.id, new Date(Date.now() + HOUR).toISOString()), 'malformed', /later than now/);
    assert.equal(snapshot(node.store), before, 'a refused removal changes nothing');
    assert.equal(node.store.devices.get(device.id)!.revoked, null);

    const cutOff = '2020-06-01T16:00:00+02:00';
    await devices.revoke(device.id, cutOff);
    const effective = node.store.db.prepare('SELECT effective FROM revocations').pluck().all();
    assert.deepEqual(effective, [Date.parse(cutOff)]);
    // Without one, the cut-off is the moment of removal.
    const second = await pair();
    const removedAt = Date.now();
    await devices.revoke(second.device.id);
    const latest = node.store.db.prepare('SELECT effective FROM revocations ORDER BY object DESC LIMIT 1').pluck().get() as number;
    assert.ok(latest <= removedAt && removedAt - latest < 5000, `cut-off ${latest} at the removal ${removedAt}`);
  } finally {
    node.close();
  }
});
