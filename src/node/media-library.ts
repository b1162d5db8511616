import { fail } from '../core/errors.js';
import { parseErisUrn } from '../core/eris-urn.js';
import { MAX_UPLOAD_BYTES, MAX_UPLOAD_NAME_CHARS } from '../core/constants.js';
import type { JsonObject } from '../core/types.js';
import type { KithNode } from './kith-node.js';
import type { NetworkLink } from './network-link.js';
import { attachBytes, attachFile, readContent } from './media.js';

/** The owner's media: files stored as encrypted ERIS blocks, read back, and fetched from peers when asked. */

/** What a device may upload: pictures, video and sound a browser plays inline. */
const UPLOAD_TYPES = /^(image\/(png|jpeg|gif|webp|avif)|video\/(mp4|webm)|audio\/(mpeg|ogg|mp4|wav|webm))$/;

export interface UploadInput {
  readonly bytes: Uint8Array;
  /** The content type it was sent with (parameters such as charset are ignored). */
  readonly mediaType: string;
  /** The file's name on the device, kept as the attachment's name. */
  readonly name?: string | undefined;
}

export class MediaLibrary {
  constructor(
    private readonly node: KithNode,
    private readonly link: NetworkLink,
  ) {}

  /** Stores an uploaded file as ERIS blocks (pinned) and describes it as an attachment for a post or an avatar. */
  async upload(input: UploadInput): Promise<JsonObject> {
    const type = input.mediaType.split(';')[0]!.trim().toLowerCase();
    if (!UPLOAD_TYPES.test(type))
      fail('malformed', `files of type "${type.slice(0, 60)}" are not taken; send an image, video or audio file with its content-type`);
    if (input.bytes.length === 0) fail('malformed', 'the file is empty');
    if (input.bytes.length > MAX_UPLOAD_BYTES) fail('too-large', `the file is ${input.bytes.length} bytes; the limit is ${MAX_UPLOAD_BYTES}`);
    // A name is shown, never used as a path.
    const name = input.name === undefined ? undefined : asDisplayName(input.name).slice(0, MAX_UPLOAD_NAME_CHARS);
    return attachBytes(this.node.store, input.bytes, type, name);
  }

  /** Stores a file from this machine's disk as an attachment (`kith post --attach`). */
  attachFile(path: string): Promise<JsonObject> {
    return attachFile(this.node.store, path);
  }

  /**
   * The content of a read capability, as far as this node holds it: reading
   * never fetches (fetching pins content and takes storage, so it is asked
   * for on its own, with fetch()). Content not held whole is refused as not found.
   */
  async read(urn: string): Promise<Uint8Array> {
    parseErisUrn(urn);
    const chunks: Uint8Array[] = [];
    for await (const chunk of readContent(this.node.store, urn)) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  /** Pins content and fetches every block of it from peers, so it can be read here (`kith fetch`). */
  async fetch(urn: string): Promise<{ urn: string; complete: boolean }> {
    const cap = parseErisUrn(urn);
    await this.link.need('fetching content from peers').fetchContent(urn);
    return { urn, complete: this.node.store.blocks.pinStatus(cap.rootReference)?.complete ?? false };
  }
}

/** A file name made safe to show: no path separators, no control characters (a terminal or a log line could be fooled by them). */
function asDisplayName(name: string): string {
  return [...name].map((ch) => (ch === '/' || ch === '\\' || ch.charCodeAt(0) < 0x20 ? '_' : ch)).join('');
}
