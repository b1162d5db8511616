import { base32nopad } from '@scure/base';
import { fail } from './errors.js';
import { bytesEqual } from './bytes.js';
import { blake2b256, chacha20, ERIS_HASH_BYTES } from './eris-crypto.js';
import type { ErisBlockSize, ErisKey, ErisReference } from './eris.js';

/**
 * ERIS internal nodes: how one is opened and what shape it must have. The one
 * implementation for everything that walks a tree: the decoder (core/eris.ts)
 * and the block store, which opens the nodes of a pinned tree to learn which
 * blocks belong to it (store/blocks.ts).
 */

/** An internal node is a sequence of (reference, key) pairs. */
export const ERIS_PAIR_BYTES = 2 * ERIS_HASH_BYTES;

/** A (reference, key) pair of an internal node, and whether it leads down the tree's right edge. */
export interface ErisChild {
  readonly reference: ErisReference;
  readonly key: ErisKey;
  /** On the right edge: the only nodes that may hold fewer pairs than fit, and the leaf that carries the padding. */
  readonly rightmost: boolean;
}

/** Where an internal node sits in its tree: what opening it takes, and what shape it must have there. */
export interface ErisNodePlace extends ErisChild {
  /** 1 or more (level 0 is the leaves). */
  readonly level: number;
  /** The root, which holds at least two pairs. */
  readonly isRoot: boolean;
}

/** Refuses a block of the wrong size for its tree (KithError 'malformed'). */
export function checkErisBlockSize(block: Uint8Array, blockSize: ErisBlockSize, reference: ErisReference): void {
  if (block.length !== blockSize) {
    fail('malformed', `ERIS block ${name(reference)} is ${block.length} bytes but the read capability says ${blockSize}-byte blocks`);
  }
}

/**
 * Decrypts an internal node (nonce = its level), checks it, and returns its
 * children in order (copies: nothing reaches into the node). Its key is the
 * unkeyed hash of its plaintext, so a wrong key or level in the capability, or
 * a wrong pair in a parent, is caught here rather than read as garbage; and its
 * shape must be one the encoder makes (see countPairs). The caller has checked
 * that the block is the one its reference names. Throws KithError 'malformed'.
 */
export function openErisNode(block: Uint8Array, blockSize: ErisBlockSize, node: ErisNodePlace): ErisChild[] {
  checkErisBlockSize(block, blockSize, node.reference);
  const plaintext = chacha20(node.key, node.level, block);
  if (!bytesEqual(blake2b256(plaintext), node.key)) {
    fail(
      'malformed',
      `ERIS internal node at level ${node.level} does not match its key, so it does not open: ` +
        `the read capability's level or key, or a parent node, is wrong (block ${name(node.reference)})`,
    );
  }
  const count = countPairs(plaintext, node);
  const children: ErisChild[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * ERIS_PAIR_BYTES;
    children.push({
      reference: plaintext.slice(at, at + ERIS_HASH_BYTES),
      key: plaintext.slice(at + ERIS_HASH_BYTES, at + ERIS_PAIR_BYTES),
      rightmost: node.rightmost && i === count - 1,
    });
  }
  return children;
}

function isNullPair(plaintext: Uint8Array, at: number): boolean {
  for (let j = at; j < at + ERIS_PAIR_BYTES; j++) if (plaintext[j] !== 0) return false;
  return true;
}

/**
 * The number of pairs in a node, refusing shapes the encoder never makes: pairs
 * fill a node from the start and are followed only by null (all-zero) pairs;
 * every node but the last of its level is full; and a root holds at least two
 * pairs (had one been left, that pair would have been the root).
 */
function countPairs(plaintext: Uint8Array, node: ErisNodePlace): number {
  const { level } = node;
  const slots = plaintext.length / ERIS_PAIR_BYTES;
  let count = 0;
  while (count < slots && !isNullPair(plaintext, count * ERIS_PAIR_BYTES)) count++;
  for (let j = count * ERIS_PAIR_BYTES; j < plaintext.length; j++) {
    if (plaintext[j] !== 0) fail('malformed', `ERIS internal node at level ${level} has data after its first null reference-key pair`);
  }
  if (count === 0) fail('malformed', `ERIS internal node at level ${level} holds no reference-key pairs`);
  if (!node.rightmost && count < slots) fail('malformed', `ERIS internal node at level ${level} is not full but is not the last node of its level`);
  if (node.isRoot && count < 2) fail('malformed', `ERIS root node at level ${level} holds a single pair: that pair would itself be the root`);
  return count;
}

/** A reference as the spec's vectors and messages write it (formatErisReference; not imported, to keep eris.ts and this file acyclic). */
function name(reference: ErisReference): string {
  return base32nopad.encode(reference);
}
