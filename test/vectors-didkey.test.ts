import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readVectorJson, refusedWith } from './helpers.js';
import { keyPairFromSeed } from '../src/core/ed25519.js';
import { fromHex } from '../src/core/bytes.js';
import { decodeBase58, encodeBase58 } from '../src/core/multibase.js';
import {
  didFromPublicKey,
  ed25519Multikey,
  parseDid,
  publicKeyFromDid,
  resolveDidKeyDocument,
  resolveVerificationMethod,
  verificationMethodOf,
  x25519Multikey,
  x25519PrivateFromEd25519Seed,
  x25519PublicFromEd25519,
} from '../src/core/didkey.js';

/** did:key test vectors (w3c-ccg/did-method-key test-vectors/), read as published. */

interface Jwk {
  kty: string;
  crv: string;
  x: string;
  d?: string;
}
interface VectorKeyPair {
  id: string;
  type: string;
  controller: string;
  publicKeyBase58?: string;
  privateKeyBase58?: string;
  publicKeyJwk?: Jwk;
  privateKeyJwk?: Jwk;
}
interface Ed25519Entry {
  seed: string;
  verificationKeyPair: VectorKeyPair;
  keyAgreementKeyPair: VectorKeyPair;
  didDocument: { verificationMethod: Array<{ type: string }> } & Record<string, unknown>;
}

const edVectors = readVectorJson<Record<string, Ed25519Entry>>('did-key/ed25519-x25519.json');
const xVectors = readVectorJson<{ didDocument: Record<string, { verificationMethod: Array<{ type: string }> }> }>('did-key/x25519.json');

const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

/**
 * The did:key method resolves a DID to one of several document
 * representations, chosen by the resolver's publicKeyFormat option; the
 * vectors hold documents in two of them. Which representation an entry uses is
 * an input to the resolver, read from the entry; every value in it is computed.
 */
function formatOf(doc: { verificationMethod: Array<{ type: string }> }): 'JsonWebKey2020' | undefined {
  return doc.verificationMethod[0]?.type === 'JsonWebKey2020' ? 'JsonWebKey2020' : undefined;
}

/** A vector key pair holds its keys either as base58 or as JWK; check whichever it has (the private key where given). */
function checkKeyPair(
  label: string,
  kp: VectorKeyPair,
  crv: 'Ed25519' | 'X25519',
  publicKey: Uint8Array,
  privateKey: Uint8Array,
  fragment: string,
  did: string,
): { publicChecked: boolean; privateChecked: boolean } {
  assert.equal(kp.controller, did, `${label}: controller`);
  assert.ok(kp.id === `#${fragment}` || kp.id === `${did}#${fragment}`, `${label}: id ${kp.id} names ${fragment}`);
  let pubs = 0;
  let privs = 0;
  if (kp.publicKeyBase58 !== undefined) {
    assert.equal(encodeBase58(publicKey), kp.publicKeyBase58, `${label}: publicKeyBase58`);
    assert.deepEqual(decodeBase58(kp.publicKeyBase58), publicKey);
    pubs++;
  }
  if (kp.privateKeyBase58 !== undefined) {
    assert.equal(encodeBase58(privateKey), kp.privateKeyBase58, `${label}: privateKeyBase58`);
    privs++;
  }
  if (kp.publicKeyJwk !== undefined) {
    assert.deepEqual(kp.publicKeyJwk, { kty: 'OKP', crv, x: b64url(publicKey) }, `${label}: publicKeyJwk`);
    pubs++;
  }
  if (kp.privateKeyJwk !== undefined) {
    assert.deepEqual(kp.privateKeyJwk, { kty: 'OKP', crv, x: b64url(publicKey), d: b64url(privateKey) }, `${label}: privateKeyJwk`);
    privs++;
  }
  assert.ok(pubs > 0, `${label}: the vector gives a public key`);
  return { publicChecked: pubs > 0, privateChecked: privs > 0 };
}

test('did-key/ed25519-x25519.json has entries', () => {
  assert.ok(Object.keys(edVectors).length > 0);
});

