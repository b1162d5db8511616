import { createHash } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { fail } from './errors.js';
import { decodeBase58btc, encodeBase58, encodeBase58btc } from './multibase.js';
import type { Did, JsonObject, VerificationMethodId } from './types.js';
import { PUBLIC_KEY_LENGTH } from './ed25519.js';

/**
 * did:key (W3C CCG) for Ed25519, with the X25519 key-agreement key derived
 * from it. Everything here is local: a did:key resolves with no network.
 */

/** Multicodec varint prefixes. */
const ED25519_PUB = Uint8Array.of(0xed, 0x01);
const X25519_PUB = Uint8Array.of(0xec, 0x01);
const ED25519_PRIV = Uint8Array.of(0x80, 0x26);

const DID_KEY_PREFIX = 'did:key:';
/** A did:key of an Ed25519 key is 56 characters after the prefix; leave room but bound parsing. */
const MAX_DID_LENGTH = 128;

function withCodec(codec: Uint8Array, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(codec.length + key.length);
  out.set(codec);
  out.set(key, codec.length);
  return out;
}

function stripCodec(codec: Uint8Array, bytes: Uint8Array, what: string): Uint8Array {
  if (bytes.length !== codec.length + PUBLIC_KEY_LENGTH || bytes[0] !== codec[0] || bytes[1] !== codec[1]) {
    fail('bad-encoding', `not a multicodec ${what} key of ${PUBLIC_KEY_LENGTH} bytes`);
  }
  return bytes.subarray(codec.length);
}

/** `z6Mk…`: the multibase multicodec form of an Ed25519 public key (a Multikey's publicKeyMultibase). */
export function ed25519Multikey(publicKey: Uint8Array): string {
  return encodeBase58btc(withCodec(ED25519_PUB, publicKey));
}

export function publicKeyFromMultikey(multikey: string): Uint8Array {
  return stripCodec(ED25519_PUB, decodeBase58btc(multikey), 'Ed25519 public');
}

/** `z3u2…`: the multibase form of an Ed25519 private seed (used by the eddsa vectors and backups). */
export function seedFromPrivateMultikey(multikey: string): Uint8Array {
  return stripCodec(ED25519_PRIV, decodeBase58btc(multikey), 'Ed25519 private');
}

export function x25519Multikey(publicKey: Uint8Array): string {
  return encodeBase58btc(withCodec(X25519_PUB, publicKey));
}

export function didFromPublicKey(publicKey: Uint8Array): Did {
  if (publicKey.length !== PUBLIC_KEY_LENGTH) fail('bad-encoding', 'an Ed25519 public key is 32 bytes');
  return (DID_KEY_PREFIX + ed25519Multikey(publicKey)) as Did;
}

/**
 * Parsed did:keys, by string. Base58 decoding is the costly part of every id
 * check, and the same few DIDs recur in every object, so they are remembered.
 */
const parsedDids = new Map<string, Uint8Array>();
const PARSED_DIDS_MAX = 8192;

function decodeDidKey(did: string): Uint8Array {
  const hit = parsedDids.get(did);
  if (hit) return hit;
  const mb = did.slice(DID_KEY_PREFIX.length);
  if (mb.startsWith('z6LS')) fail('wrong-key', 'this did:key is an X25519 key-agreement key; it cannot sign');
  const publicKey = publicKeyFromMultikey(mb);
  if (parsedDids.size >= PARSED_DIDS_MAX) parsedDids.delete(parsedDids.keys().next().value as string);
  parsedDids.set(did, publicKey);
  return publicKey;
}

/** Parses and checks a did:key of an Ed25519 key; refuses other key types with a reason. */
export function parseDid(did: unknown): Did {
  if (typeof did !== 'string') return fail('malformed', 'a DID must be a string');
  if (did.length > MAX_DID_LENGTH) fail('too-large', 'DID is too long');
  if (!did.startsWith(DID_KEY_PREFIX)) fail('malformed', `only did:key DIDs are supported, got "${did.slice(0, 40)}"`);
  decodeDidKey(did);
  return did as Did;
}

export function isDid(s: unknown): s is Did {
  try {
    parseDid(s);
    return true;
  } catch {
    return false;
  }
}

export function publicKeyFromDid(did: Did | string): Uint8Array {
  return new Uint8Array(decodeDidKey(parseDid(did)));
}

/** The DID URL of the signing key: `did:key:z6Mk…#z6Mk…`. */
export function verificationMethodOf(did: Did): VerificationMethodId {
  return `${did}#${did.slice(DID_KEY_PREFIX.length)}` as VerificationMethodId;
}

/**
 * Resolves a did:key DID URL to the DID and its public key, locally.
 * The fragment must name the DID's own key, as did:key defines.
 */
