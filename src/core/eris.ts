import { base32nopad } from '@scure/base';
import { fail } from './errors.js';
import { bytesEqual, joinBytes } from './bytes.js';
import { blake2b256, chacha20, ERIS_HASH_BYTES, initErisCrypto, keyedBlake2b256, type KeyedHash } from './eris-crypto.js';
import { checkErisBlockSize, ERIS_PAIR_BYTES, openErisNode, type ErisChild, type ErisNodePlace } from './eris-node.js';

/**
 * ERIS 1.0.0, the Encoding for Robust Immutable Storage (https://eris.codeberg.page/spec).
 *
 * Content is padded, cut into blocks of 1 KiB or 32 KiB, and each block is
 * encrypted and addressed by the hash of its ciphertext; a tree of internal
 * nodes (also encrypted blocks) collects the (reference, key) pairs until one
 * pair — the root — is left. Whoever holds the read capability (block size,
 * level, root reference, root key) can read the content; whoever only holds
 * blocks learns nothing but their number.
 *
 * Both directions stream: the encoder keeps one partial node per tree level and
 * the decoder one decrypted node per level plus a bounded read-ahead, so memory
 * is O(tree height × block size) whatever the content size.
 */

/** ERIS 1.0's small block: the spec's choice for content under 16 KiB. */
export const ERIS_SMALL_BLOCK_BYTES = 1024;
/** ERIS 1.0's large block, and so the largest block there is. */
export const ERIS_LARGE_BLOCK_BYTES = 32768;
/** The two block sizes ERIS 1.0 allows. */
export type ErisBlockSize = typeof ERIS_SMALL_BLOCK_BYTES | typeof ERIS_LARGE_BLOCK_BYTES;
/** BLAKE2b-256 of an encrypted block: its content address (32 bytes). */
export type ErisReference = Uint8Array;
/** The ChaCha20 key a block is encrypted under (32 bytes). */
export type ErisKey = Uint8Array;

/** What it takes to read ERIS content: which tree, how deep, and how to open its root. */
export interface ReadCapability {
  readonly blockSize: ErisBlockSize;
  /** Height of the tree: 0 when the root is the only (leaf) block. */
  readonly level: number;
  readonly rootReference: ErisReference;
  readonly rootKey: ErisKey;
}

/** Called with every block the encoder makes, in order. The same block may come more than once (equal plaintext blocks). */
export type PutBlock = (reference: ErisReference, block: Uint8Array) => void | Promise<void>;
/** Looks a block up by reference; undefined when it is not held. Blocks are verified by the decoder, not trusted. */
export type GetBlock = (reference: ErisReference) => Uint8Array | undefined | Promise<Uint8Array | undefined>;
/** Content to encode: all at once, or a (possibly async) stream of chunks of any sizes. */
export type ErisContent = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

export interface ErisEncodeOptions {
  readonly blockSize: ErisBlockSize;
  /**
   * Keys every leaf key (BLAKE2b-256 keyed with it). The default, 32 zero bytes,
   * is the spec's convergent encoding: equal content gives equal blocks and URN,
   * so stores de-duplicate — and anyone can confirm a guess of the content. Pass
   * 32 random bytes for unique encoding of private content.
   */
  readonly convergenceSecret?: Uint8Array;
}

export interface ErisDecodeOptions {
  /** Refuse content longer than this many bytes (KithError 'too-large'). Default: no limit. */
  readonly maxBytes?: number;
  /** How many leaf blocks to request ahead of the one being output. Default 8. */
  readonly readAhead?: number;
}

/** Size of the binary read capability: block-size code, level, reference, key. */
export const ERIS_READ_CAPABILITY_BYTES = 2 + 2 * ERIS_HASH_BYTES;
/** Padding marks the end of content with this byte, then zeros to the block boundary. */
const PADDING_MARK = 0x80;
const DEFAULT_READ_AHEAD = 8;

/** Creates the BLAKE2b hashers once; afterwards `erisReference` and all per-block hashing are synchronous. */
export const initEris = initErisCrypto;

/** The reference of a block: BLAKE2b-256 of its bytes. Needs `await initEris()` first. */
export function erisReference(block: Uint8Array): ErisReference {
  return blake2b256(block);
}

/** Content shorter than this goes in small blocks (the spec's recommendation). */
const SMALL_CONTENT_BYTES = 16 * 1024;

