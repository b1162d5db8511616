import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Context } from 'hono';
import { normalizeAddress } from '../node/preferences.js';
import { FRONT_CLIENT_HEADER, FRONT_SECRET_HEADER, fromFront } from './front-messages.js';

/**
 * Who is asking, as far as the owner API can tell: the address of the
 * socket, or, when that socket is a reverse proxy the owner trusts
 * (settings: trustedProxies), the address that proxy saw (the last entry of
 * X-Forwarded-For, the one it added) and the scheme it was reached by
 * (X-Forwarded-Proto). Headers from anyone else are ignored: a client could
 * write any address there.
 */

export interface Client {
  /** What throttles count attempts by: an IPv4 address, or an IPv6 /64 (one host can have a whole /64 to itself). */
  readonly key: string;
  /** The request reached a trusted proxy over https, so cookies must be Secure. */
  readonly https: boolean;
}

/** The last entry of a header that proxies append to. */
function lastOf(header: string | undefined): string | undefined {
  const v = header?.split(',').at(-1)?.trim();
  return v === undefined || v.length === 0 ? undefined : v;
}

/** The eight groups of an IPv6 address, written out. */
function ipv6Groups(address: string): string[] {
  let a = address.replace(/%.*$/, '');
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number) as [number, number, number, number];
    a = `${a.slice(0, v4.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head, tail] = a.split('::') as [string, string | undefined];
  const left = head.length > 0 ? head.split(':') : [];
  const right = tail === undefined ? [] : tail.length > 0 ? tail.split(':') : [];
  const middle = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((g) => g.replace(/^0+(?=.)/, ''));
}

export function throttleKey(address: string): string {
  return isIP(address) === 6 ? `${ipv6Groups(address).slice(0, 4).join(':')}::/64` : address;
}

/** `frontSecret`: a request relayed by the API's front thread names the address it heard from, which counts as the socket's. */
export function clientOf(c: Context, trustedProxies: readonly string[], frontSecret?: string): Client {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const relayed = fromFront(c.req.header(FRONT_SECRET_HEADER), frontSecret) ? c.req.header(FRONT_CLIENT_HEADER) : undefined;
  const socket = relayed ?? incoming?.socket.remoteAddress;
  const remote = socket === undefined ? 'unknown' : normalizeAddress(socket);
  if (!trustedProxies.includes(remote)) return { key: throttleKey(remote), https: new URL(c.req.url).protocol === 'https:' };
  const forwarded = lastOf(c.req.header('x-forwarded-for'));
  const address = forwarded !== undefined && isIP(forwarded) !== 0 ? normalizeAddress(forwarded) : remote;
  return { key: throttleKey(address), https: lastOf(c.req.header('x-forwarded-proto'))?.toLowerCase() === 'https' };
}
