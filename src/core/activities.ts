import { actorId, apIdParts, followersId } from './apid.js';
import { AS_CONTEXT, AS_PUBLIC } from './as2.js';
import type { ApId, Did, Json, JsonObject } from './types.js';

/** Builders of what the owner signs about posts: likes, boosts, undos, deletes and edits (see ./activity-target.ts for what they may name). */

function activity(did: Did, id: ApId, type: string, object: Json, now: number, extra: JsonObject = {}): JsonObject {
  return {
    '@context': [...AS_CONTEXT],
    id,
    type,
    actor: actorId(did),
    object,
    published: new Date(now).toISOString(),
    to: [AS_PUBLIC],
    cc: [followersId(did)],
    ...extra,
  };
}

/** A Like of a post; the author of the post is copied in, so their node may hear of it. Unsigned. */
export function buildLike(did: Did, id: ApId, post: ApId, now = Date.now()): JsonObject {
  return activity(did, id, 'Like', post, now, { cc: [followersId(did), actorId(apIdParts(post).did)] });
}

/** A boost: an Announce of a post to the booster's followers. Unsigned. */
export function buildAnnounce(did: Did, id: ApId, post: ApId, now = Date.now()): JsonObject {
  return activity(did, id, 'Announce', post, now, { cc: [followersId(did), actorId(apIdParts(post).did)] });
}

/**
 * Takes back one's own Like or Announce (named by its id). The author of the
 * post it was about is copied in, as on the Like: the Undo names only the
 * like, so without them their node could not tell it is for them. Unsigned.
 */
export function buildUndo(did: Did, id: ApId, undone: ApId, concerns: Did | null = null, now = Date.now()): JsonObject {
  return activity(did, id, 'Undo', undone, now, concerns === null ? {} : { cc: [followersId(did), actorId(concerns)] });
}

/** Deletes one's own post, named by its id. Unsigned. */
export function buildDelete(did: Did, id: ApId, deleted: ApId, now = Date.now()): JsonObject {
  return activity(did, id, 'Delete', deleted, now);
}

/** A new version of one's own post (same id, with `updated`), carried by an Update with the post's addressing. Unsigned. */
export function buildUpdate(did: Did, id: ApId, note: JsonObject, now = Date.now()): JsonObject {
  const at = new Date(now).toISOString();
  return {
    '@context': [...AS_CONTEXT],
    id,
    type: 'Update',
    actor: actorId(did),
    object: { ...note, updated: at },
    published: at,
    to: note.to ?? [AS_PUBLIC],
    cc: note.cc ?? [followersId(did)],
  };
}
