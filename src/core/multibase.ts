import { base58 } from '@scure/base';
import { fail } from './errors.js';

/** Multibase base58btc: the `z` prefix followed by Bitcoin-alphabet base58. */
export function encodeBase58btc(bytes: Uint8Array): string {
  return 'z' + base58.encode(bytes);
}

export function decodeBase58btc(s: string): Uint8Array {
  if (typeof s !== 'string' || s[0] !== 'z') fail('bad-encoding', 'expected multibase base58btc (a string starting with "z")');
  try {
    return base58.decode(s.slice(1));
  } catch {
    return fail('bad-encoding', 'invalid base58btc characters');
  }
}

export const encodeBase58 = (b: Uint8Array): string => base58.encode(b);
export function decodeBase58(s: string): Uint8Array {
  try {
    return base58.decode(s);
  } catch {
    return fail('bad-encoding', 'invalid base58 characters');
  }
}
