import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, randomBytes, type KeyObject } from 'node:crypto';
import { fail } from './errors.js';

/**
 * Ed25519 (RFC 8032) through Node's crypto (OpenSSL): the fastest audited
 * implementation on this platform. Keys cross this module as raw bytes; the
 * KeyObjects OpenSSL needs are built here and cached, because building one
 * costs about as much as a verify.
 */

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export const SEED_LENGTH = 32;
export const PUBLIC_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

export interface Ed25519KeyPair {
  /** The 32-byte private seed. Never log or send it. */
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  /** OpenSSL handle for signing, built once. */
  readonly privateKeyObject: KeyObject;
}

export function keyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  if (seed.length !== SEED_LENGTH) fail('bad-encoding', `an Ed25519 seed is ${SEED_LENGTH} bytes, got ${seed.length}`);
  const privateKeyObject = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKeyObject).export({ format: 'der', type: 'spki' });
  const publicKey = new Uint8Array(spki.subarray(SPKI_PREFIX.length));
  return { seed: new Uint8Array(seed), publicKey, privateKeyObject };
}

export function generateKeyPair(): Ed25519KeyPair {
  return keyPairFromSeed(new Uint8Array(randomBytes(SEED_LENGTH)));
}

export function sign(key: Ed25519KeyPair, message: Uint8Array): Uint8Array {
  return new Uint8Array(nodeSign(null, message, key.privateKeyObject));
}

const publicKeyCache = new Map<string, KeyObject>();
const PUBLIC_KEY_CACHE_MAX = 4096;

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const k = Buffer.from(publicKey).toString('latin1');
  let obj = publicKeyCache.get(k);
  if (obj === undefined) {
    obj = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    if (publicKeyCache.size >= PUBLIC_KEY_CACHE_MAX) {
      const oldest = publicKeyCache.keys().next().value;
      if (oldest !== undefined) publicKeyCache.delete(oldest);
    }
    publicKeyCache.set(k, obj);
  }
  return obj;
}

/**
 * Strict verification: wrong lengths and keys OpenSSL cannot decode are
 * simply invalid signatures; OpenSSL rejects non-canonical S (S >= L).
 */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_LENGTH || signature.length !== SIGNATURE_LENGTH) return false;
  let key: KeyObject;
  try {
    key = publicKeyObject(publicKey);
  } catch {
    return false;
  }
  return nodeVerify(null, message, key, signature);
}
