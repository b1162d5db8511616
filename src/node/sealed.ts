import { randomBytes } from 'node:crypto';
import { fail } from '../core/errors.js';
import { canonicalize } from '../core/jcs.js';
import { actorId } from '../core/apid.js';
import { AS_CONTEXT, isoNow, newObjectId } from '../core/as2.js';
import { decodeErisToBytes, encodeEris, formatErisReference, initEris, parseErisReference, type ErisBlockSize, type ErisReference } from '../core/eris.js';
import { formatErisUrn, parseErisUrn } from '../core/eris-urn.js';
import { isJsonObject, type Did, type JsonObject } from '../core/types.js';
import type { Ingested } from '../store/ingest.js';
import type { KithNode } from './kith-node.js';

/**
 * Sealed objects: a non-public object is signed, then stored as ERIS
 * ciphertext under a random convergence secret (so nobody can confirm a
 * guess of its content), and only an envelope goes into the author's scope.
 * The envelope is signed and public: it names the blocks, not the key. It
 * replicates like any other object, so followers and hosts keep and serve
 * blocks they cannot read; whoever is given the read capability (the URN)
 * can. Who receives it is the follower-key layer's business.
 */

export const SEALED_TYPE = 'KithSealed';
const SEALED_BLOCK_SIZE: ErisBlockSize = 1024;
/** An envelope lists every block; the ingest limit on objects keeps this small. */
const MAX_SEALED_BLOCKS = 256;

export interface SealedResult {
  /** The read capability: give it only to those allowed to read. */
  readonly urn: string;
  /** The public envelope, as stored in the outbox. */
  readonly envelope: Ingested;
}

/**
 * Signs `object` (which must be this person's, with an ap:// id of theirs), seals it and publishes its envelope.
 * `extra` adds signed fields to the envelope, made from the read capability and the envelope's id
 * (a followers-only post carries its capability encrypted under the epoch key).
 */
export async function sealObject(
  node: KithNode,
  object: JsonObject,
  audience: readonly string[],
  extra?: (urn: string, envelopeId: string) => JsonObject,
): Promise<SealedResult> {
  const signed = node.sign(object);
  // Every ingest check, without storing: a sealed object must be as valid as a public one.
  node.check(signed);
  const bytes = Buffer.from(canonicalize(signed), 'utf8');
  if (bytes.length > node.ingestor.limits.maxObjectBytes) fail('too-large', `a sealed object is limited to ${node.ingestor.limits.maxObjectBytes} bytes`);
  await initEris();
  const blocks: [ErisReference, Uint8Array][] = [];
  const cap = await encodeEris(bytes, (ref, block) => void blocks.push([ref, block.slice()]), {
    blockSize: SEALED_BLOCK_SIZE,
    convergenceSecret: new Uint8Array(randomBytes(32)),
  });
  node.store.transaction(() => {
    for (const [ref, block] of blocks) node.store.blocks.put(ref, block);
  });
  node.store.blocks.pin(cap, 'sealed');
  const envelopeId = newObjectId(node.did);
  const urn = formatErisUrn(cap);
  const envelope = node.sign({
    ...(extra ? extra(urn, envelopeId) : {}),
    '@context': [...AS_CONTEXT],
    id: envelopeId,
    type: SEALED_TYPE,
    attributedTo: actorId(node.did),
    published: isoNow(),
    to: [...audience],
    sealed: {
      root: formatErisReference(cap.rootReference),
      blockSize: cap.blockSize,
      level: cap.level,
      blocks: blocks.map(([ref]) => formatErisReference(ref)),
    },
  });
  return { urn, envelope: node.ingest(envelope) };
}

export interface SealedBlocks {
  readonly root: ErisReference;
  readonly blockSize: ErisBlockSize;
  readonly level: number;
  readonly blocks: ErisReference[];
}

/** The blocks an envelope names, checked; undefined when the object is not an envelope. */
export function sealedBlocksOf(doc: JsonObject): SealedBlocks | undefined {
  if (doc.type !== SEALED_TYPE) return undefined;
  const s = doc.sealed;
  if (!isJsonObject(s)) return fail('malformed', 'a sealed envelope needs its `sealed` description');
  if (s.blockSize !== 1024 && s.blockSize !== 32768) fail('malformed', 'a sealed envelope names a block size of 1024 or 32768');
  if (typeof s.level !== 'number') fail('malformed', 'a sealed envelope names its tree level');
  if (!Array.isArray(s.blocks) || s.blocks.length === 0 || s.blocks.length > MAX_SEALED_BLOCKS) {
    fail('malformed', `a sealed envelope lists 1 to ${MAX_SEALED_BLOCKS} blocks`);
  }
  return { root: parseErisReference(s.root), blockSize: s.blockSize, level: s.level, blocks: s.blocks.map(parseErisReference) };
}

/** Opens a sealed object with its read capability: decodes the blocks this store holds, checks the object, returns it. */
export async function openSealed(node: KithNode, urn: string, author?: Did): Promise<JsonObject> {
  await initEris();
  const bytes = await decodeErisToBytes(parseErisUrn(urn), (ref) => node.store.blocks.get(ref), { maxBytes: node.ingestor.limits.maxObjectBytes });
  const checked = node.check(bytes);
  if (author !== undefined && checked.owner !== author) fail('wrong-key', `the sealed object belongs to ${checked.owner}, not ${author}`);
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as JsonObject;
}
