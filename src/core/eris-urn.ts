import { base32nopad } from '@scure/base';
import { KithError, fail } from './errors.js';
import { ERIS_READ_CAPABILITY_BYTES, readCapabilityFromBytes, readCapabilityToBytes, type ReadCapability } from './eris.js';

/**
 * ERIS read capabilities as URNs (`urn:eris:…`), the form they travel in:
 * in a post's attachment, a backup, a `kith fetch`. A refusal says what is
 * actually wrong, since a person may have typed or pasted it.
 */

const URN_PREFIX = 'urn:eris:';
/** 66 bytes in unpadded base32 (5 bits per character). */
const URN_BODY_CHARS = Math.ceil((ERIS_READ_CAPABILITY_BYTES * 8) / 5);

/** `urn:eris:` followed by the binary capability in unpadded RFC 4648 base32. */
export function formatErisUrn(cap: ReadCapability): string {
  return URN_PREFIX + base32nopad.encode(readCapabilityToBytes(cap));
}

/**
 * Whether a value says it is an ERIS URN (the prefix, in any case, as RFC 8141
 * allows): such a value is fetched and pinned, so it must then parse.
 */
export function claimsErisUrn(v: unknown): v is string {
  return typeof v === 'string' && v.slice(0, URN_PREFIX.length).toLowerCase() === URN_PREFIX;
}

export function parseErisUrn(urn: string): ReadCapability {
  if (typeof urn !== 'string') fail('malformed', 'an ERIS URN must be a string');
  // URN scheme and namespace are case-insensitive (RFC 8141); the base32 body is not.
  if (urn.slice(0, URN_PREFIX.length).toLowerCase() !== URN_PREFIX) fail('malformed', `an ERIS URN starts with "${URN_PREFIX}"`);
  const body = urn.slice(URN_PREFIX.length);
  if (body.length !== URN_BODY_CHARS) {
    fail('malformed', `an ERIS URN has ${URN_BODY_CHARS} base32 characters after "${URN_PREFIX}", this one has ${body.length} (truncated or padded?)`);
  }
  const odd = /[^A-Z2-7]/.exec(body);
  if (odd) {
    const what = /[a-z]/.test(odd[0]) ? 'lowercase' : 'not base32 at all';
    fail(
      'bad-encoding',
      `an ERIS URN is uppercase base32 (A-Z, 2-7), but character ${odd.index + 1} after "${URN_PREFIX}" is "${odd[0]}", ${what}: mistyped or changed in copying`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = base32nopad.decode(body);
  } catch {
    // All 106 characters are base32, so the last one failed: it carries 2 bits past the 66 bytes, which must be 0.
    const why = `its last character "${body.at(-1)!}" sets bits past the 66 bytes a capability has (a valid one ends in A, E, I, M, Q, U, Y or 4)`;
    return fail('bad-encoding', `not a valid ERIS read capability: ${why}, so the URN was changed or mistyped at its end (base32 itself is fine)`);
  }
  try {
    return readCapabilityFromBytes(bytes);
  } catch (e) {
    // The first characters carry the block size and the tree's depth: a change there gives values no encoder writes.
    throw e instanceof KithError ? new KithError(e.code, `not a valid ERIS read capability: ${e.message} (the URN was changed or mistyped near its start)`) : e;
  }
}
