import { fail } from '../core/errors.js';
import { MAX_ALT_TEXT_CHARS } from '../core/constants.js';
import type { JsonObject } from '../core/types.js';
import { checkAttachments } from '../node/media.js';

/**
 * The attachments of a post as a device sends them: what POST /api/media
 * returned, with the description the person gave each image (its alt text,
 * kept in AS2's `name`). The `src` link is this node's own and is not posted.
 * Undefined when there are none.
 */
export function attachmentsInput(v: unknown): JsonObject[] | undefined {
  if (v === undefined || (Array.isArray(v) && v.length === 0)) return undefined;
  return checkAttachments(v).map(({ src: _src, name, ...a }, i) => {
    if (name === undefined || name === null) return a;
    if (typeof name !== 'string' || name.length > MAX_ALT_TEXT_CHARS) {
      fail('malformed', `the description of attachment ${i} (its name) must be text of at most ${MAX_ALT_TEXT_CHARS} characters`);
    }
    const described = name.trim();
    return described.length > 0 ? { ...a, name: described } : a;
  });
}
