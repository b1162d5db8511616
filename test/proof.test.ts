import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyPairFromSeed, sign, type Ed25519KeyPair } from '../src/core/ed25519.js';
import { concatBytes, sha256, sha256Hex } from '../src/core/bytes.js';
import { canonicalize } from '../src/core/jcs.js';
import { decodeBase58btc, encodeBase58btc } from '../src/core/multibase.js';
import { didFromPublicKey, verificationMethodOf, x25519Multikey, x25519PublicFromEd25519 } from '../src/core/didkey.js';
import { CRYPTOSUITE, PROOF_TYPE, digestOf, signDocument, verifyDocument } from '../src/core/proof.js';
import type { ErrorCode } from '../src/core/errors.js';
import { refusedWith } from './helpers.js';
import type { Did, JsonObject } from '../src/core/types.js';

const alice = keyPairFromSeed(sha256('proof test: alice'));
const bob = keyPairFromSeed(sha256('proof test: bob'));
const aliceDid = didFromPublicKey(alice.publicKey);
const bobDid = didFromPublicKey(bob.publicKey);

function note(did: Did): JsonObject {
  return {
    '@context': ['https://www.w3.org/ns/activitystreams', 'https://w3id.org/security/data-integrity/v2'],
    id: `ap://${did}/objects/6f1c1d3e-5a7b-4c1e-9a43-0d2b7c1b9e11`,
    type: 'Note',
    attributedTo: `ap://${did}/actor`,
    content: 'Hello from my phone, signed by my key. ünïcödé ✓',
    published: '2025-03-01T12:00:00Z',
    to: ['https://www.w3.org/ns/activitystreams#Public'],
    tag: [{ type: 'Hashtag', name: '#kith' }],
  };
}

const created = '2025-03-01T12:00:01Z';
const signedNote = signDocument(note(aliceDid), alice, { created });
const clone = <T>(v: T): T => structuredClone(v);
const proofOf = (doc: JsonObject): JsonObject => doc['proof'] as JsonObject;

/** Signs with any proof configuration, by the eddsa-jcs-2022 algorithm itself (checked against the W3C vector elsewhere). */
function signWithConfig(doc: JsonObject, key: Ed25519KeyPair, config: JsonObject): JsonObject {
  const hash = concatBytes(sha256(canonicalize(config)), sha256(canonicalize(doc)));
  return { ...doc, proof: { ...config, proofValue: encodeBase58btc(sign(key, hash)) } };
}

function refused(doc: unknown, code: ErrorCode, message: RegExp, opts?: { now?: number; proofPurpose?: string }): void {
  refusedWith(() => verifyDocument(doc, opts), code, message);
}

