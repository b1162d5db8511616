// Starting up, pairing, logging out and back in.

import { auth } from './state.js';
import { ApiError, del, get, isLoggedOut, logInWithKey, post, setLoggedOut } from './api.js';
import { generateDeviceKey, keySupport, loadDeviceKey, saveDeviceKey, signText } from './device-key.js';
import { publishCertificate } from './proof.js';

export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';

/** Upper-cased with spaces and dashes removed, as the node wants it. */
export function normaliseCode(code) {
  return String(code)
    .toUpperCase()
    .replace(/[\s-]+/g, '');
}

/** Whether a normalised code has the shape the node hands out: 8 characters of CODE_ALPHABET. */
export function isPairingCode(c) {
  return c.length === 8 && [...c].every((ch) => CODE_ALPHABET.includes(ch));
}

/** "ABCDEFGH" → "ABCD-EFGH" for display. */
export function prettyCode(code) {
  const c = normaliseCode(code);
  return c.length === 8 ? `${c.slice(0, 4)}-${c.slice(4)}` : code;
}

/** The pairing message signed: the code, claimed with this key (src/core/pairing.ts). */
function signPairing(key, code) {
  return signText(key, `kith-pair\n${code}\n${key.publicKey}`);
}

async function loadMe() {
  const key = await loadDeviceKey();
  if (key?.account) return loadAccount();
  const me = await get('/api/me');
  auth.set({ status: 'ready', me, notice: '' });
  return me;
}

/** A hosted account's device: its account as the node holds it (and `renew` when it should sign a new certificate). */
export async function loadAccount() {
  const { account } = await get('/api/account');
  auth.set({ status: 'account', me: null, account, notice: '' });
  return account;
}

/** Works out where the app stands at start-up. */
export async function boot() {
  const key = await loadDeviceKey().catch(() => null);
  if (!key) {
    const why = await keySupport();
    auth.set({ status: why || 'unpaired', me: null });
    return;
  }
  if (isLoggedOut()) {
    auth.set({ status: 'loggedout', me: null });
    return;
  }
  try {
    await loadMe();
  } catch (e) {
    if (auth.get().status !== 'loading') return; // already moved to pairing (revoked or unknown)
    auth.set({ status: 'offline', me: null, notice: e instanceof ApiError ? e.message : String(e) });
  }
}

/** Pairs this browser with the code shown by `kith pair` or another device. */
export async function pairDevice(code, name) {
  const why = await keySupport();
  if (why) {
    auth.set({ status: why });
    return;
  }
  const c = normaliseCode(code);
  const key = await generateDeviceKey();
  const signature = await signPairing(key, c);
  await post('/api/pair', { code: c, name, publicKey: key.publicKey, signature }, { noRelogin: true });
  await saveDeviceKey(key);
  setLoggedOut(false);
  await loadMe();
}

/**
 * Takes on the account a node's owner offered (`kith account add`, or
 * Settings → Accounts you host): this browser makes the key that is the
 * account, claims the code with it, and signs the certificate that lets the
 * node's key post for it for a while.
 */
export async function claimAccount(code) {
  const why = await keySupport();
  if (why) {
    auth.set({ status: why });
    return;
  }
  const c = normaliseCode(code);
  const key = { ...(await generateDeviceKey()), account: true };
  const signature = await signPairing(key, c);
  const terms = await post('/api/accounts/claim', { code: c, publicKey: key.publicKey, signature }, { noRelogin: true });
  const certificate = await publishCertificate(key, terms);
  await post('/api/accounts/pair', { code: c, publicKey: key.publicKey, signature, certificate }, { noRelogin: true });
  await saveDeviceKey(key);
  setLoggedOut(false);
  await loadAccount();
}

export async function logOut() {
  await del('/api/session');
  setLoggedOut(true);
  auth.set({ status: 'loggedout', me: null, notice: '' });
}

export async function logInAgain() {
  setLoggedOut(false);
  await logInWithKey();
  await loadMe();
}

/** Retry after the node could not be reached. */
export async function retryConnect() {
  auth.set({ status: 'loading' });
  await boot();
}

/** Refreshes auth.me (after a profile edit, for example). */
export function refreshMe() {
  return loadMe();
}
