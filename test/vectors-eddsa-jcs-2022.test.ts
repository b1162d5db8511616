import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readVector, readVectorJson, refusedWith } from './helpers.js';
import { keyPairFromSeed, sign, verify } from '../src/core/ed25519.js';
import { concatBytes, sha256, toHex, fromHex } from '../src/core/bytes.js';
import { canonicalize } from '../src/core/jcs.js';
import { decodeBase58btc, encodeBase58btc } from '../src/core/multibase.js';
import { didFromPublicKey, ed25519Multikey, seedFromPrivateMultikey, verificationMethodOf } from '../src/core/didkey.js';
import { signDocument, verifyDocument } from '../src/core/proof.js';
import type { ErrorCode } from '../src/core/errors.js';
import type { Json, JsonObject, VerificationMethodId } from '../src/core/types.js';

/** W3C vc-di-eddsa test vectors for eddsa-jcs-2022, read as published. */

const dir = 'eddsa-jcs-2022';
const keyPairJson = readVectorJson<{ publicKeyMultibase: string; privateKeyMultibase: string }>(`${dir}/keyPair.json`);
const unsigned = readVectorJson<JsonObject>(`${dir}/unsigned.json`);
const proofConfig = readVectorJson<JsonObject>(`${dir}/proofConfigJCS.json`);
const signedText = readVector(`${dir}/signedJCS.json`);
const signed = JSON.parse(signedText) as JsonObject;
/** The .txt vectors may end in whitespace (a newline); it is not part of the value. */
const txt = (name: string): string => readVector(`${dir}/${name}`).trim();

const key = keyPairFromSeed(seedFromPrivateMultikey(keyPairJson.privateKeyMultibase));
const did = didFromPublicKey(key.publicKey);

test('eddsa-jcs-2022 key: the private multikey gives the published public multikey', () => {
  assert.equal(ed25519Multikey(key.publicKey), keyPairJson.publicKeyMultibase);
  assert.equal(did, `did:key:${keyPairJson.publicKeyMultibase}`);
  assert.equal(verificationMethodOf(did), proofConfig['verificationMethod']);
});

test('eddsa-jcs-2022: canonical forms, hashes and signature of the vector', () => {
  const canonDoc = canonicalize(unsigned);
  assert.equal(canonDoc, txt('canonDocJCS.txt'), 'canonical unsigned document');
  const canonProof = canonicalize(proofConfig);
  assert.equal(canonProof, txt('proofCanonJCS.txt'), 'canonical proof configuration');

  const docHash = sha256(canonDoc);
  const proofHash = sha256(canonProof);
  assert.equal(toHex(docHash), txt('docHashJCS.txt'), 'SHA-256 of the canonical document');
  assert.equal(toHex(proofHash), txt('proofHashJCS.txt'), 'SHA-256 of the canonical proof configuration');
  const combined = concatBytes(proofHash, docHash);
  assert.equal(toHex(combined), txt('combinedHashJCS.txt'), 'proof hash followed by document hash');

  const signature = sign(key, combined);
  assert.equal(toHex(signature), txt('sigHexJCS.txt'), 'Ed25519 signature (deterministic)');
  assert.equal(encodeBase58btc(signature), txt('sigBTC58JCS.txt'), 'multibase base58btc signature');
  assert.deepEqual(decodeBase58btc(txt('sigBTC58JCS.txt')), fromHex(txt('sigHexJCS.txt')));
  assert.ok(verify(key.publicKey, combined, signature));
  assert.equal((signed['proof'] as JsonObject)['proofValue'], txt('sigBTC58JCS.txt'));
});

test('eddsa-jcs-2022: signing unsigned.json gives signedJCS.json byte for byte', () => {
  const created = proofConfig['created'];
  const verificationMethod = proofConfig['verificationMethod'];
  assert.equal(typeof created, 'string');
  assert.equal(typeof verificationMethod, 'string');
  const out = signDocument(unsigned, key, {
    created: created as string,
    verificationMethod: verificationMethod as VerificationMethodId,
  });
  assert.equal(JSON.stringify(out, null, 2), signedText);
  // The input was not changed.
  assert.equal('proof' in unsigned, false);
});

