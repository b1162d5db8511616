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

export function optionalText(body: JsonObject, field: string): string | undefined {
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
  // `contentWarning` is the name a person would look for; `summary` is the AS2 field it becomes.
  if (body.summary !== undefined && body.contentWarning !== undefined) fail('malformed', 'send the content warning once, as summary or as contentWarning');
  const summary = body.summary ?? body.contentWarning;
  if (summary !== undefined && summary !== null && typeof summary !== 'string') fail('malformed', 'a content warning (summary) must be text');
  const sensitive = body.sensitive;
  if (sensitive !== undefined && typeof sensitive !== 'boolean') fail('malformed', 'sensitive must be true or false');
  const visibility = body.visibility;
  if (visibility !== undefined && visibility !== 'public' && visibility !== 'followers') fail('malformed', 'visibility must be "public" or "followers"');
  return { text: textField(body, 'text'), inReplyTo, attachment, summary, sensitive, visibility };
}

const PROFILE_FIELDS: ReadonlySet<string> = new Set(['name', 'summary', 'icon', 'image']);

export function profileInput(body: JsonObject): ProfileInput {
  for (const k of Object.keys(body))
    if (!PROFILE_FIELDS.has(k)) fail('malformed', `"${k.slice(0, 40)}" is not a profile field; use name, summary, icon or image`);
  const { icon, image } = body;
  if (icon !== undefined && icon !== null && !isJsonObject(icon)) fail('malformed', 'icon must be an image attachment, or null to remove it');
  if (image !== undefined && image !== null && !isJsonObject(image)) fail('malformed', 'image (the header) must be an image attachment, or null to remove it');
  return { name: optionalText(body, 'name'), summary: optionalText(body, 'summary'), icon, image };
}
