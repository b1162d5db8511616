import { actorId, apIdParts, followersId } from './apid.js';
import { AS_CONTEXT, AS_PUBLIC } from './as2.js';
import type { ApId, Did, Json, JsonObject } from './types.js';

/**
 * Builders of what the owner signs about posts (likes, boosts, undos, deletes
 * and edits; see ./activity-target.ts for what they may name) and about
 * people (a Follow, the followee's Accept or Reject of it, its Undo).
 */

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

/**
 * Asks to follow a person: addressed to them alone (not to the public), so
 * their node hears of it and answers with an Accept or a Reject. Unsigned.
 */
export function buildFollow(did: Did, id: ApId, followee: Did, now = Date.now()): JsonObject {
  return activity(did, id, 'Follow', actorId(followee), now, { to: [actorId(followee)], cc: [] });
}

/**
 * The followee's answer to a Follow, named by its id: an Accept, or a Reject
 * (of a request, or of a follower removed later). The Follow's id is in the
 * follower's namespace, so acting on it addresses the follower
 * (core/inbox-address.ts); `to` names them as well. Unsigned.
 */
export function buildFollowAnswer(did: Did, id: ApId, answer: 'Accept' | 'Reject', follow: ApId, follower: Did, now = Date.now()): JsonObject {
  return activity(did, id, answer, follow, now, { to: [actorId(follower)], cc: [] });
}

/** Takes back one's own Follow of a person, addressed to them so their node drops the follower. Unsigned. */
export function buildUndoFollow(did: Did, id: ApId, follow: ApId, followee: Did, now = Date.now()): JsonObject {
  return activity(did, id, 'Undo', follow, now, { to: [actorId(followee)], cc: [] });
}
