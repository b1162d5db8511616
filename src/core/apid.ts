import { fail } from './errors.js';
import { parseDid } from './didkey.js';
import type { ApId, Did } from './types.js';

/**
 * FEP-ef61 portable ids: `ap://<did>/<path>[?query][#fragment]`.
 * The canonical form has the lower-case `ap` scheme and a percent-decoded DID
 * authority. The query carries hints (such as gateways) and is ignored when
 * two ids are compared.
 */

export const MAX_AP_ID_LENGTH = 2048;
const SCHEME_RE = /^(ap|ap\+ef61):\/\//i;
/** RFC 3986 pchar plus "/" (path), and "?" for query/fragment. Percent-escapes are checked separately. */
const PATH_RE = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
const QF_RE = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;
const PCT_RE = /%(?![0-9A-Fa-f]{2})/;

export interface ParsedApId {
  readonly did: Did;
  /** Starts with "/" or is empty. */
  readonly path: string;
  readonly query: string | undefined;
  readonly fragment: string | undefined;
}

export function parseApId(input: unknown): ParsedApId {
  if (typeof input !== 'string') return fail('malformed', 'an ap:// id must be a string');
  if (input.length > MAX_AP_ID_LENGTH) fail('too-large', `ap:// id is longer than ${MAX_AP_ID_LENGTH} characters`);
  const m = SCHEME_RE.exec(input);
  if (!m) fail('malformed', `not an ap:// id: "${input.slice(0, 60)}"`);
  const rest = input.slice(m[0].length);
  const authEnd = rest.search(/[/?#]/);
  const rawAuthority = authEnd < 0 ? rest : rest.slice(0, authEnd);
  let authority: string;
  try {
    authority = decodeURIComponent(rawAuthority);
  } catch {
    return fail('malformed', 'ap:// authority has a broken percent-escape');
  }
  const did = parseDid(authority);
  let tail = authEnd < 0 ? '' : rest.slice(authEnd);
  let fragment: string | undefined;
  const hash = tail.indexOf('#');
  if (hash >= 0) {
    fragment = tail.slice(hash + 1);
    tail = tail.slice(0, hash);
  }
  let query: string | undefined;
  const q = tail.indexOf('?');
  if (q >= 0) {
    query = tail.slice(q + 1);
    tail = tail.slice(0, q);
  }
  if (!PATH_RE.test(tail) || PCT_RE.test(tail)) fail('malformed', 'ap:// path has characters not allowed in a URI path');
  for (const part of [query, fragment]) {
    if (part !== undefined && (!QF_RE.test(part) || PCT_RE.test(part))) {
      fail('malformed', 'ap:// query or fragment has characters not allowed in a URI');
    }
  }
  // "%2E" is "." (RFC 3986 §2.3), so "/%2e%2e/" is a dot segment too.
  const isDot = (seg: string): boolean => {
    const s = seg.replace(/%2e/gi, '.');
    return s === '.' || s === '..';
  };
  if (tail.split('/').some(isDot)) fail('malformed', 'ap:// path must not contain dot segments');
  return { did, path: tail, query, fragment };
}

function format(p: { did: Did; path: string; query?: string | undefined; fragment?: string | undefined }): ApId {
  let s = `ap://${p.did}${p.path}`;
  if (p.query !== undefined) s += `?${p.query}`;
  if (p.fragment !== undefined) s += `#${p.fragment}`;
  return s as ApId;
}

/** The canonical form, keeping query and fragment. */
export function canonicalApId(input: unknown): ApId {
  return format(parseApId(input));
}

/** The form used for identity: canonical, without the query. */
export function apIdKey(input: unknown): ApId {
  const p = parseApId(input);
  return format({ did: p.did, path: p.path, fragment: p.fragment });
}

/** The identity form of an id and the parts of it callers check, from one parse. */
export function apIdParts(input: unknown): { key: ApId; did: Did; path: string } {
  const p = parseApId(input);
  return { key: format({ did: p.did, path: p.path, fragment: p.fragment }), did: p.did, path: p.path };
}

export function apIdEquals(a: unknown, b: unknown): boolean {
  return apIdKey(a) === apIdKey(b);
}

export function isApId(s: unknown): s is ApId {
  try {
    parseApId(s);
    return true;
  } catch {
    return false;
  }
}

export function apId(did: Did, path: string): ApId {
  const p = path.startsWith('/') ? path : `/${path}`;
  return canonicalApId(`ap://${did}${p}`);
}

export function didOf(id: unknown): Did {
  return parseApId(id).did;
}

/**
 * The well-known ids of a person's actor and collections. Their paths are
 * constant, so only the DID is checked (a cached lookup): they are built for
 * every object ingested.
 */
const wellKnown = (did: Did, path: string): ApId => `ap://${parseDid(did)}${path}` as ApId;
export const actorId = (did: Did): ApId => wellKnown(did, '/actor');
export const outboxId = (did: Did): ApId => wellKnown(did, '/actor/outbox');
export const inboxId = (did: Did): ApId => wellKnown(did, '/actor/inbox');
export const followersId = (did: Did): ApId => wellKnown(did, '/actor/followers');
export const followingId = (did: Did): ApId => wellKnown(did, '/actor/following');
