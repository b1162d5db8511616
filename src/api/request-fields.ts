import { fail } from '../core/errors.js';
import { isJsonObject, type JsonObject } from '../core/types.js';
import type { PostInput, ProfileInput } from '../node/publishing.js';

/**
 * Request bodies (JSON objects) as the service's typed inputs, for every
 * HTTP surface alike: only the types of fields are checked here; what their
 * values may be is the service's to say.
 */

export function textField(body: JsonObject, field: string): string {
  const v = body[field];
  if (typeof v !== 'string') fail('malformed', `${field} must be text`);
  return v;
}

function optionalText(body: JsonObject, field: string): string | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') fail('malformed', `${field} must be text`);
  return v;
}

export function postInput(body: JsonObject): PostInput {
  const inReplyTo = body.inReplyTo;
  if (inReplyTo !== undefined && inReplyTo !== null && typeof inReplyTo !== 'string') fail('malformed', 'inReplyTo must be an ap:// id');
  const attachment = body.attachment;
  if (attachment !== undefined && (!Array.isArray(attachment) || !attachment.every(isJsonObject)))
    fail('malformed', 'attachment must be a list of attachment objects');
  return { text: textField(body, 'text'), inReplyTo, attachment };
}

const PROFILE_FIELDS: ReadonlySet<string> = new Set(['name', 'summary', 'icon']);

export function profileInput(body: JsonObject): ProfileInput {
  for (const k of Object.keys(body)) if (!PROFILE_FIELDS.has(k)) fail('malformed', `"${k.slice(0, 40)}" is not a profile field; use name, summary or icon`);
  const icon = body.icon;
  if (icon !== undefined && icon !== null && !isJsonObject(icon)) fail('malformed', 'icon must be an image attachment, or null to remove it');
  return { name: optionalText(body, 'name'), summary: optionalText(body, 'summary'), icon };
}
