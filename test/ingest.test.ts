import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Store } from '../src/store/store.js';
import { Ingestor } from '../src/store/ingest.js';
import { schemaVersion } from '../src/store/database.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { generateKeyPair, type Ed25519KeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { signDocument } from '../src/core/proof.js';
import { buildActor, buildCreate, buildNote } from '../src/core/as2.js';
import { issueCertificate } from '../src/core/certificate.js';
import { issueRevocation } from '../src/core/revocation.js';
import { outboxId } from '../src/core/apid.js';
import { KithError, type ErrorCode } from '../src/core/errors.js';
import type { Did, JsonObject } from '../src/core/types.js';
import { tempDir, refusedWith } from './helpers.js';

function person(): { key: Ed25519KeyPair; did: Did } {
  const key = generateKeyPair();
  return { key, did: didFromPublicKey(key.publicKey) };
}

function post(p: { key: Ed25519KeyPair; did: Did }, text: string, signer: Ed25519KeyPair = p.key, now = Date.now()): JsonObject {
  return signDocument(buildCreate(p.did, buildNote(p.did, { text }, now), now), signer);
}

function openStore(): Store {
  return Store.open(join(tempDir(), 'kith.db'));
}

/** Every row of every table that holds what was ingested: "nothing changed" means this is equal. */
function snapshot(store: Store): string {
  const tables = ['objects', 'embedded', 'certificates', 'revocations'];
  return JSON.stringify(tables.map((t) => store.db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()));
}

test('the store opens in WAL mode with every migration applied', () => {
  const store = openStore();
  assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(schemaVersion(store.db), MIGRATIONS.at(-1)!.version);
  store.close();
});

test('a signed post is stored once, in its author outbox scope, findable by its ids', () => {
  const store = openStore();
  const ingest = new Ingestor(store);
  const alice = person();
  const create = post(alice, 'hello');
  const r = ingest.ingest(JSON.stringify(create));
  assert.equal(r.status, 'stored');
  assert.equal(r.owner, alice.did);
  assert.equal(r.type, 'Create');
  assert.equal(ingest.ingest(create).status, 'duplicate');
  assert.equal(store.objects.count(), 1);
  const row = store.objects.byId(r.id)!;
  assert.equal(row.scope, outboxId(alice.did));
  assert.equal(row.digest, r.digest);
  const noteId = (create.object as JsonObject).id as string;
  assert.equal(store.objects.carrierOf(noteId as never)?.digest, r.digest);
  store.close();
});

test('bad input is refused with a reason, counted, and leaves the store exactly as it was', () => {
  const store = openStore();
  const ingest = new Ingestor(store, { limits: { maxObjectBytes: 4096, maxDepth: 8, maxMembers: 64, maxStringLength: 2048 } });
  const alice = person();
  const mallory = person();
  ingest.ingest(signDocument(buildActor(alice.did), alice.key));
  ingest.ingest(post(alice, 'first'));
  const before = snapshot(store);

  const good = JSON.stringify(post(alice, 'a post to break'));
  const tampered = JSON.parse(good);
  tampered.object.source.content = 'something else';
  const otherKey = post(alice, 'signed by mallory', mallory.key);
  const unknownSuite = JSON.parse(good);
  unknownSuite.proof.cryptosuite = 'eddsa-rdfc-2022';
  const wrongTypes = JSON.parse(good);
  wrongTypes.type = 42;
  const noProof = JSON.parse(good);
  delete noProof.proof;
  let deep: unknown = 'x';
  for (let i = 0; i < 12; i++) deep = [deep];
  const foreignObject = signDocument(buildCreate(mallory.did, buildNote(alice.did, { text: 'not mine' })), mallory.key);
  const future = post(alice, 'from the future', alice.key, Date.now() + 24 * 3600_000);
  const badReply = signDocument(buildCreate(alice.did, buildNote(alice.did, { text: 'reply', inReplyTo: 'javascript:alert(1)' })), alice.key);

  const cases: [string, unknown, ErrorCode][] = [
    ['truncated', good.slice(0, good.length - 10), 'malformed'],
    ['not JSON', 'hello', 'malformed'],
    ['oversized', JSON.stringify(post(alice, 'x'.repeat(5000))), 'too-large'],
    ['too deep', JSON.stringify({ ...JSON.parse(good), extra: deep }), 'too-large'],
    ['wrong types', JSON.stringify(wrongTypes), 'malformed'],
    ['an array', '[1,2,3]', 'malformed'],
    ['tampered content', JSON.stringify(tampered), 'bad-signature'],
    ['proof from another key', JSON.stringify(otherKey), 'wrong-key'],
    ['unknown cryptosuite', JSON.stringify(unknownSuite), 'unknown-cryptosuite'],
    ['no proof', JSON.stringify(noProof), 'bad-signature'],
    ['creates an object of another identity', JSON.stringify(foreignObject), 'wrong-key'],
    ['dated in the future', JSON.stringify(future), 'not-yet-valid'],
    ['replies to something that is not a link', JSON.stringify(badReply), 'malformed'],
  ];
  for (const [what, input, code] of cases) {
    refusedWith(() => ingest.ingest(input as string), code, undefined, what);
    assert.equal(snapshot(store), before, `${what} changed the store`);
  }
  const counted = new Map(store.refusals.list().map((r) => [r.code, r.count]));
  assert.equal(counted.get('malformed'), 5);
  assert.equal(counted.get('bad-signature'), 2);
  assert.equal(counted.get('wrong-key'), 2);
  assert.equal(counted.get('too-large'), 2);
  store.close();
});

