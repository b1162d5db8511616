import { timingSafeEqual } from 'node:crypto';
import type { Did } from '../core/types.js';

/**
 * How the API's front thread (./api-front.ts) and the node's main thread
 * talk. The front listens on the API's port; what it does not answer itself
 * it relays over loopback to the owner API on the main thread, naming the
 * client it heard from in a header that only counts with the secret both
 * threads share (anyone else on the machine could write that header).
 */

export const FRONT_SECRET_HEADER = 'x-kith-front';
export const FRONT_CLIENT_HEADER = 'x-kith-front-client';

export interface FrontOptions {
  /** The node's database file, opened read-only by the front. */
  readonly database: string;
  readonly did: Did;
  readonly host: string;
  readonly port: number;
  /** The name the API was told to listen on (--api-host), for the Host allowlist. */
  readonly apiHost: string;
  /** Where the owner API on the main thread listens (127.0.0.1). */
  readonly relayPort: number;
  readonly secret: string;
}

export type FrontMessage =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'failed'; readonly code: string | undefined; readonly message: string }
  | { readonly type: 'seen'; readonly device: string }
  | { readonly type: 'log'; readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly line: string };

/** Whether a request carries the front's secret, compared in constant time. */
export function fromFront(header: string | undefined, secret: string | undefined): boolean {
  if (header === undefined || secret === undefined) return false;
  const a = Buffer.from(header);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}
