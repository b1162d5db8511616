// Signed statements made in the browser with the device key, for a hosted
// account: its publish certificate for the node's key, and revocations.
// They are W3C Data Integrity proofs with eddsa-jcs-2022, byte for byte as
// src/core/proof.ts, certificate.ts and revocation.ts make them: the
// signature covers SHA-256(JCS(proof config)) followed by
// SHA-256(JCS(document)). JCS, SHA-256 and base58btc come from maintained
// libraries (canonicalize, @noble/hashes, @scure/base), loaded only here.

import { signBytes } from './device-key.js';

const STATEMENT_CONTEXT = ['https://www.w3.org/ns/activitystreams', 'https://w3id.org/security/data-integrity/v1'];
/** Multicodec prefix of an Ed25519 public key, as did:key spells it. */
const ED25519_PUB = [0xed, 0x01];

let libs;
function load() {
  libs ??= Promise.all([import('/vendor/canonicalize.mjs'), import('/vendor/noble-hashes/sha2.js'), import('/vendor/scure-base.mjs')]).then(
    ([jcs, { sha256 }, { base58, base64urlnopad }]) => ({ canonicalize: jcs.default, sha256, base58, base64urlnopad }),
  );
  return libs;
}

/** The did:key of a base64url Ed25519 public key. */
export async function didOfKey(publicKey) {
  const { base58, base64urlnopad } = await load();
  return `did:key:z${base58.encode(Uint8Array.from([...ED25519_PUB, ...base64urlnopad.decode(publicKey)]))}`;
}

/** ISO 8601 UTC to the second, as statements carry times. */
function isoSeconds(ms) {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A lower-case UUID v4, for a statement's id (crypto.randomUUID exists only in a secure context). */
function uuid() {
  if (globalThis.crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** `doc` signed with `key` (the stored device key): a new object carrying the proof. */
export async function signDocument(key, doc, { created, proofPurpose }) {
  const { canonicalize, sha256, base58 } = await load();
  const did = await didOfKey(key.publicKey);
  // Member order as src/core/proof.ts writes it; JCS sorts them for the signature anyway.
  const proofConfig = {
    type: 'DataIntegrityProof',
    cryptosuite: 'eddsa-jcs-2022',
    created,
    verificationMethod: `${did}#${did.slice('did:key:'.length)}`,
    proofPurpose,
  };
  if (doc['@context'] !== undefined) proofConfig['@context'] = doc['@context'];
  const text = (v) => new TextEncoder().encode(canonicalize(v));
  const hash = new Uint8Array(64);
  hash.set(sha256(text(proofConfig)), 0);
  hash.set(sha256(text(doc)), 32);
  const signature = await signBytes(key, hash);
  return { ...doc, proof: { ...proofConfig, proofValue: `z${base58.encode(signature)}` } };
}

/**
 * A certificate letting the node's key (terms.delegate, from POST /api/accounts/claim)
 * publish in the account's name until terms.expires. It starts a few minutes back,
 * so a phone whose clock runs a little ahead of the node's is not refused as not yet valid.
 */
export async function publishCertificate(key, terms, now = Date.now()) {
  const issuer = await didOfKey(key.publicKey);
  const doc = {
    '@context': [...STATEMENT_CONTEXT],
    type: 'KithCertificate',
    id: `ap://${issuer}/certs/${uuid()}`,
    issuer,
    subject: terms.delegate,
    capability: [...new Set(terms.capability)].sort(),
    resource: terms.resource,
    notBefore: isoSeconds(now - 5 * 60_000),
    expires: isoSeconds(Date.parse(terms.expires)),
  };
  return signDocument(key, doc, { created: isoSeconds(now), proofPurpose: 'capabilityDelegation' });
}

/** Revokes every certificate the account gave `subject` (the node's key): from now on nothing that key signs for it is taken in. */
export async function revokeSubject(key, subject, now = Date.now()) {
  const issuer = await didOfKey(key.publicKey);
  const doc = {
    '@context': [...STATEMENT_CONTEXT],
    type: 'KithRevocation',
    id: `ap://${issuer}/revocations/${uuid()}`,
    issuer,
    subject,
    root: issuer,
    from: isoSeconds(now),
  };
  return signDocument(key, doc, { created: isoSeconds(now), proofPurpose: 'assertionMethod' });
}
