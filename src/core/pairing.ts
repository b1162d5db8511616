import { fail } from './errors.js';

/**
 * Pairing a device: the home node shows a short code, the new device proves
 * it holds its key by signing the code, and gets a device certificate.
 * Later it logs back in by signing a fresh nonce. These are the messages and
 * the code format both sides share.
 */

/** Upper-case letters and digits without the ones people misread (0/O, 1/I/L, U/V). 30 symbols, 8 of them: 39 bits. */
export const PAIRING_ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';
export const PAIRING_CODE_LENGTH = 8;

/**
 * A code from random bytes, without bias: bytes at or above the largest
 * multiple of the alphabet size are skipped. Returns undefined if the bytes
 * ran out (the caller draws more).
 */
export function pairingCodeFromBytes(bytes: Uint8Array): string | undefined {
  const n = PAIRING_ALPHABET.length;
  const limit = 256 - (256 % n);
  let code = '';
  for (const b of bytes) {
    if (b >= limit) continue;
    code += PAIRING_ALPHABET[b % n];
    if (code.length === PAIRING_CODE_LENGTH) return code;
  }
  return undefined;
}

/** What people type, made comparable: case, spaces and dashes do not matter; anything else outside the alphabet is refused. */
export function normalizePairingCode(input: unknown): string {
  if (typeof input !== 'string' || input.length > 32) return fail('malformed', 'code must be the 8-character pairing code, like ABCD-EFGH');
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== PAIRING_CODE_LENGTH || [...code].some((c) => !PAIRING_ALPHABET.includes(c))) {
    fail('malformed', `"${input.slice(0, 16)}" is not a pairing code: it has ${PAIRING_CODE_LENGTH} letters and digits, like ABCD-EFGH`);
  }
  return code;
}

/** ABCDEFGH → ABCD-EFGH, easier to read out and type. */
export function formatPairingCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** What a new device signs to claim a pairing code. Domain-separated, so it can never pass for a session login or a post. */
export function pairMessage(code: string, publicKey: string): string {
  return `kith-pair\n${code}\n${publicKey}`;
}

/** What a paired device signs to log in again. */
export function sessionMessage(nonce: string, publicKey: string): string {
  return `kith-session\n${nonce}\n${publicKey}`;
}