test('sign → verify round trip of an ActivityStreams Note', () => {
  const unsigned = note(aliceDid);
  assert.equal('proof' in unsigned, false);
  const proof = proofOf(signedNote);
  assert.equal(proof['type'], PROOF_TYPE);
  assert.equal(proof['cryptosuite'], CRYPTOSUITE);
  assert.equal(proof['created'], created);
  assert.equal(proof['proofPurpose'], 'assertionMethod');
  assert.equal(proof['verificationMethod'], verificationMethodOf(aliceDid));
  assert.deepEqual(proof['@context'], unsigned['@context']);
  assert.equal(decodeBase58btc(proof['proofValue'] as string).length, 64);
  // Every member of the Note is kept as it was.
  for (const [k, v] of Object.entries(unsigned)) assert.deepEqual(signedNote[k], v, k);

  const r = verifyDocument(signedNote);
  assert.equal(r.signer, aliceDid);
  assert.deepEqual(r.publicKey, alice.publicKey);
  assert.equal(r.proofPurpose, 'assertionMethod');
  assert.equal(r.created, Date.parse(created));
  assert.equal(r.canonical, canonicalize(signedNote));
  assert.equal(r.digest, sha256Hex(canonicalize(signedNote)));
  assert.equal(r.digest, digestOf(signedNote));

  // Member order does not matter (JCS); a proof array of one is the same proof.
  const reordered = Object.fromEntries(Object.entries(clone(signedNote)).reverse()) as JsonObject;
  assert.equal(verifyDocument(reordered).signer, aliceDid);
  assert.equal(verifyDocument({ ...clone(signedNote), proof: [clone(proofOf(signedNote))] }).signer, aliceDid);

  // A document with no @context signs and verifies too; created defaults to now, to the second.
  const plain = signDocument({ type: 'Note', content: 'plain' }, bob);
  assert.equal(verifyDocument(plain).signer, bobDid);
  assert.match(proofOf(plain)['created'] as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  assert.ok(Math.abs(Date.parse(proofOf(plain)['created'] as string) - Date.now()) < 5000);
});

test('the signature is deterministic and depends on the key', () => {
  const again = signDocument(note(aliceDid), alice, { created });
  assert.equal(proofOf(again)['proofValue'], proofOf(signedNote)['proofValue']);
  const byBob = signDocument(note(aliceDid), bob, { created });
  assert.notEqual(proofOf(byBob)['proofValue'], proofOf(signedNote)['proofValue']);
  assert.equal(verifyDocument(byBob).signer, bobDid);
});

test('truncated proofValue is refused', () => {
  const doc = clone(signedNote);
  const pv = proofOf(doc)['proofValue'] as string;
  proofOf(doc)['proofValue'] = pv.slice(0, pv.length - 4);
  refused(doc, 'bad-signature', /64-byte/);
});

test('proofValue of the wrong length is refused', () => {
  const sig = decodeBase58btc(proofOf(signedNote)['proofValue'] as string);
  for (const bytes of [concatBytes(sig, Uint8Array.of(0)), sig.subarray(0, 63), new Uint8Array(0)]) {
    const doc = clone(signedNote);
    proofOf(doc)['proofValue'] = encodeBase58btc(bytes);
    refused(doc, 'bad-signature', /64-byte/);
  }
});

test('a proofValue that is not base58btc is refused', () => {
  const pv = proofOf(signedNote)['proofValue'] as string;
  // 0, O, I and l are not in the base58 alphabet.
  for (const bad of [`z0${pv.slice(2)}`, `${pv.slice(0, 10)}O${pv.slice(11)}`, `zIl${pv.slice(3)}`]) {
    const doc = clone(signedNote);
    proofOf(doc)['proofValue'] = bad;
    refused(doc, 'bad-encoding', /base58/);
  }
  // Without the multibase "z", or in another multibase (base64url "u").
  for (const bad of [pv.slice(1), `u${Buffer.from(decodeBase58btc(pv)).toString('base64url')}`]) {
    const doc = clone(signedNote);
    proofOf(doc)['proofValue'] = bad;
    refused(doc, 'bad-encoding', /base58btc/);
  }
  const doc = clone(signedNote);
  proofOf(doc)['proofValue'] = 42;
  refused(doc, 'malformed', /proofValue/);
});

test('tampered content is refused', () => {
  const tampered = clone(signedNote);
  tampered['content'] = 'Hello from my phone, signed by my key. ünïcödé ✗';
  refused(tampered, 'bad-signature', /does not verify/);
  const retargeted = clone(signedNote);
  (retargeted['to'] as string[]).push(`ap://${bobDid}/actor`);
  refused(retargeted, 'bad-signature', /does not verify/);
  const retagged = clone(signedNote);
  ((retagged['tag'] as JsonObject[])[0] as JsonObject)['name'] = '#other';
  refused(retagged, 'bad-signature', /does not verify/);
});

test('a proof claimed for another key is refused', () => {
  // Alice's signature, with the verificationMethod swapped to Bob's did:key.
  const swapped = clone(signedNote);
  proofOf(swapped)['verificationMethod'] = verificationMethodOf(bobDid);
  refused(swapped, 'bad-signature', new RegExp(bobDid));
  // Bob signs Alice's Note but names Alice's key.
  const forged = signDocument(note(aliceDid), bob, { created, verificationMethod: verificationMethodOf(aliceDid) });
  refused(forged, 'bad-signature', new RegExp(aliceDid));
});

test('an unknown cryptosuite is refused', () => {
  for (const suite of ['eddsa-rdfc-2022', 'ecdsa-jcs-2019', 'bbs-2023', '', null]) {
    const doc = clone(signedNote);
    proofOf(doc)['cryptosuite'] = suite;
    refused(doc, 'unknown-cryptosuite', /cryptosuite/);
  }
  const doc = clone(signedNote);
  delete proofOf(doc)['cryptosuite'];
  refused(doc, 'unknown-cryptosuite', /cryptosuite/);
});

test('a wrong proof type is refused', () => {
  for (const type of ['Ed25519Signature2020', 'Ed25519Signature2018', 'dataintegrityproof']) {
    const doc = clone(signedNote);
    proofOf(doc)['type'] = type;
    refused(doc, 'unknown-cryptosuite', /DataIntegrityProof/);
  }
});

test('a missing proof is refused', () => {
  refused(note(aliceDid), 'bad-signature', /no proof/);
});

test('a proof array of 2 is refused', () => {
  const byBob = signDocument(note(aliceDid), bob, { created });
  const doc = { ...clone(signedNote), proof: [clone(proofOf(signedNote)), clone(proofOf(byBob))] };
  refused(doc, 'malformed', /exactly one proof/);
  // Even when both proofs are the same valid one.
  refused({ ...clone(signedNote), proof: [clone(proofOf(signedNote)), clone(proofOf(signedNote))] }, 'malformed', /exactly one proof/);
  refused({ ...clone(signedNote), proof: [] }, 'malformed', /exactly one proof/);
});

test('a proof that is not an object is refused', () => {
  for (const p of ['proof', 7, null]) refused({ ...clone(signedNote), proof: p }, 'malformed', /proof must be an object/);
});

test('a document that is not an object is refused', () => {
  for (const v of [null, undefined, 'a string', 42, true, [clone(signedNote)]]) {
    refused(v, 'malformed', /JSON object/);
  }
});

test('created that is not a date is refused', () => {
  for (const c of ['yesterday', '2025-03-01', '2025-13-45T99:99:99Z', '2025-03-01 12:00:01Z', 1740830401]) {
    const doc = clone(signedNote);
    proofOf(doc)['created'] = c;
    refused(doc, 'malformed', /created/);
  }
  // Even when the bad date is what was signed: hour 25, and days that no month has
  // (which Date.parse alone would roll over into the next month).
  for (const c of ['2025-03-01T25:00:00Z', '2025-02-30T12:00:00Z', '2025-02-29T12:00:00Z', '2025-04-31T00:00:00Z', '2025-00-10T00:00:00Z']) {
    const config: JsonObject = { ...clone(proofOf(signedNote)), created: c };
    delete config['proofValue'];
    refused(signWithConfig(note(aliceDid), alice, config), 'malformed', /created/);
  }
  // A real leap day is a date.
  const leap: JsonObject = { ...clone(proofOf(signedNote)), created: '2024-02-29T12:00:00Z' };
  delete leap['proofValue'];
  assert.equal(verifyDocument(signWithConfig(note(aliceDid), alice, leap)).created, Date.UTC(2024, 1, 29, 12));
});

test('an expired proof is refused; an unexpired one verifies', () => {
  const config: JsonObject = { ...clone(proofOf(signedNote)), expires: '2025-06-01T00:00:00Z' };
  delete config['proofValue'];
  const doc = signWithConfig(note(aliceDid), alice, config);
  // Properly signed with its expiry: valid before it, refused after it.
  assert.equal(verifyDocument(doc, { now: Date.parse('2025-05-31T23:59:59Z') }).signer, aliceDid);
  refused(doc, 'expired', /expired/, { now: Date.parse('2025-06-01T00:00:00Z') });
  refused(doc, 'expired', /expired/); // now is later than 2025
  const bad = clone(doc);
  proofOf(bad)['expires'] = 'soon';
  refused(bad, 'malformed', /expires/);
  proofOf(bad)['expires'] = '2999-02-30T00:00:00Z';
  refused(bad, 'malformed', /expires/);
});

test('a verificationMethod that is not a did:key is refused', () => {
  for (const vm of ['https://example.com/users/alice#main-key', 'did:web:example.com#key-1', `did:example:${aliceDid.slice(8)}#key-1`]) {
    const doc = clone(signedNote);
    proofOf(doc)['verificationMethod'] = vm;
    refused(doc, 'malformed', /did:key/);
  }
  // The DID alone, without naming its key.
  const bare = clone(signedNote);
  proofOf(bare)['verificationMethod'] = aliceDid;
  refused(bare, 'malformed', /fragment/);
  // Its X25519 key-agreement key cannot sign.
  const x = x25519Multikey(x25519PublicFromEd25519(alice.publicKey));
  const xDoc = clone(signedNote);
  proofOf(xDoc)['verificationMethod'] = `did:key:${x}#${x}`;
  refused(xDoc, 'wrong-key', /X25519/);
  const missing = clone(signedNote);
  delete proofOf(missing)['verificationMethod'];
  refused(missing, 'malformed', /verificationMethod/);
});

test('a proof purpose other than the one asked for is refused', () => {
  assert.equal(verifyDocument(signedNote, { proofPurpose: 'assertionMethod' }).signer, aliceDid);
  refused(signedNote, 'wrong-key', /authentication/, { proofPurpose: 'authentication' });
});

test('signing an already-signed document is refused', () => {
  refusedWith(() => signDocument(signedNote, bob, { created }), 'conflict', /already carries a proof/);
  refusedWith(() => signDocument([] as unknown as JsonObject, bob), 'malformed', /JSON object/);
});
