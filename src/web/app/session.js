// Starting up, pairing, logging out and back in.

import { auth } from './state.js';
import { ApiError, del, get, isLoggedOut, logInWithKey, post, setLoggedOut } from './api.js';
import { generateDeviceKey, keySupport, loadDeviceKey, saveDeviceKey, signText } from './device-key.js';

export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';

/** Upper-cased with spaces and dashes removed, as the node wants it. */
export function normaliseCode(code) {
  return String(code)
    .toUpperCase()
    .replace(/[\s-]+/g, '');
}

/** "ABCDEFGH" → "ABCD-EFGH" for display. */
export function prettyCode(code) {
  const c = normaliseCode(code);
  return c.length === 8 ? `${c.slice(0, 4)}-${c.slice(4)}` : code;
}

async function loadMe() {
  const me = await get('/api/me');
  auth.set({ status: 'ready', me, notice: '' });
  return me;
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
  const signature = await signText(key, `kith-pair\n${c}\n${key.publicKey}`);
  await post('/api/pair', { code: c, name, publicKey: key.publicKey, signature }, { noRelogin: true });
  await saveDeviceKey(key);
  setLoggedOut(false);
  await loadMe();
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