test('eddsa-jcs-2022: signedJCS.json verifies, signer is the did:key', () => {
  const r = verifyDocument(signed);
  assert.equal(r.signer, did);
  assert.deepEqual(r.publicKey, key.publicKey);
  assert.equal(r.proofPurpose, 'assertionMethod');
  assert.equal(r.created, Date.parse(proofConfig['created'] as string));
  assert.equal(r.canonical, canonicalize(signed));
  assert.equal(r.digest, toHex(sha256(canonicalize(signed))));
  // Also with the purpose asked for.
  assert.equal(verifyDocument(signed, { proofPurpose: 'assertionMethod' }).signer, did);
});

/** Every leaf of a JSON value, as a path of keys and indexes. */
function leaves(v: Json, path: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, [...path, i]));
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, k]));
  return [path];
}

function getAt(v: Json, path: Array<string | number>): Json {
  let cur: any = v;
  for (const p of path) cur = cur[p];
  return cur as Json;
}

function setAt(v: Json, path: Array<string | number>, value: Json): void {
  let cur: any = v;
  for (const p of path.slice(0, -1)) cur = cur[p];
  cur[path[path.length - 1]!] = value;
}

const clone = <T>(v: T): T => structuredClone(v);
const other = keyPairFromSeed(sha256('another signer'));
const otherVm = verificationMethodOf(didFromPublicKey(other.publicKey));

/** A change to a leaf that keeps the value well formed, so only the signature can catch it. */
function changed(path: Array<string | number>, value: Json): Json {
  const p = path.join('.');
  if (p === 'proof.verificationMethod') return otherVm;
  if (p === 'proof.created') return new Date(Date.parse(value as string) + 1000).toISOString().replace(/\.000Z$/, 'Z');
  if (p === 'proof.proofValue') {
    const sig = decodeBase58btc(value as string);
    sig[0] = sig[0]! ^ 0x01;
    return encodeBase58btc(sig);
  }
  if (typeof value === 'string') return value + 'x';
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'boolean') return !value;
  return 'changed';
}

function expectCode(doc: unknown, code: ErrorCode, label: string): void {
  refusedWith(() => verifyDocument(doc), code, undefined, label);
}

test('eddsa-jcs-2022: changing any single field of the document or proof is refused', (t) => {
  const paths = leaves(signed);
  assert.ok(paths.length > 15, 'the signed vector has many fields');
  let n = 0;
  for (const path of paths) {
    const doc = clone(signed);
    const before = getAt(doc, path);
    const after = changed(path, before);
    assert.notDeepEqual(after, before);
    setAt(doc, path, after);
    const p = path.join('.');
    const code: ErrorCode = p === 'proof.type' || p === 'proof.cryptosuite' ? 'unknown-cryptosuite' : 'bad-signature';
    expectCode(doc, code, `changed ${p}`);
    n++;
  }
  // Removing or adding a member of the document, or removing a signed member of the proof.
  for (const k of Object.keys(signed).filter((k) => k !== 'proof')) {
    const doc = clone(signed);
    delete doc[k];
    expectCode(doc, 'bad-signature', `removed ${k}`);
    n++;
  }
  {
    const doc = clone(signed);
    doc['extra'] = 'added';
    expectCode(doc, 'bad-signature', 'added a member');
    n++;
  }
  for (const k of ['created', '@context']) {
    const doc = clone(signed);
    delete (doc['proof'] as JsonObject)[k];
    expectCode(doc, 'bad-signature', `removed proof.${k}`);
    n++;
  }
  {
    const doc = clone(signed);
    (doc['proof'] as JsonObject)['expires'] = '2999-01-01T00:00:00Z';
    expectCode(doc, 'bad-signature', 'added proof.expires');
    n++;
  }
  t.diagnostic(`${n} single changes refused`);
  // And the untouched clone still verifies, so the refusals come from the changes.
  assert.equal(verifyDocument(clone(signed)).signer, did);
});
