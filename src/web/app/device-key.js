// The device key: an Ed25519 key pair made by WebCrypto (private key not
// extractable), kept in IndexedDB. Signs the pairing and log-in messages.

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

/** Why this browser cannot hold a device key, or '' if it can. */
export async function keySupport() {
  if (!window.isSecureContext || !globalThis.crypto?.subtle) return 'insecure';
  if (!('indexedDB' in window)) return 'unsupported';
  try {
    await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    return '';
  } catch {
    return 'unsupported';
  }
}

/** A new key pair (not stored yet) with its base64url public key. */
export async function generateDeviceKey() {
  const keyPair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const publicKey = base64url(await crypto.subtle.exportKey('raw', keyPair.publicKey));
  return { keyPair, publicKey };
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

export async function saveDeviceKey(key) {
  await withStore('readwrite', (s) => s.put({ keyPair: key.keyPair, publicKey: key.publicKey, saved: new Date().toISOString() }, RECORD));
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

export async function signText(key, message) {
  const sig = await crypto.subtle.sign('Ed25519', key.keyPair.privateKey, new TextEncoder().encode(message));
  return base64url(sig);
}
