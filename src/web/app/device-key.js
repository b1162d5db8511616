// The device key: an Ed25519 key pair made by WebCrypto (private key not
// extractable), kept in IndexedDB. Signs the pairing and log-in messages, and
// for a hosted account, whose identity it is, its certificates (./proof.js).
// Browsers offer WebCrypto only in a secure context (https, or this machine),
// so a phone that opens the node at http://192.168.x.y:7420 falls back to
// Ed25519 in plain JavaScript (@noble/ed25519); that key is kept in IndexedDB
// too, but can be read by scripts of this origin. Reaching the node over
// https (see the README) keeps the key non-extractable.

const DB_NAME = 'kith';
const STORE = 'keys';
const RECORD = 'device';

let cached; // undefined = not loaded yet, null = none stored

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function withStore(mode, fn) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export function base64url(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

let webCrypto; // undefined = not probed yet

async function hasWebCryptoEd25519() {
  if (webCrypto !== undefined) return webCrypto;
  webCrypto = false;
  if (window.isSecureContext && globalThis.crypto?.subtle) {
    try {
      await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
      webCrypto = true;
    } catch {
      webCrypto = false;
    }
  }
  return webCrypto;
}

async function noble() {
  const [ed, { sha512 }] = await Promise.all([import('/vendor/noble-ed25519.mjs'), import('/vendor/noble-hashes/sha2.js')]);
  ed.hashes.sha512 = sha512;
  return ed;
}

/** Why this browser cannot hold a device key, or '' if it can. */
export async function keySupport() {
  if (!('indexedDB' in window) || !globalThis.crypto?.getRandomValues) return 'unsupported';
  return '';
}

/** A new key pair (not stored yet) with its base64url public key. */
export async function generateDeviceKey() {
  if (await hasWebCryptoEd25519()) {
    const keyPair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    const publicKey = base64url(await crypto.subtle.exportKey('raw', keyPair.publicKey));
    return { keyPair, publicKey };
  }
  const ed = await noble();
  const secretKey = ed.utils.randomSecretKey();
  return { secretKey, publicKey: base64url(ed.getPublicKey(secretKey)) };
}

/** The stored key ({keyPair, publicKey}) or null. */
export async function loadDeviceKey() {
  if (cached !== undefined) return cached;
  try {
    cached = (await withStore('readonly', (s) => s.get(RECORD))) ?? null;
  } catch {
    cached = null;
  }
  return cached;
}

/** key.account: true when the key is a hosted account's own identity, not a device of the node's owner. */
export async function saveDeviceKey(key) {
  const record = key.keyPair ? { keyPair: key.keyPair } : { secretKey: key.secretKey };
  const account = key.account === true;
  await withStore('readwrite', (s) => s.put({ ...record, publicKey: key.publicKey, account, saved: new Date().toISOString() }, RECORD));
  cached = key;
}

export async function forgetDeviceKey() {
  cached = null;
  try {
    await withStore('readwrite', (s) => s.delete(RECORD));
  } catch {
    // nothing stored, or storage unavailable: either way no key remains in use
  }
}

/** The raw 64-byte Ed25519 signature of `bytes`. */
export async function signBytes(key, bytes) {
  if (key.keyPair) return new Uint8Array(await crypto.subtle.sign('Ed25519', key.keyPair.privateKey, bytes));
  return (await noble()).sign(bytes, key.secretKey);
}

export async function signText(key, message) {
  return base64url(await signBytes(key, new TextEncoder().encode(message)));
}