/** The spec's recommendation: small content in 1 KiB blocks, the rest in 32 KiB. */
export function recommendedBlockSize(contentLength: number): ErisBlockSize {
  return contentLength < SMALL_CONTENT_BYTES ? ERIS_SMALL_BLOCK_BYTES : ERIS_LARGE_BLOCK_BYTES;
}

export function isErisBlockSize(n: unknown): n is ErisBlockSize {
  return n === ERIS_SMALL_BLOCK_BYTES || n === ERIS_LARGE_BLOCK_BYTES;
}

/** "1024 or 32768", for messages that refuse any other size. */
export const ERIS_BLOCK_SIZES_TEXT = `${ERIS_SMALL_BLOCK_BYTES} or ${ERIS_LARGE_BLOCK_BYTES}`;

// ---------------------------------------------------------------------------
// Read capability: binary form and URN

/** The binary form codes a block size as its base-2 logarithm. */
function blockSizeCode(blockSize: ErisBlockSize): number {
  return Math.log2(blockSize);
}

/** Pairs per internal node: 16 for 1 KiB blocks, 512 for 32 KiB. */
function arity(blockSize: ErisBlockSize): number {
  return blockSize / ERIS_PAIR_BYTES;
}

/**
 * The deepest tree a capability may name. The spec allows any byte; we refuse
 * levels that only content of 2^64 bytes or more could need (level L is needed
 * once there are more than arity^(L-1) leaves), so a forged level cannot send
 * a decoder down an absurd tree: 14 for 1 KiB blocks, 6 for 32 KiB.
 */
export function maxErisLevel(blockSize: ErisBlockSize): number {
  const blockBits = Math.log2(blockSize);
  const arityBits = Math.log2(arity(blockSize));
  return Math.ceil((64 - blockBits) / arityBits);
}

/** Checks a capability's fields, whatever produced it (parser, JSON, caller). */
export function checkReadCapability(cap: ReadCapability): ReadCapability {
  if (typeof cap !== 'object' || cap === null) fail('malformed', 'an ERIS read capability must be an object');
  if (!isErisBlockSize(cap.blockSize)) fail('malformed', `ERIS block size ${String(cap.blockSize)} is not ${ERIS_BLOCK_SIZES_TEXT}`);
  const max = maxErisLevel(cap.blockSize);
  if (!Number.isInteger(cap.level) || cap.level < 0 || cap.level > max) {
    fail('malformed', `ERIS level ${String(cap.level)} is out of range (0 to ${max} for ${cap.blockSize}-byte blocks)`);
  }
  for (const [name, value] of [
    ['root reference', cap.rootReference],
    ['root key', cap.rootKey],
  ] as const) {
    if (!(value instanceof Uint8Array) || value.length !== ERIS_HASH_BYTES) fail('malformed', `ERIS ${name} must be ${ERIS_HASH_BYTES} bytes`);
  }
  return cap;
}

/** The 66-byte binary read capability: block-size code, level, root reference, root key. */
export function readCapabilityToBytes(cap: ReadCapability): Uint8Array {
  checkReadCapability(cap);
  const out = new Uint8Array(ERIS_READ_CAPABILITY_BYTES);
  out[0] = blockSizeCode(cap.blockSize);
  out[1] = cap.level;
  out.set(cap.rootReference, 2);
  out.set(cap.rootKey, 2 + ERIS_HASH_BYTES);
  return out;
}

export function readCapabilityFromBytes(bytes: Uint8Array): ReadCapability {
  if (!(bytes instanceof Uint8Array)) fail('malformed', 'an ERIS read capability must be bytes');
  if (bytes.length !== ERIS_READ_CAPABILITY_BYTES) {
    fail('malformed', `an ERIS read capability is ${ERIS_READ_CAPABILITY_BYTES} bytes, not ${bytes.length}`);
  }
  const code = bytes[0]!;
  const blockSize = 2 ** code;
  if (!isErisBlockSize(blockSize)) fail('malformed', `unknown ERIS block size code 0x${code.toString(16).padStart(2, '0')} (expected 0x0a or 0x0f)`);
  return checkReadCapability({
    blockSize,
    level: bytes[1]!,
    rootReference: bytes.slice(2, 2 + ERIS_HASH_BYTES),
    rootKey: bytes.slice(2 + ERIS_HASH_BYTES),
  });
}

