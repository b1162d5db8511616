import canonicalizeJson from 'canonicalize';
import { fail } from './errors.js';

/**
 * RFC 8785 JSON Canonicalization Scheme. The `canonicalize` package is the
 * reference implementation by the RFC's author; we only turn its failures
 * (NaN, lone surrogates, cycles) into Kith errors.
 */
export function canonicalize(value: unknown): string {
  let out: string | undefined;
  try {
    out = canonicalizeJson(value);
  } catch (e) {
    return fail('malformed', `cannot canonicalise JSON: ${(e as Error).message}`);
  }
  if (out === undefined) fail('malformed', 'cannot canonicalise a value that is not JSON');
  return out;
}

export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}

/**
 * The canonical members of an object, sorted as JCS sorts them (by UTF-16
 * code units). Lets a caller canonicalise an object with and without one
 * member (a proof) while serialising every other member only once.
 */
export type CanonicalMembers = ReadonlyArray<readonly [key: string, member: string]>;

export function canonicalMembers(obj: Record<string, unknown>): CanonicalMembers {
  const out: Array<readonly [string, string]> = [];
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    if (v === undefined) continue;
    out.push([key, `${canonicalize(key)}:${canonicalize(v)}`]);
  }
  return out;
}

export function joinMembers(members: CanonicalMembers, skip?: string): string {
  let s = '{';
  let first = true;
  for (const [key, member] of members) {
    if (key === skip) continue;
    if (!first) s += ',';
    s += member;
    first = false;
  }
  return s + '}';
}
