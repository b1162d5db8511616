import { fail } from '../core/errors.js';
import { ERIS_HASH_BYTES } from '../core/eris-crypto.js';
import { ERIS_LARGE_BLOCK_BYTES } from '../core/eris.js';

/**
 * The blocks protocol on the wire: fetch ERIS blocks (encrypted,
 * content-addressed; see src/core/eris.ts and src/store/blocks.ts) by
 * reference. A node serves any block it holds, to anyone: a block is
 * ciphertext, and only a read capability, which never travels over this
 * protocol, opens it.
 *
 *   client → WANT  ref ref …      1 to 256 references of 32 bytes, back to back
 *   server → BLOCK bytes          one answer per reference, in the order asked:
 *          | NONE                  the block (1 KiB or 32 KiB), or "I do not hold it"
 *   client → WANT …               any number more, pipelined (the server answers
 *                                 one WANT at a time, in order), or the end of the stream
 *
 * Every frame is length-prefixed (src/net/frames.ts) and starts with its type
 * byte. The server is net/block-server.ts, the client net/block-fetcher.ts.
 */

export const BLOCKS_PROTOCOL = '/kith/blocks/1.0.0';

/** The type byte that starts every frame of the blocks protocol. */
export const enum BlockFrame {
  /** References wanted, 32 bytes each. */
  Want = 1,
  /** One block, the answer to one reference. */
  Block = 2,
  /** The server does not hold the block; the answer to one reference. */
  None = 3,
}

/** References in one WANT frame at most. */
export const MAX_WANT_REFS = 256;
export const MAX_WANT_FRAME_BYTES = 1 + MAX_WANT_REFS * ERIS_HASH_BYTES;
export const MAX_ANSWER_FRAME_BYTES = 1 + ERIS_LARGE_BLOCK_BYTES;

/** An answer as read off the wire: a block (a view into the frame), or "not held". */
export type BlockAnswer = { readonly kind: 'block'; readonly block: Uint8Array } | { readonly kind: 'none' };

/** A WANT frame for these references (1 to MAX_WANT_REFS of them). */
export function encodeWant(refs: readonly Uint8Array[]): Uint8Array {
  if (refs.length === 0 || refs.length > MAX_WANT_REFS) fail('malformed', `a WANT frame names 1 to ${MAX_WANT_REFS} references, not ${refs.length}`);
  const out = new Uint8Array(1 + refs.length * ERIS_HASH_BYTES);
  out[0] = BlockFrame.Want;
  refs.forEach((r, i) => {
    if (r.length !== ERIS_HASH_BYTES) fail('malformed', `an ERIS reference is ${ERIS_HASH_BYTES} bytes, not ${r.length}`);
    out.set(r, 1 + i * ERIS_HASH_BYTES);
  });
  return out;
}

/** The references of a WANT frame (views into it), after every check on its shape. */
export function parseWant(f: Uint8Array): Uint8Array[] {
  if (f.length === 0) fail('malformed', 'empty frame on the blocks protocol');
  if (f[0] !== BlockFrame.Want) fail('malformed', `expected a WANT frame (type ${BlockFrame.Want}), got type ${f[0]}`);
  const body = f.subarray(1);
  if (body.length % ERIS_HASH_BYTES !== 0) {
    fail('malformed', `a WANT frame holds whole ${ERIS_HASH_BYTES}-byte references; this one has ${body.length} bytes`);
  }
  const n = body.length / ERIS_HASH_BYTES;
  if (n === 0) fail('malformed', 'a WANT frame must name at least one reference');
  if (n > MAX_WANT_REFS) fail('too-large', `a WANT frame asks for ${n} blocks; 1 to ${MAX_WANT_REFS} are allowed`);
  return Array.from({ length: n }, (_, i) => body.subarray(i * ERIS_HASH_BYTES, (i + 1) * ERIS_HASH_BYTES));
}

/** The frame answering one reference: the block, or NONE when it is undefined. */
export function encodeAnswer(block: Uint8Array | undefined): Uint8Array {
  const out = new Uint8Array(1 + (block?.length ?? 0));
  out[0] = block === undefined ? BlockFrame.None : BlockFrame.Block;
  if (block !== undefined) out.set(block, 1);
  return out;
}

/** An answer frame's meaning, after checks on its shape (KithError 'malformed'); the block itself is checked by storing it. */
export function parseAnswer(f: Uint8Array): BlockAnswer {
  if (f.length === 0) fail('malformed', 'an empty frame on the blocks protocol');
  if (f[0] === BlockFrame.None) {
    if (f.length !== 1) fail('malformed', 'a NONE frame with a body');
    return { kind: 'none' };
  }
  if (f[0] !== BlockFrame.Block) fail('malformed', `unexpected frame type ${f[0]} on the blocks protocol`);
  return { kind: 'block', block: f.subarray(1) };
}