for (const [did, entry] of Object.entries(edVectors)) {
  test(`did:key vector ${did}: keys, DID, X25519 keys and DID document from the seed`, () => {
    const kp = keyPairFromSeed(fromHex(entry.seed));
    assert.equal(kp.publicKey.length, 32);
    assert.equal(didFromPublicKey(kp.publicKey), did, 'didFromPublicKey gives the vector DID');
    assert.equal(`did:key:${ed25519Multikey(kp.publicKey)}`, did);
    assert.equal(parseDid(did), did);
    assert.deepEqual(publicKeyFromDid(did), kp.publicKey, 'publicKeyFromDid inverts didFromPublicKey');

    checkKeyPair(`${did} verificationKeyPair`, entry.verificationKeyPair, 'Ed25519', kp.publicKey, kp.seed, ed25519Multikey(kp.publicKey), did);

    const xPub = x25519PublicFromEd25519(kp.publicKey);
    const xPriv = x25519PrivateFromEd25519Seed(kp.seed);
    assert.equal(xPub.length, 32);
    assert.equal(xPriv.length, 32);
    const ka = checkKeyPair(`${did} keyAgreementKeyPair`, entry.keyAgreementKeyPair, 'X25519', xPub, xPriv, x25519Multikey(xPub), did);
    assert.ok(ka.privateChecked, 'the vector gives the X25519 private key, and it was compared');

    const format = formatOf(entry.didDocument);
    assert.deepEqual(resolveDidKeyDocument(did, { publicKeyFormat: format }), entry.didDocument, 'resolved DID document');
  });
}

test('the X25519 key agreement keys of the did:key vectors agree with each other (Diffie-Hellman)', async () => {
  const { x25519 } = await import('@noble/curves/ed25519.js');
  const entries = Object.values(edVectors);
  assert.ok(entries.length >= 2);
  const keys = entries.map((e) => {
    const kp = keyPairFromSeed(fromHex(e.seed));
    return { pub: x25519PublicFromEd25519(kp.publicKey), priv: x25519PrivateFromEd25519Seed(kp.seed) };
  });
  for (let i = 0; i + 1 < keys.length; i++) {
    const a = keys[i]!;
    const b = keys[i + 1]!;
    assert.deepEqual(x25519.getPublicKey(a.priv), a.pub, 'private scalar matches public key');
    assert.deepEqual(x25519.getSharedSecret(a.priv, b.pub), x25519.getSharedSecret(b.priv, a.pub));
  }
});

test('did-key/x25519.json has entries', () => {
  assert.ok(Object.keys(xVectors.didDocument).length > 0);
});

for (const [did, doc] of Object.entries(xVectors.didDocument)) {
  test(`did:key vector ${did}: X25519 DID document`, () => {
    assert.deepEqual(resolveDidKeyDocument(did, { publicKeyFormat: formatOf(doc) }), doc);
  });
}

test('an X25519 did:key is not a signing DID', () => {
  const did = Object.keys(xVectors.didDocument)[0]!;
  refusedWith(() => parseDid(did), 'wrong-key', /X25519/);
  refusedWith(() => resolveVerificationMethod(`${did}#${did.slice('did:key:'.length)}`), 'wrong-key');
});

test('resolveVerificationMethod round trips every Ed25519 vector DID', () => {
  for (const [did, entry] of Object.entries(edVectors)) {
    const kp = keyPairFromSeed(fromHex(entry.seed));
    const vm = verificationMethodOf(did as never);
    assert.equal(vm, `${did}#${did.slice('did:key:'.length)}`);
    // The vector document names this DID URL as its assertion method.
    assert.deepEqual(entry.didDocument['assertionMethod'], [vm]);
    const r = resolveVerificationMethod(vm);
    assert.equal(r.did, did);
    assert.deepEqual(r.publicKey, kp.publicKey);
  }
});

test('resolveVerificationMethod refuses a DID URL whose fragment names another key', () => {
  const dids = Object.keys(edVectors);
  assert.ok(dids.length >= 2);
  const [a, b] = dids as [string, string];
  const otherFragment = b.slice('did:key:'.length);
  refusedWith(() => resolveVerificationMethod(`${a}#${otherFragment}`), 'malformed', /fragment/);
  // The key-agreement key is in the document, but it is not a signing key.
  const xFragment = x25519Multikey(x25519PublicFromEd25519(publicKeyFromDid(a)));
  refusedWith(() => resolveVerificationMethod(`${a}#${xFragment}`), 'malformed');
  // No fragment, empty fragment, and not a string.
  refusedWith(() => resolveVerificationMethod(a), 'malformed');
  refusedWith(() => resolveVerificationMethod(`${a}#`), 'malformed');
  refusedWith(() => resolveVerificationMethod(42), 'malformed');
  // A DID whose multicodec prefix is damaged is refused, not resolved to some key.
  const damaged = a.replace('z6Mk', 'z6Mj');
  assert.notEqual(damaged, a);
  refusedWith(() => resolveVerificationMethod(`${damaged}#${damaged.slice('did:key:'.length)}`), 'bad-encoding');
});