test('a device key certified to publish signs for its person; uncertified and revoked keys are refused', () => {
  const store = openStore();
  const now = Date.now();
  const ingest = new Ingestor(store);
  const alice = person();
  const phone = person();
  const stranger = person();

  refusedWith(() => ingest.ingest(post(alice, 'from an uncertified phone', phone.key)), 'wrong-key', /no certificate/);

  const cert = issueCertificate(alice.key, { subject: phone.did, capability: ['publish'], resource: `ap://${alice.did}`, expires: now + 3600_000 });
  assert.equal(ingest.ingest(JSON.stringify(cert.doc)).status, 'stored');
  const r = ingest.ingest(post(alice, 'from my phone', phone.key));
  assert.equal(r.status, 'stored');
  assert.equal(store.objects.byDigest(r.digest)!.signer, phone.did);

  // A certificate for another capability does not let the stranger publish.
  const readOnly = issueCertificate(alice.key, { subject: stranger.did, capability: ['read'], resource: `ap://${alice.did}`, expires: now + 3600_000 });
  ingest.ingest(readOnly.doc as JsonObject);
  refusedWith(() => ingest.ingest(post(alice, 'not allowed', stranger.key)), 'unauthorized');

  // Revoke the phone: what it signs from then on is refused; what it signed before stays.
  const revocation = issueRevocation(alice.key, { certificate: cert.digest }, { from: now - 1000 });
  ingest.ingest(revocation.doc as JsonObject);
  const before = snapshot(store);
  refusedWith(() => ingest.ingest(post(alice, 'after revocation', phone.key)), 'revoked');
  assert.equal(snapshot(store), before);
  assert.ok(store.objects.byDigest(r.digest));
  store.close();
});

test('checked again on the way out: a revocation that arrives later, dated before an object, voids it for serving', () => {
  const store = openStore();
  const now = Date.now();
  const ingest = new Ingestor(store);
  const alice = person();
  const phone = person();
  const cert = issueCertificate(alice.key, { subject: phone.did, capability: ['publish'], resource: `ap://${alice.did}`, expires: now + 3600_000 });
  ingest.ingest(cert.doc as JsonObject);
  const own = ingest.ingest(post(alice, 'signed by alice herself'));
  const byPhone = ingest.ingest(post(alice, 'signed by the phone', phone.key));
  const row = (d: string) => store.objects.byDigest(d as never)!;
  assert.equal(ingest.stillValid(row(byPhone.digest)), true);
  // The phone was stolen an hour ago; the revocation says so, and arrives only now.
  ingest.ingest(issueRevocation(alice.key, { certificate: cert.digest }, { from: now - 3600_000 }).doc as JsonObject);
  assert.equal(ingest.stillValid(row(byPhone.digest)), false);
  assert.equal(ingest.stillValid(row(own.digest)), true, "the owner's own objects are unaffected");
  store.close();
});

test('ingestMany refuses each bad item on its own and stores the rest in one go', () => {
  const store = openStore();
  const ingest = new Ingestor(store);
  const alice = person();
  const phone = person();
  const cert = issueCertificate(alice.key, { subject: phone.did, capability: ['publish'], resource: `ap://${alice.did}`, expires: Date.now() + 3600_000 });
  const posts = Array.from({ length: 5 }, (_, i) => JSON.stringify(post(alice, `post ${i}`)));
  const tampered = posts[2]!.replace('post 2', 'post X');
  // The device's post comes before its certificate in the batch: certificates are taken first.
  const results = ingest.ingestMany([
    posts[0]!,
    JSON.stringify(post(alice, 'phone', phone.key)),
    tampered,
    posts[1]!,
    JSON.stringify(cert.doc),
    '{',
    posts[0]!,
  ]);
  const codes = results.map((r) => (r instanceof KithError ? r.code : r.status));
  assert.deepEqual(codes, ['stored', 'stored', 'bad-signature', 'stored', 'stored', 'malformed', 'duplicate']);
  assert.equal(store.objects.count(), 4);
  store.close();
});
