import { fail } from './errors.js';

/** Unsigned LEB128 varints (as multiformats and libp2p use), up to 2^53 - 1. */

export function encodeVarint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) fail('malformed', `cannot encode ${n} as an unsigned varint`);
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Uint8Array.from(out);
}

/** Reads a varint at `pos`; refuses one that is cut off or longer than `maxBytes`. */
export function decodeVarint(buf: Uint8Array, pos: number, maxBytes = 8): { value: number; next: number } {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < maxBytes; i++) {
    if (pos + i >= buf.length) fail('malformed', 'a varint is cut off');
    const b = buf[pos + i]!;
    value += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) {
      if (!Number.isSafeInteger(value)) break;
      return { value, next: pos + i + 1 };
    }
    mul *= 0x80;
  }
  return fail('malformed', 'a varint is too long');
}
