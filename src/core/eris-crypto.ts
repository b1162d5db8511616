import { createCipheriv } from 'node:crypto';
import { createBLAKE2b, type IHasher } from 'hash-wasm';

/**
 * The two primitives ERIS 1.0 is built from: BLAKE2b-256 (hash-wasm, because
 * Node's crypto has no BLAKE2b-256) and IETF ChaCha20 (Node's crypto/OpenSSL).
 *
 * hash-wasm hashers can only be created asynchronously (a WebAssembly instance
 * each), so they are created once by `initErisCrypto()`; after that every hash is
 * a synchronous init/update/digest on the shared instance. Sharing is safe: one
 * hash runs from init to digest without yielding to the event loop.
 */

/** BLAKE2b-256 digest length, the size of a reference, a key and a convergence secret. */
export const ERIS_HASH_BYTES = 32;

let unkeyed: IHasher | undefined;
let zeroKeyed: IHasher | undefined;
let initializing: Promise<void> | undefined;

/** Creates the shared hashers. Idempotent; concurrent callers share one initialisation. */
export function initErisCrypto(): Promise<void> {
  initializing ??= (async () => {
    const [plain, zero] = await Promise.all([createBLAKE2b(256), createBLAKE2b(256, new Uint8Array(ERIS_HASH_BYTES))]);
    unkeyed = plain;
    zeroKeyed = zero;
  })();
  return initializing;
}

/** Using the hashers before initialisation is a programming error, not a refusal of input: a plain Error. */
function ready(h: IHasher | undefined): IHasher {
  if (!h) throw new Error('ERIS crypto is not initialised: await initEris() first');
  return h;
}

/** Unkeyed BLAKE2b-256: block references and internal-node keys. */
export function blake2b256(data: Uint8Array): Uint8Array {
  return ready(unkeyed).init().update(data).digest('binary');
}

/** A synchronous keyed BLAKE2b-256, made once per convergence secret. */
export type KeyedHash = (data: Uint8Array) => Uint8Array;

/**
 * The keyed hasher for a convergence secret. The all-zero secret (convergent
 * encoding, the common case) reuses the hasher made at initialisation; any other
 * secret gets its own WebAssembly instance, hence the promise.
 */
export async function keyedBlake2b256(secret: Uint8Array): Promise<KeyedHash> {
  await initErisCrypto();
  // hash-wasm keeps a view of the key it is given: hand it a private copy.
  const hasher = secret.every((b) => b === 0) ? ready(zeroKeyed) : await createBLAKE2b(256, Uint8Array.from(secret));
  return (data) => hasher.init().update(data).digest('binary');
}

/**
 * IETF ChaCha20 (RFC 8439) with block counter 0 and the 12-byte nonce
 * [level, 0 × 11]: ERIS leaves use level 0, an internal node its tree level.
 * OpenSSL's 16-byte IV is the 32-bit little-endian counter followed by the
 * nonce, so the level lands at IV byte 4. Encryption and decryption are the
 * same operation. Returns a fresh, unshared Uint8Array.
 */
export function chacha20(key: Uint8Array, level: number, data: Uint8Array): Uint8Array {
  const iv = new Uint8Array(16);
  iv[4] = level;
  const out = createCipheriv('chacha20', key, iv).update(data);
  // Hand back a plain Uint8Array (not a Buffer) so callers compare and store plain bytes.
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
