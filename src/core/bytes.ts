import { createHash } from 'node:crypto';
import type { Digest } from './types.js';
import { fail } from './errors.js';

export const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) fail('bad-encoding', 'not a hex string');
  return new Uint8Array(Buffer.from(s, 'hex'));
}

export function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

export function sha256Hex(data: Uint8Array | string): Digest {
  return createHash('sha256').update(data).digest('hex') as Digest;
}

export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && /^[0-9a-f]{64}$/.test(s);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return joinBytes(parts);
}

/** One array holding the parts back to back. */
export function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