export function resolveVerificationMethod(vm: unknown): { did: Did; publicKey: Uint8Array } {
  if (typeof vm !== 'string') return fail('malformed', 'verificationMethod must be a string');
  const hash = vm.indexOf('#');
  if (hash < 0) fail('malformed', 'verificationMethod must be a did:key DID URL with a #fragment');
  const did = parseDid(vm.slice(0, hash));
  if (vm.slice(hash + 1) !== did.slice(DID_KEY_PREFIX.length)) {
    fail('malformed', 'verificationMethod fragment does not name the did:key itself');
  }
  return { did, publicKey: publicKeyFromDid(did) };
}

/** The X25519 public key birationally equivalent to an Ed25519 public key (RFC 7748 §4.1). */
export function x25519PublicFromEd25519(publicKey: Uint8Array): Uint8Array {
  try {
    return ed25519.utils.toMontgomery(publicKey);
  } catch (e) {
    // Any 32 bytes make a did:key, but only a point on the curve has a key-agreement key.
    return fail('bad-encoding', `the Ed25519 public key is not a point on the curve, so no X25519 key follows from it (${(e as Error).message})`);
  }
}

/** The X25519 private scalar for an Ed25519 seed: clamped first half of SHA-512(seed). */
export function x25519PrivateFromEd25519Seed(seed: Uint8Array): Uint8Array {
  return ed25519.utils.toMontgomerySecret(seed);
}

/** OKP JSON Web Key of a raw Ed25519 or X25519 public key (RFC 8037). */
function okpJwk(crv: 'Ed25519' | 'X25519', key: Uint8Array): JsonObject {
  return { kty: 'OKP', crv, x: Buffer.from(key).toString('base64url') };
}

export interface DidKeyDocumentOptions {
  /**
   * The did:key resolver option of that name. Default: the 2018/2019 suite
   * types with publicKeyBase58; 'JsonWebKey2020': JsonWebKey2020 with publicKeyJwk.
   */
  publicKeyFormat?: 'JsonWebKey2020' | undefined;
}

/**
 * The DID document a did:key resolves to, in the form of the did:key
 * method's published test vectors (2018/2019 suite key types, or
 * JsonWebKey2020 when asked for).
 */
export function resolveDidKeyDocument(didInput: string, opts: DidKeyDocumentOptions = {}): JsonObject {
  const jwk = opts.publicKeyFormat === 'JsonWebKey2020';
  const jwkContext = ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'];
  if (typeof didInput === 'string' && didInput.startsWith('did:key:z6LS')) {
    const did = didInput;
    const x = stripCodec(X25519_PUB, decodeBase58btc(did.slice(DID_KEY_PREFIX.length)), 'X25519 public');
    const vmId = `${did}#${did.slice(DID_KEY_PREFIX.length)}`;
    return {
      '@context': jwk ? jwkContext : ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/x25519-2019/v1'],
      id: did,
      verificationMethod: [
        jwk
          ? { id: vmId, type: 'JsonWebKey2020', controller: did, publicKeyJwk: okpJwk('X25519', x) }
          : { id: vmId, type: 'X25519KeyAgreementKey2019', controller: did, publicKeyBase58: encodeBase58(x) },
      ],
      keyAgreement: [vmId],
    };
  }
  const did = parseDid(didInput);
  const pub = publicKeyFromDid(did);
  const x = x25519PublicFromEd25519(pub);
  const edId = verificationMethodOf(did);
  const xId = `${did}#${x25519Multikey(x)}`;
  return {
    '@context': jwk
      ? jwkContext
      : ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/ed25519-2018/v1', 'https://w3id.org/security/suites/x25519-2019/v1'],
    id: did,
    verificationMethod: jwk
      ? [
          { id: edId, type: 'JsonWebKey2020', controller: did, publicKeyJwk: okpJwk('Ed25519', pub) },
          { id: xId, type: 'JsonWebKey2020', controller: did, publicKeyJwk: okpJwk('X25519', x) },
        ]
      : [
          { id: edId, type: 'Ed25519VerificationKey2018', controller: did, publicKeyBase58: encodeBase58(pub) },
          { id: xId, type: 'X25519KeyAgreementKey2019', controller: did, publicKeyBase58: encodeBase58(x) },
        ],
    assertionMethod: [edId],
    authentication: [edId],
    capabilityInvocation: [edId],
    capabilityDelegation: [edId],
    keyAgreement: [xId],
  };
}

/**
 * A short fingerprint people can compare aloud: SHA-256 of the public key,
 * first 16 bytes, as 8 groups of 4 hex digits.
 */
export function keyFingerprint(publicKey: Uint8Array): string {
  const hex = createHash('sha256').update(publicKey).digest('hex').slice(0, 32);
  return hex.match(/.{4}/g)!.join(' ');
}
