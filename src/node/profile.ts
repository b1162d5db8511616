import { statSync } from 'node:fs';
import { fail } from '../core/errors.js';
import { textToHtml } from '../core/as2.js';
import { htmlToText } from '../core/html-text.js';
import { isJsonObject, type JsonObject } from '../core/types.js';
import { PROFILE_AVATAR_MAX_BYTES, PROFILE_NAME_MAX_CHARS, PROFILE_SUMMARY_MAX_CHARS } from '../core/constants.js';
import type { Ingested } from '../store/ingest.js';
import type { Store } from '../store/store.js';
import { attachFile, checkAttachments, mediaTypeOf } from './media.js';
import type { KithNode } from './kith-node.js';

/**
 * A person's profile as they edit it: a display name, a few words about
 * them (typed as text, published as HTML), and an avatar image stored as
 * ERIS like any attachment. "" (or null for the avatar) removes a field.
 */

export interface ProfileChange {
  readonly name?: string;
  readonly summary?: string;
  readonly icon?: JsonObject | null;
}

/** What a person sees of their profile, as text. */
export interface ProfileView {
  readonly did: string;
  readonly actor: string;
  readonly name: string | null;
  readonly summary: string | null;
  readonly icon: { readonly url: string; readonly mediaType: string; readonly size: number | null } | null;
}

const FIELDS = ['name', 'summary', 'icon'];

function textField(v: unknown, field: string, max: number): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length > max) fail('malformed', `${field} must be text of at most ${max} characters`);
  return v.trim();
}

/** Checks a profile change from any caller (command line, control endpoint); refuses unknown fields and a non-image avatar. */
export function checkProfileChange(body: JsonObject): ProfileChange {
  for (const k of Object.keys(body)) if (!FIELDS.includes(k)) fail('malformed', `"${k.slice(0, 40)}" is not a profile field; use name, summary or icon`);
  const name = textField(body.name, 'name', PROFILE_NAME_MAX_CHARS);
  if (name !== undefined && /[\n\r]/.test(name)) fail('malformed', 'a display name is one line');
  const summary = textField(body.summary, 'summary', PROFILE_SUMMARY_MAX_CHARS);
  let icon: JsonObject | null | undefined;
  if (body.icon === null) icon = null;
  else if (body.icon !== undefined) {
    const [a] = checkAttachments([body.icon]);
    if (!String(a!.mediaType).startsWith('image/')) fail('malformed', `an avatar must be an image, not ${String(a!.mediaType)}`);
    const { src: _src, name: _name, ...plain } = a!;
    icon = plain;
  }
  return { ...(name !== undefined ? { name } : {}), ...(summary !== undefined ? { summary } : {}), ...(icon !== undefined ? { icon } : {}) };
}

/** Signs a new version of the actor with the change; the caller pushes it to peers when a network runs. */
export function applyProfileChange(node: KithNode, change: ProfileChange): Ingested {
  if (change.name === undefined && change.summary === undefined && change.icon === undefined) fail('malformed', 'nothing to change in the profile');
  return node.updateProfile({
    ...(change.name !== undefined ? { name: change.name } : {}),
    // AS2 summaries are HTML; what a person types is text.
    ...(change.summary !== undefined ? { summary: change.summary === '' ? '' : textToHtml(change.summary) } : {}),
    ...(change.icon !== undefined ? { icon: change.icon as JsonObject } : {}),
  });
}

/**
 * Stores an image file as ERIS for an avatar and returns the icon object the
 * actor carries. The file is checked before any block is stored. Its file
 * name stays here: a name like "IMG_2041.jpg" says nothing others need.
 */
export async function storeAvatar(store: Store, path: string): Promise<JsonObject> {
  const mediaType = mediaTypeOf(path);
  if (!mediaType.startsWith('image/')) fail('malformed', `an avatar must be an image (.png, .jpg, .gif, .webp, .avif or .svg), not ${path}`);
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    return fail('io', `cannot read ${path}: ${(e as Error).message}`);
  }
  if (size > PROFILE_AVATAR_MAX_BYTES) fail('too-large', `${path} is ${size} bytes; an avatar may have at most ${PROFILE_AVATAR_MAX_BYTES}`);
  const { name: _name, ...icon } = await attachFile(store, path, mediaType);
  return icon;
}

export function profileView(node: KithNode): ProfileView {
  const actor = node.actor();
  const icon = isJsonObject(actor.icon) && typeof actor.icon.url === 'string' ? actor.icon : undefined;
  return {
    did: node.did,
    actor: node.actorId,
    name: typeof actor.name === 'string' && actor.name !== '' ? actor.name : null,
    summary: typeof actor.summary === 'string' && actor.summary !== '' ? htmlToText(actor.summary) : null,
    icon: icon ? { url: String(icon.url), mediaType: String(icon.mediaType), size: typeof icon.size === 'number' ? icon.size : null } : null,
  };
}