/** A reference as base32, the way the spec's vectors and messages name blocks. */
export function formatErisReference(reference: ErisReference): string {
  return base32nopad.encode(reference);
}

export function parseErisReference(text: unknown): ErisReference {
  if (typeof text !== 'string' || text.length !== 52) return fail('malformed', 'an ERIS reference is 52 base32 characters');
  let bytes: Uint8Array;
  try {
    bytes = base32nopad.decode(text);
  } catch {
    return fail('bad-encoding', 'an ERIS reference is not valid base32');
  }
  if (bytes.length !== ERIS_HASH_BYTES) fail('malformed', 'an ERIS reference is 32 bytes');
  return bytes;
}

// ---------------------------------------------------------------------------
// Encoding

/**
 * Encodes content into blocks, handing each to `put` as soon as it is made
 * (awaited, so a slow store slows the encoder instead of filling memory), and
 * returns the read capability.
 */
export async function encodeEris(content: ErisContent, put: PutBlock, options: ErisEncodeOptions): Promise<ReadCapability> {
  const { blockSize } = options;
  if (!isErisBlockSize(blockSize)) fail('malformed', `ERIS block size ${String(blockSize)} is not ${ERIS_BLOCK_SIZES_TEXT}`);
  const secret = options.convergenceSecret ?? new Uint8Array(ERIS_HASH_BYTES);
  if (!(secret instanceof Uint8Array) || secret.length !== ERIS_HASH_BYTES) {
    fail('malformed', `an ERIS convergence secret is ${ERIS_HASH_BYTES} bytes`);
  }
  await initErisCrypto();
  const tree = new TreeBuilder(blockSize, await keyedBlake2b256(secret), put);

  // One plaintext leaf is filled at a time and reused: encryption copies it out.
  const leaf = new Uint8Array(blockSize);
  let filled = 0;
  for await (const chunk of content instanceof Uint8Array ? [content] : content) {
    if (!(chunk instanceof Uint8Array)) fail('malformed', 'ERIS content chunks must be Uint8Array');
    for (let offset = 0; offset < chunk.length;) {
      const n = Math.min(blockSize - filled, chunk.length - offset);
      leaf.set(chunk.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      // A full leaf is never the last one (padding always follows), so it can go now.
      if (filled === blockSize) {
        await tree.addLeaf(leaf);
        filled = 0;
      }
    }
  }
  // Padding: 0x80 then zeros to the block boundary. There is always room for
  // the mark, so content that fills its last block gets a block of padding.
  leaf.fill(0, filled);
  leaf[filled] = PADDING_MARK;
  await tree.addLeaf(leaf);
  return tree.finish();
}

/** Collects (reference, key) pairs into an internal node's plaintext. */
class PendingNode {
  private bytes: Uint8Array;
  count = 0;

  constructor(private readonly blockSize: ErisBlockSize) {
    this.bytes = new Uint8Array(blockSize);
  }

  get full(): boolean {
    return this.count === arity(this.blockSize);
  }

  add(reference: ErisReference, key: ErisKey): void {
    this.bytes.set(reference, this.count * ERIS_PAIR_BYTES);
    this.bytes.set(key, this.count * ERIS_PAIR_BYTES + ERIS_HASH_BYTES);
    this.count++;
  }

  pair(i: number): { reference: ErisReference; key: ErisKey } {
    const at = i * ERIS_PAIR_BYTES;
    return { reference: this.bytes.slice(at, at + ERIS_HASH_BYTES), key: this.bytes.slice(at + ERIS_HASH_BYTES, at + ERIS_PAIR_BYTES) };
  }

  /** The node's plaintext; unused pairs stay zero (the spec's null pairs). Starts a fresh node. */
  take(): Uint8Array {
    const out = this.bytes;
    this.bytes = new Uint8Array(this.blockSize);
    this.count = 0;
    return out;
  }
}

/**
 * Builds the tree bottom-up as leaves arrive. `nodes[i]` gathers the pairs of
 * level-i blocks into the next node of level i+1; a node is encrypted and
 * handed on as soon as it is full, so only one partial node per level is held.
 */
class TreeBuilder {
  private readonly nodes: PendingNode[] = [];

  constructor(
    private readonly blockSize: ErisBlockSize,
    private readonly leafKey: KeyedHash,
    private readonly put: PutBlock,
  ) {}

  /** Leaf key: BLAKE2b-256 keyed with the convergence secret, so equal content converges only under equal secrets. */
  async addLeaf(plaintext: Uint8Array): Promise<void> {
    const key = this.leafKey(plaintext);
    await this.addPair(0, await this.store(0, key, plaintext), key);
  }

  /** Encrypts a block of the given level and stores it; returns its reference. */
  private async store(level: number, key: ErisKey, plaintext: Uint8Array): Promise<ErisReference> {
    const block = chacha20(key, level, plaintext);
    const reference = blake2b256(block);
    await this.put(reference, block);
    return reference;
  }

  private async addPair(level: number, reference: ErisReference, key: ErisKey): Promise<void> {
    const node = (this.nodes[level] ??= new PendingNode(this.blockSize));
    node.add(reference, key);
    if (node.full) await this.seal(level);
  }

  /** Internal-node key: unkeyed BLAKE2b-256 of the node, which lets a reader verify it. */
  private async seal(childLevel: number): Promise<void> {
    const plaintext = this.nodes[childLevel]!.take();
    const key = blake2b256(plaintext);
    await this.addPair(childLevel + 1, await this.store(childLevel + 1, key, plaintext), key);
  }

  private pairsAbove(level: number): boolean {
    return this.nodes.slice(level + 1).some((n) => n.count > 0);
  }

  /** Seals the partial nodes bottom-up until a single pair, the root, is left. */
  async finish(): Promise<ReadCapability> {
    for (let level = 0; level < this.nodes.length; level++) {
      const node = this.nodes[level]!;
      if (node.count === 0) continue; // everything here was already sealed upward
      if (node.count === 1 && !this.pairsAbove(level)) {
        const root = node.pair(0);
        return { blockSize: this.blockSize, level, rootReference: root.reference, rootKey: root.key };
      }
      await this.seal(level);
    }
    // Unreachable: addLeaf ran at least once, and each seal adds a pair one level up.
    return fail('malformed', 'ERIS encoder finished without a root');
  }
}

// ---------------------------------------------------------------------------
// Decoding

/**
 * Streams the content a read capability names, block by block. Every block is
 * checked against its reference before it is decrypted, internal nodes against
 * their keys and shape, and the last block's padding; on the first failure the
 * stream throws a KithError and outputs nothing more:
 * - 'not-found': `get` did not have a block;
 * - 'bad-encoding': a block's bytes do not hash to its reference;
 * - 'malformed': the tree is not a valid ERIS encoding (block of the wrong size,
 *   a node that does not match its key, a misshapen node, bad padding) —
 *   typically a manipulated read capability;
 * - 'too-large': longer than `maxBytes`.
 * Bytes already output stay output: a consumer should treat the content as
 * unusable unless the stream ends normally.
 */
export async function* decodeEris(cap: ReadCapability, get: GetBlock, options: ErisDecodeOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  checkReadCapability(cap);
  const maxBytes = options.maxBytes ?? Infinity;
  const readAhead = options.readAhead ?? DEFAULT_READ_AHEAD;
  if (!(maxBytes >= 0)) fail('malformed', 'maxBytes must be a non-negative number');
  if (!Number.isInteger(readAhead) || readAhead < 1) fail('malformed', 'readAhead must be a positive integer');
  refuseIfTooDeep(cap, maxBytes);
  await initErisCrypto();

  const reader = new BlockReader(cap.blockSize, get);
  const leaves = leafPairs(cap, reader);
  const pending: Promise<Outcome<Uint8Array>>[] = [];
  let exhausted = false;
  let output = 0;
  try {
    for (;;) {
      while (!exhausted && pending.length < readAhead) {
        const next = await leaves.next();
        if (next.done) exhausted = true;
        else pending.push(outcomeOf(readLeaf(reader, next.value)));
      }
      const leaf = pending.shift();
      if (!leaf) return;
      const outcome = await leaf;
      if (!outcome.ok) throw outcome.error;
      const plaintext = outcome.value;
      output += plaintext.length;
      if (output > maxBytes) fail('too-large', `ERIS content is longer than the limit of ${maxBytes} bytes`);
      yield plaintext;
    }
  } finally {
    await leaves.return();
  }
}

/** Decodes into one buffer: for content known to be small (pass maxBytes for anything from outside). */
export async function decodeErisToBytes(cap: ReadCapability, get: GetBlock, options: ErisDecodeOptions = {}): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of decodeEris(cap, get, options)) chunks.push(chunk);
  return joinBytes(chunks);
}

