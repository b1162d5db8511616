import { statSync } from 'node:fs';
import { fail } from '../core/errors.js';
import { htmlToText } from '../core/html-text.js';
import { isJsonObject, type JsonObject } from '../core/types.js';
import { MAX_PROFILE_NAME_CHARS, MAX_PROFILE_SUMMARY_CHARS, MAX_UPLOAD_BYTES } from '../core/constants.js';
import type { Store } from '../store/store.js';
import { attachFile, checkAttachments, mediaTypeOf } from './media.js';
import type { KithNode } from './kith-node.js';
import type { ProfileInput } from './publishing.js';

/**
 * A person's profile as they edit it: a display name, a few words about
 * them (typed as text, published as HTML), an avatar (`icon`) and a header
 * (`image`), images stored as ERIS like any attachment. "" (or null for an
 * image) removes a field.
 */

/** What a person sees of their profile, as text. */
export interface ProfileView {
  readonly did: string;
  readonly actor: string;
  readonly name: string | null;
  readonly summary: string | null;
  readonly icon: ImageView | null;
  /** The header image shown above the profile. */
  readonly image: ImageView | null;
}

export interface ImageView {
  readonly url: string;
  readonly mediaType: string;
  readonly size: number | null;
}

/** A profile change whose values passed the rules: what the actor document will carry. */
export interface ProfileChange {
  readonly name?: string;
  /** Plain text; the actor carries it as HTML. */
  readonly summary?: string;
  readonly icon?: JsonObject | null;
  readonly image?: JsonObject | null;
}

function checkedText(v: string | undefined, field: string, max: number): string | undefined {
  if (v === undefined) return undefined;
  if (v.length > max) fail('malformed', `${field} is at most ${max} characters; this one has ${v.length}`);
  return v.trim();
}

/**
 * The rules of a profile, whichever way a change arrives (command line,
 * control endpoint, owner API): lengths, a one-line name, an image for an
 * avatar without the links a device's view adds. Pure: a refusal stores nothing.
 */
export function checkProfileChange(input: ProfileInput): ProfileChange {
  const name = checkedText(input.name, 'a display name', MAX_PROFILE_NAME_CHARS);
  if (name !== undefined && /[\n\r]/.test(name)) fail('malformed', 'a display name is one line');
  const summary = checkedText(input.summary, 'a summary', MAX_PROFILE_SUMMARY_CHARS);
  const icon = checkedImage(input.icon, 'an avatar');
  const image = checkedImage(input.image, 'a header');
  return {
    ...(name !== undefined ? { name } : {}),
    ...(summary !== undefined ? { summary } : {}),
    ...(icon !== undefined ? { icon } : {}),
    ...(image !== undefined ? { image } : {}),
  };
}

/** An avatar or header as the actor carries it: an image, without the links a device's view adds. */
function checkedImage(v: JsonObject | null | undefined, what: string): JsonObject | null | undefined {
  if (v === null || v === undefined) return v;
  const [a] = checkAttachments([v]);
  if (!String(a!.mediaType).startsWith('image/')) fail('malformed', `${what} must be an image, not ${String(a!.mediaType)}`);
  // The file name ("IMG_2041.jpg") says nothing others need; the view link is this node's own.
  const { src: _src, name: _name, ...plain } = a!;
  return plain;
}

/** Checks an image file for an avatar or a header, before any of its blocks (or another file's) is stored. */
export function checkProfileImageFile(path: string, what = 'an avatar'): { path: string; mediaType: string } {
  const mediaType = mediaTypeOf(path);
  if (!mediaType.startsWith('image/')) fail('malformed', `${what} must be an image (.png, .jpg, .gif, .webp, .avif or .svg), not ${path}`);
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    return fail('io', `cannot read ${path}: ${(e as Error).message}`);
  }
  if (size > MAX_UPLOAD_BYTES) fail('too-large', `${path} is ${size} bytes; ${what} may have at most ${MAX_UPLOAD_BYTES}`);
  return { path, mediaType };
}

/**
 * Stores an image file as ERIS for an avatar or a header and returns the
 * object the actor carries. Its file name stays here: a name like
 * "IMG_2041.jpg" says nothing others need.
 */
export async function storeProfileImage(store: Store, file: { path: string; mediaType: string }): Promise<JsonObject> {
  const { name: _name, ...image } = await attachFile(store, file.path, file.mediaType);
  return image;
}

function imageView(v: unknown): ImageView | null {
  if (!isJsonObject(v) || typeof v.url !== 'string') return null;
  return { url: v.url, mediaType: String(v.mediaType), size: typeof v.size === 'number' ? v.size : null };
}

export function profileView(node: KithNode): ProfileView {
  const actor = node.actor();
  return {
    did: node.did,
    actor: node.actorId,
    name: typeof actor.name === 'string' && actor.name !== '' ? actor.name : null,
    summary: typeof actor.summary === 'string' && actor.summary !== '' ? htmlToText(actor.summary) : null,
    icon: imageView(actor.icon),
    image: imageView(actor.image),
  };
}
