import { hostname } from 'node:os';
import { isIP } from 'node:net';

/**
 * The names the owner API and web app answer to. A page on another site can
 * point its own name at this machine (DNS rebinding) and then read the web
 * app as if it were that site; the browser still sends that name as Host, so
 * requests naming anything else are refused (421 Misdirected Request).
 *
 * Allowed: loopback (localhost, 127.0.0.1, [::1]), any IP address written
 * as such (no DNS answer is involved, so rebinding cannot produce one; this
 * covers the machine's local network addresses however they change), the
 * address the API was told to listen on, this machine's host name (and its
 * .local name, which the mDNS advertisement points devices to), and the
 * names the owner adds (settings: apiHosts). Any port.
 */

/** The host of a Host header, lower case, without port, brackets or a trailing dot; undefined when it is not one. */
export function hostOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const h = header.trim().toLowerCase();
  const v6 = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(h);
  if (v6) return isIP(v6[1]!) === 6 ? v6[1] : undefined;
  const named = /^([a-z0-9._-]+)(?::\d{1,5})?$/.exec(h);
  return named ? named[1]!.replace(/\.$/, '') : undefined;
}

export class HostAllowlist {
  private readonly fixed: ReadonlySet<string>;

  constructor(
    apiHost: string,
    private readonly added: () => readonly string[],
  ) {
    const machine = hostname()
      .toLowerCase()
      .replace(/\.local$/, '');
    const listen = hostOf(apiHost.includes(':') && !apiHost.startsWith('[') ? `[${apiHost}]` : apiHost);
    this.fixed = new Set(['localhost', machine, `${machine}.local`, ...(listen === undefined ? [] : [listen])]);
  }

  allows(header: string | undefined): boolean {
    const host = hostOf(header);
    if (host === undefined) return false;
    return isIP(host) !== 0 || this.fixed.has(host) || this.added().includes(host);
  }
}
