import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { fail, KithError } from '../core/errors.js';
import type { Device } from '../store/devices.js';

/**
 * Every owner API call but pairing and logging in needs a device credential:
 * the session cookie (HttpOnly, SameSite=Strict, so other sites can neither
 * read it nor make the browser send it) or a bearer token for scripts.
 * Requests that change something must also come from this origin, as the
 * browser reports it (Origin, Sec-Fetch-Site), so a page elsewhere on the
 * local network cannot drive a logged-in browser.
 */

export const SESSION_COOKIE = 'kith_session';
const SESSION_MAX_AGE_S = 30 * 24 * 3600;

export type AuthVariables = { device: Device; token: string };

/** Calls that need no credential: pairing, logging in, and the API's own description. */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set([
  'POST /api/pair',
  'POST /api/accounts/claim',
  'POST /api/accounts/pair',
  'GET /api/session/challenge',
  'POST /api/session',
  'GET /api/openapi.json',
]);

/**
 * What a hosted account's device may call: its own account's routes and
 * logging out. Everything else acts as the node's owner, so it is refused
 * here, on the front thread and the main one alike.
 */
export function accountMayCall(method: string, path: string): boolean {
  return path === '/api/account' || path.startsWith('/api/account/') || (method === 'DELETE' && path === '/api/session');
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function credential(c: Context): string | undefined {
  const bearer = /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(c.req.header('authorization') ?? '')?.[1];
  return bearer ?? getCookie(c, SESSION_COOKIE);
}

/** Refuses a state-changing request that a browser says comes from another site. */
export function checkSameOrigin(c: Context): void {
  if (SAFE_METHODS.has(c.req.method)) return;
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    fail('unauthorized', 'requests that change something must come from the Kith web app itself');
  const origin = c.req.header('origin');
  if (origin !== undefined && origin !== 'null') {
    const host = c.req.header('host');
    let ok: boolean;
    try {
      ok = new URL(origin).host === host;
    } catch {
      ok = false;
    }
    if (!ok) fail('unauthorized', `requests that change something must come from this node's own address, not ${origin.slice(0, 80)}`);
  } else if (origin === 'null') fail('unauthorized', 'requests from an opaque origin are refused');
}

/** Who checks a session token: the service's devices. */
export interface SessionCheck {
  authenticate(token: string): Device;
}

export function requireDevice(devices: SessionCheck): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    checkSameOrigin(c);
    if (PUBLIC_ROUTES.has(`${c.req.method} ${c.req.path}`)) return next();
    const token = credential(c);
    if (token === undefined) throw new AuthFailure('unauthenticated', 'this device is not paired or not logged in; pair it with a code from your node');
    const device = asAuthFailure(() => devices.authenticate(token));
    if (device.account === 1 && !accountMayCall(c.req.method, c.req.path)) {
      fail('unauthorized', "this device belongs to an account the node hosts; it may use /api/account only, not the node owner's routes");
    }
    c.set('device', device);
    c.set('token', token);
    return next();
  };
}

/** Why a credential is refused (unknown, revoked, expired): 401 for all, whatever the code means elsewhere. */
export class AuthFailure extends KithError {}

export function asAuthFailure<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof KithError && (e.code === 'unauthenticated' || e.code === 'revoked' || e.code === 'expired')) throw new AuthFailure(e.code, e.message);
    throw e;
  }
}

/** Sets the session cookie; `secure` when the browser reached the node over https (directly, or through a trusted proxy). */
export function startSession(c: Context, token: string, secure: boolean): void {
  setCookie(c, SESSION_COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/api', maxAge: SESSION_MAX_AGE_S, secure });
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/api' });
}
