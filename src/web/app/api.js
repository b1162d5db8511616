// The owner API client: JSON in and out, readable errors, and a silent
// log-in again (challenge + signature) when the session cookie has lapsed.

import { auth } from './state.js';
import { forgetDeviceKey, loadDeviceKey, signText } from './device-key.js';

export const REVOKED_NOTICE = 'This device was removed from your node. Pair it again to continue.';
export const UNKNOWN_NOTICE = "Your node doesn't know this device any more. Pair it again to continue.";
export const ACCOUNT_GONE_NOTICE = 'This node no longer hosts your account. Your key stays in this browser: it is still you.';
const LOGGED_OUT = 'kith.loggedOut';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export function isLoggedOut() {
  try {
    return localStorage.getItem(LOGGED_OUT) === '1';
  } catch {
    return false;
  }
}

export function setLoggedOut(on) {
  try {
    if (on) localStorage.setItem(LOGGED_OUT, '1');
    else localStorage.removeItem(LOGGED_OUT);
  } catch {
    // private mode without storage: the flag only lasts this page
  }
}

async function send(method, path, body, headers) {
  const init = { method, credentials: 'same-origin', headers: { accept: 'application/json', ...headers } };
  if (body !== undefined) {
    if (body instanceof Blob || body instanceof ArrayBuffer) init.body = body;
    else {
      init.body = JSON.stringify(body);
      init.headers['content-type'] = 'application/json';
    }
  }
  try {
    return await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', "Can't reach your Kith node. Check your connection and try again.");
  }
}

async function errorFrom(res) {
  let code = 'error';
  let message = '';
  try {
    const body = await res.json();
    code = body?.error?.code ?? code;
    message = body?.error?.message ?? '';
  } catch {
    // not JSON: fall back to the status
  }
  if (!message) {
    message =
      res.status === 413
        ? 'That is too large for your node.'
        : res.status === 429
          ? 'Too many tries. Wait a moment and try again.'
          : res.status >= 500
            ? 'Your node ran into a problem. Try again in a moment.'
            : `The request failed (${res.status}).`;
  }
  return new ApiError(res.status, code, message);
}

async function parse(res) {
  if (res.status === 204) return null;
  const type = res.headers.get('content-type') || '';
  return type.includes('json') ? res.json() : null;
}

/** The device is gone from the node: forget its key and show pairing. */
export async function deviceRemoved(notice = REVOKED_NOTICE) {
  await forgetDeviceKey();
  setLoggedOut(false);
  auth.set({ status: 'unpaired', me: null, notice });
}

let relogin = null;

/** Logs in again with the stored key. Shared by concurrent callers. */
export function logInWithKey() {
  relogin ??= (async () => {
    try {
      const key = await loadDeviceKey();
      if (!key) throw new ApiError(401, 'unauthenticated', 'This device is not paired.');
      const challenge = await request('GET', '/api/session/challenge', undefined, { noRelogin: true });
      const signature = await signText(key, `kith-session\n${challenge.nonce}\n${key.publicKey}`);
      return await request('POST', '/api/session', { publicKey: key.publicKey, nonce: challenge.nonce, signature }, { noRelogin: true, loggingIn: true });
    } finally {
      relogin = null;
    }
  })();
  return relogin;
}

async function handle401(err, opts) {
  // A hosted account's key is the person's identity, not just this device's: it is kept when the node lets the account go.
  if ((err.code === 'revoked' || opts.loggingIn) && (await loadDeviceKey())?.account) {
    auth.set({ status: 'account-gone', me: null, notice: ACCOUNT_GONE_NOTICE });
  } else if (err.code === 'revoked') {
    await deviceRemoved(REVOKED_NOTICE);
  } else if (opts.loggingIn) {
    // The node refused this key. Only `revoked` forgets it; pairing again replaces it.
    auth.set({ status: 'unpaired', me: null, notice: UNKNOWN_NOTICE });
  } else if (!(await loadDeviceKey()) && auth.get().status === 'ready') {
    auth.set({ status: 'unpaired', me: null, notice: '' });
  }
}

/**
 * One API call. body: a JSON value, or a Blob/File sent as it is.
 * opts.headers adds headers; opts.noRelogin skips the silent log-in.
 */
export async function request(method, path, body, opts = {}) {
  let res = await send(method, path, body, opts.headers);
  if (res.status === 401) {
    let err = await errorFrom(res);
    const canRelogin = err.code === 'unauthenticated' && !opts.noRelogin && !isLoggedOut() && (await loadDeviceKey());
    if (canRelogin) {
      await logInWithKey();
      res = await send(method, path, body, opts.headers);
      if (res.ok) return parse(res);
      err = await errorFrom(res);
      if (res.status === 401) await handle401(err, opts);
      throw err;
    }
    await handle401(err, opts);
    throw err;
  }
  if (!res.ok) throw await errorFrom(res);
  return parse(res);
}

export const get = (path, opts) => request('GET', path, undefined, opts);
export const post = (path, body = {}, opts) => request('POST', path, body, opts);
export const put = (path, body, opts) => request('PUT', path, body, opts);
export const patch = (path, body, opts) => request('PATCH', path, body, opts);
export const del = (path, opts) => request('DELETE', path, undefined, opts);

/** Uploads a file to POST /api/media; returns its Attachment. */
export async function uploadMedia(file) {
  const headers = { 'content-type': file.type || 'application/octet-stream' };
  if (file.name) headers['x-file-name'] = encodeURIComponent(file.name);
  const res = await request('POST', '/api/media', file, { headers });
  return res.attachment;
}

/** Builds a query string from the defined values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