/** A tree of level L holds more than arity^(L-1) leaves: refuse it up front if even the smallest is too long. */
function refuseIfTooDeep(cap: ReadCapability, maxBytes: number): void {
  if (cap.level === 0) return;
  const smallest = cap.blockSize * arity(cap.blockSize) ** (cap.level - 1);
  if (smallest > maxBytes) fail('too-large', `ERIS content of level ${cap.level} is at least ${smallest} bytes, over the limit of ${maxBytes}`);
}

/**
 * A read-ahead result held as a value: one the consumer reaches is rethrown
 * there if it failed; one it never reaches (it left the stream early) goes with
 * the stream instead of surfacing as an unhandled rejection.
 */
type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

function outcomeOf<T>(p: Promise<T>): Promise<Outcome<T>> {
  return p.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

/** Fetches blocks and checks size and reference before anything uses them. */
class BlockReader {
  constructor(
    private readonly blockSize: ErisBlockSize,
    private readonly get: GetBlock,
  ) {}

  async read(reference: ErisReference): Promise<Uint8Array> {
    const block = await this.get(reference);
    if (block === undefined) fail('not-found', `ERIS block ${formatErisReference(reference)} is missing`);
    if (!(block instanceof Uint8Array)) fail('malformed', `the store returned something other than bytes for ERIS block ${formatErisReference(reference)}`);
    checkErisBlockSize(block, this.blockSize, reference);
    if (!bytesEqual(blake2b256(block), reference)) {
      fail('bad-encoding', `ERIS block ${formatErisReference(reference)} does not match its reference (its BLAKE2b-256 differs): corrupted or substituted`);
    }
    return block;
  }
}

interface LeafPair {
  readonly reference: ErisReference;
  readonly key: ErisKey;
  /** The rightmost leaf, which carries the padding. */
  readonly last: boolean;
}

async function readLeaf(reader: BlockReader, leaf: LeafPair): Promise<Uint8Array> {
  const plaintext = chacha20(leaf.key, 0, await reader.read(leaf.reference));
  return leaf.last ? unpad(plaintext) : plaintext;
}

/** Strips the padding: the last non-zero byte must be the 0x80 mark. */
function unpad(block: Uint8Array): Uint8Array {
  let i = block.length - 1;
  while (i >= 0 && block[i] === 0) i--;
  if (i < 0 || block[i] !== PADDING_MARK) {
    fail('malformed', 'the last ERIS block has invalid padding (expected 0x80 then zeros): a wrong key, or not ERIS content');
  }
  return block.subarray(0, i);
}

/** An internal node being walked: its children and the next one to visit. */
interface NodeCursor {
  readonly level: number;
  readonly children: readonly ErisChild[];
  next: number;
}

/**
 * The leaves' (reference, key) pairs in content order, depth first. Holds one
 * opened node per level; each node is fetched only when the walk reaches it.
 */
async function* leafPairs(cap: ReadCapability, reader: BlockReader): AsyncGenerator<LeafPair, void, undefined> {
  if (cap.level === 0) {
    yield { reference: cap.rootReference.slice(), key: cap.rootKey.slice(), last: true };
    return;
  }
  const open = async (node: ErisNodePlace): Promise<NodeCursor> => ({
    level: node.level,
    children: openErisNode(await reader.read(node.reference), cap.blockSize, node),
    next: 0,
  });
  const stack: NodeCursor[] = [await open({ reference: cap.rootReference.slice(), key: cap.rootKey.slice(), level: cap.level, rightmost: true, isRoot: true })];
  while (stack.length > 0) {
    const cursor = stack[stack.length - 1]!;
    if (cursor.next === cursor.children.length) {
      stack.pop();
      continue;
    }
    const child = cursor.children[cursor.next++]!;
    if (cursor.level === 1) yield { reference: child.reference, key: child.key, last: child.rightmost };
    else stack.push(await open({ ...child, level: cursor.level - 1, isRoot: false }));
  }
}
