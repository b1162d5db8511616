import { createReadStream, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import { fail, KithError } from '../core/errors.js';
import { encodeBase58btc } from '../core/multibase.js';
import { decodeEris, encodeEris, initEris, recommendedBlockSize, type ReadCapability } from '../core/eris.js';
import { formatErisUrn, parseErisUrn } from '../core/eris-urn.js';
import { isJsonObject, type JsonObject } from '../core/types.js';
import type { Store } from '../store/store.js';

/**
 * Media as ERIS: a file is split into encrypted, content-addressed blocks in
 * the block store and pinned; the post carries only its read capability
 * (`urn:eris:…`), media type, size and digest (FEP-ef61 "Media"). Anyone may
 * hold and serve the blocks; only holders of the URN can read them.
 */

/** Largest attachment; a phone-hosted node should not take in more in one go. */
export const MAX_ATTACHMENT_BYTES = 512 * 1024 * 1024;
const OWN = 'own';

const MEDIA_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.svg': 'image/svg+xml',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mov': 'video/quicktime',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.m4a': 'audio/mp4',
  '.wav': 'audio/wav',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
};

export function mediaTypeOf(path: string): string {
  return MEDIA_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** The ActivityStreams type a client shows an attachment as. */
function asType(mediaType: string): string {
  if (mediaType.startsWith('image/')) return 'Image';
  if (mediaType.startsWith('video/')) return 'Video';
  if (mediaType.startsWith('audio/')) return 'Audio';
  return 'Document';
}

/** FEP-ef61 digestMultibase: multibase base58btc of the sha2-256 multihash of the plaintext. */
function digestMultibase(sha256: Buffer): string {
  return encodeBase58btc(Buffer.concat([Buffer.from([0x12, 0x20]), sha256]));
}

/** Stores content as ERIS blocks, all in one transaction per batch of blocks, and pins it. */
export async function storeContent(store: Store, content: AsyncIterable<Uint8Array>, size: number, reason = OWN): Promise<ReadCapability> {
  await initEris();
  let batch: [Uint8Array, Uint8Array][] = [];
  const flush = store.db.transaction((blocks: [Uint8Array, Uint8Array][]) => {
    for (const [ref, block] of blocks) store.blocks.put(ref, block);
  });
  const cap = await encodeEris(
    content,
    (ref, block) => {
      batch.push([ref, block.slice()]);
      if (batch.length >= 256) {
        flush(batch);
        batch = [];
      }
    },
    { blockSize: recommendedBlockSize(size) },
  );
  flush(batch);
  store.blocks.pin(cap, reason);
  return cap;
}

/** Stores a file as ERIS and returns the attachment object a Note carries. */
export async function attachFile(store: Store, path: string, mediaType?: string): Promise<JsonObject> {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) fail('malformed', `${path} is not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof KithError) throw e;
    return fail('io', `cannot read ${path}: ${(e as Error).message}`);
  }
  if (size > MAX_ATTACHMENT_BYTES) fail('too-large', `${path} is ${size} bytes; the limit is ${MAX_ATTACHMENT_BYTES}`);
  const hash = createHash('sha256');
  async function* read(): AsyncGenerator<Uint8Array> {
    for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
      hash.update(chunk as Buffer);
      yield chunk as Buffer;
    }
  }
  const cap = await storeContent(store, read(), size);
  return attachmentOf(cap, mediaType ?? mediaTypeOf(path), size, hash.digest(), basename(path));
}

/** Stores bytes a device uploaded as ERIS content and describes them as an attachment. */
export async function attachBytes(store: Store, bytes: Uint8Array, mediaType: string, name?: string): Promise<JsonObject> {
  if (bytes.length > MAX_ATTACHMENT_BYTES) fail('too-large', `the file is ${bytes.length} bytes; the limit is ${MAX_ATTACHMENT_BYTES}`);
  async function* one(): AsyncGenerator<Uint8Array> {
    yield bytes;
  }
  const cap = await storeContent(store, one(), bytes.length);
  return attachmentOf(cap, mediaType, bytes.length, createHash('sha256').update(bytes).digest(), name);
}

function attachmentOf(cap: ReadCapability, mediaType: string, size: number, sha256: Buffer, name: string | undefined): JsonObject {
  const a: JsonObject = { type: asType(mediaType), mediaType, url: formatErisUrn(cap), size, digestMultibase: digestMultibase(sha256) };
  if (name !== undefined) a.name = name;
  return a;
}

/** Streams content from blocks held in this store; a missing block is a 'not-found' naming the way to get it. */
export async function* readContent(store: Store, urn: string): AsyncGenerator<Uint8Array> {
  await initEris();
  const cap = parseErisUrn(urn);
  try {
    yield* decodeEris(cap, (ref) => store.blocks.get(ref));
  } catch (e) {
    if (e instanceof KithError && e.code === 'not-found') {
      throw new KithError('not-found', `this node does not hold all of ${urn.slice(0, 40)}…: ${e.message}`);
    }
    throw e;
  }
}

const MAX_ATTACHMENTS = 16;

/** Checks attachments handed to the owner API: ERIS URLs that parse, a media type, a size. */
export function checkAttachments(v: unknown): JsonObject[] {
  if (!Array.isArray(v) || v.length > MAX_ATTACHMENTS) fail('malformed', `attachment must be a list of at most ${MAX_ATTACHMENTS} objects`);
  return v.map((a, i) => {
    if (!isJsonObject(a)) return fail('malformed', `attachment ${i} is not an object`);
    if (typeof a.url !== 'string') fail('malformed', `attachment ${i} has no url`);
    parseErisUrn(a.url);
    if (typeof a.mediaType !== 'string' || !/^[\w.+-]+\/[\w.+-]+$/.test(a.mediaType)) fail('malformed', `attachment ${i} needs a media type like image/jpeg`);
    if (typeof a.size !== 'number' || !Number.isSafeInteger(a.size) || a.size < 0) fail('malformed', `attachment ${i} needs its size in bytes`);
    return a;
  });
}

/** Attachment objects with an ERIS URL, for pinning what people we follow share. */
export function erisAttachments(object: JsonObject): string[] {
  const list = Array.isArray(object.attachment) ? object.attachment : object.attachment === undefined ? [] : [object.attachment];
  const out: string[] = [];
  for (const a of list) {
    if (typeof a === 'object' && a !== null && !Array.isArray(a) && typeof a.url === 'string' && a.url.startsWith('urn:eris:')) out.push(a.url);
  }
  return out;
}
