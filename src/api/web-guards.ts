import type { Context, MiddlewareHandler } from 'hono';
import { errorBody } from './http-status.js';
import { HostAllowlist, hostOf } from './host-allowlist.js';
import type { WebApp } from './web-static.js';

/**
 * What every answer of the web app and owner API goes through, on whichever
 * thread answers it: the Host check, the security headers, the app's files.
 */

/** Before everything else, the web app's files included: a page that rebound its own name to this machine reads nothing. */
export function hostGuard(hosts: HostAllowlist): MiddlewareHandler {
  return async (c, next) => {
    if (hosts.allows(c.req.header('host'))) return next();
    const name = hostOf(c.req.header('host'))?.slice(0, 100);
    const message =
      name === undefined
        ? "this request names no host this node can check; open the web app by this machine's address"
        : `this node does not answer to the name "${name}" (a guard against DNS rebinding); open it by this machine's address, ` +
          `or add "${name}" to the apiHosts setting (kith settings set apiHosts, followed by every name it should answer to)`;
    c.header('cache-control', 'no-store');
    return c.json(errorBody('unauthorized', message), 421);
  };
}

export function securityHeaders(c: Context): void {
  c.header('x-content-type-options', 'nosniff');
  c.header('referrer-policy', 'no-referrer');
  c.header('x-frame-options', 'DENY');
}

/** The web app's own files (GET outside /api/), with an ETag. */
export function webFiles(web: WebApp): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.path.startsWith('/api/')) return next();
    const f = web.files.get(c.req.path);
    if (!f) return next();
    securityHeaders(c);
    if (f.type.startsWith('text/html')) c.header('content-security-policy', web.csp);
    c.header('etag', f.etag);
    c.header('cache-control', 'no-cache');
    if (c.req.header('if-none-match') === f.etag) return c.body(null, 304);
    return c.body(new Uint8Array(f.body), 200, { 'content-type': f.type });
  };
}

/** Every API answer: the security headers, and never cached. */
export const apiHeaders: MiddlewareHandler = async (c, next) => {
  securityHeaders(c);
  c.header('cache-control', 'no-store');
  await next();
};
