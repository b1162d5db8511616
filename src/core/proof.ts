import { fail } from './errors.js';
import { isoSeconds, parseDateTime, XSD_DATETIME } from './time.js';
import { sha256, sha256Hex, concatBytes } from './bytes.js';
import { canonicalize, canonicalMembers, joinMembers } from './jcs.js';
import { sign, verify, type Ed25519KeyPair, SIGNATURE_LENGTH } from './ed25519.js';
import { decodeBase58btc, encodeBase58btc } from './multibase.js';
import { resolveVerificationMethod, verificationMethodOf, didFromPublicKey } from './didkey.js';
import { isJsonObject, type Did, type Digest, type Json, type JsonObject, type VerificationMethodId } from './types.js';

/**
 * W3C Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite, as
 * FEP-8b32 uses them for ActivityPub objects: the proof is embedded under
 * `proof`, and the signature covers SHA-256(JCS(proof config)) followed by
 * SHA-256(JCS(document without proof)).
 */

export const PROOF_TYPE = 'DataIntegrityProof';
export const CRYPTOSUITE = 'eddsa-jcs-2022';

/** Milliseconds of an XML Schema dateTime, or NaN. Date.parse alone rolls 2025-02-30 over into March. */
export interface SignOptions {
  /** Defaults to now, to the second. */
  created?: Date | string;
  proofPurpose?: string;
  /** Defaults to the did:key DID URL of the signing key. */
  verificationMethod?: VerificationMethodId;
}

function hashData(canonicalProofConfig: string, canonicalDocument: string): Uint8Array {
  return concatBytes(sha256(canonicalProofConfig), sha256(canonicalDocument));
}

/** Signs a document (which must not carry a proof yet) and returns a new, signed document. */
export function signDocument<T extends JsonObject>(doc: T, key: Ed25519KeyPair, opts: SignOptions = {}): T & { proof: JsonObject } {
  if (!isJsonObject(doc)) fail('malformed', 'only a JSON object can be signed');
  if ('proof' in doc) fail('conflict', 'document already carries a proof; Kith signs each object once');
  const created = opts.created === undefined ? isoSeconds(new Date()) : typeof opts.created === 'string' ? opts.created : isoSeconds(opts.created);
  // Member order matches the published vectors so signed output is byte-identical.
  const proofConfig: JsonObject = {
    type: PROOF_TYPE,
    cryptosuite: CRYPTOSUITE,
    created,
    verificationMethod: opts.verificationMethod ?? verificationMethodOf(didFromPublicKey(key.publicKey)),
    proofPurpose: opts.proofPurpose ?? 'assertionMethod',
  };
  if (doc['@context'] !== undefined) proofConfig['@context'] = doc['@context'];
  const signature = sign(key, hashData(canonicalize(proofConfig), canonicalize(doc)));
  return { ...doc, proof: { ...proofConfig, proofValue: encodeBase58btc(signature) } };
}

export interface VerifiedDocument {
  /** The DID whose key made the proof. */
  readonly signer: Did;
  readonly publicKey: Uint8Array;
  readonly proofPurpose: string;
  /** Proof creation time (ms since epoch), if the proof says. */
  readonly created: number | undefined;
  /** JCS of the whole signed document, and its SHA-256: the object's digest. */
  readonly canonical: string;
  readonly digest: Digest;
}

function contextStartsWith(docCtx: Json | undefined, proofCtx: Json): boolean {
  const d = Array.isArray(docCtx) ? docCtx : docCtx === undefined ? [] : [docCtx];
  const p = Array.isArray(proofCtx) ? proofCtx : [proofCtx];
  if (p.length > d.length) return false;
  return p.every((v, i) => canonicalize(v) === canonicalize(d[i]));
}

/**
 * Verifies an embedded eddsa-jcs-2022 proof. Throws a KithError saying why
 * when the proof is missing, malformed, of another suite, expired or forged.
 */
export function verifyDocument(doc: unknown, opts: { proofPurpose?: string; now?: number } = {}): VerifiedDocument {
  if (!isJsonObject(doc)) return fail('malformed', 'a signed document must be a JSON object');
  let proof = doc.proof;
  if (proof === undefined) fail('bad-signature', 'document has no proof');
  if (Array.isArray(proof)) {
    if (proof.length !== 1) fail('malformed', 'Kith accepts exactly one proof per document');
    proof = proof[0];
  }
  if (!isJsonObject(proof)) return fail('malformed', 'proof must be an object');
  if (proof.type !== PROOF_TYPE) fail('unknown-cryptosuite', `proof type must be ${PROOF_TYPE}, got ${JSON.stringify(proof.type)}`);
  if (proof.cryptosuite !== CRYPTOSUITE) {
    fail('unknown-cryptosuite', `cryptosuite ${JSON.stringify(proof.cryptosuite)} is not supported; Kith verifies ${CRYPTOSUITE}`);
  }
  const { proofValue, proofPurpose, created, expires } = proof;
  if (typeof proofValue !== 'string') return fail('malformed', 'proof.proofValue must be a string');
  if (typeof proofPurpose !== 'string') return fail('malformed', 'proof.proofPurpose must be a string');
  if (opts.proofPurpose !== undefined && proofPurpose !== opts.proofPurpose) {
    fail('wrong-key', `proof purpose is ${proofPurpose}, expected ${opts.proofPurpose}`);
  }
  let createdMs: number | undefined;
  if (created !== undefined) {
    if (typeof created !== 'string' || !XSD_DATETIME.test(created)) fail('malformed', 'proof.created must be an XML Schema dateTime');
    createdMs = parseDateTime(created);
    if (Number.isNaN(createdMs)) fail('malformed', 'proof.created is not a real date');
  }
  if (expires !== undefined) {
    const expiresMs = parseDateTime(expires);
    if (Number.isNaN(expiresMs)) fail('malformed', 'proof.expires must be an XML Schema dateTime');
    if (expiresMs <= (opts.now ?? Date.now())) fail('expired', `proof expired at ${String(expires)}`);
  }
  const signature = decodeBase58btc(proofValue);
  if (signature.length !== SIGNATURE_LENGTH) fail('bad-signature', `proofValue must hold a ${SIGNATURE_LENGTH}-byte signature`);
  const { did, publicKey } = resolveVerificationMethod(proof.verificationMethod);

  const members = canonicalMembers(doc);
  let unsecured: string;
  const proofCtx = proof['@context'];
  if (proofCtx === undefined || canonicalize(proofCtx) === canonicalize(doc['@context'] ?? null)) {
    // The common case: the proof's @context is the document's own.
    unsecured = joinMembers(members, 'proof');
  } else {
    // Data Integrity: the document's @context must start with the proof's, which then stands in for it.
    if (!contextStartsWith(doc['@context'], proofCtx)) fail('bad-signature', "document @context does not start with the proof's @context");
    const { proof: _signed, ...rest } = doc;
    unsecured = canonicalize({ ...rest, '@context': proofCtx });
  }
  const config = { ...proof };
  delete config.proofValue;
  if (!verify(publicKey, hashData(canonicalize(config), unsecured), signature)) {
    fail('bad-signature', `proof does not verify for ${did}: the content was changed or signed by another key`);
  }
  const canonical = joinMembers(members);
  return { signer: did, publicKey, proofPurpose, created: createdMs, canonical, digest: sha256Hex(canonical) };
}

/** The digest (SHA-256 of JCS) of any JSON object. */
export function digestOf(doc: JsonObject): Digest {
  return sha256Hex(canonicalize(doc));
}

export { isoSeconds };
