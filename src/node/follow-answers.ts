import { fail } from '../core/errors.js';
import { apIdParts, isApId } from '../core/apid.js';
import { isJsonObject, type ApId, type Did, type Json, type JsonObject } from '../core/types.js';
import type { Store } from '../store/store.js';

/**
 * The rule a followee's answer (an Accept or a Reject of a Follow) meets on
 * the follower's node: it names a Follow the owner signed and this node
 * still knows, and it comes from the person that Follow asked to follow.
 * The inbox applies it before taking a delivery in, so a refused answer is
 * never stored; answers that arrive by sync meet it before they change a follow.
 */

export type FollowAnswerType = 'Accept' | 'Reject';

/** An answer to one of the owner's Follows, checked. */
export interface FollowAnswer {
  readonly type: FollowAnswerType;
  /** The Follow it answers. */
  readonly followId: ApId;
  /** The followee, who signed it. */
  readonly followee: Did;
}

export function isFollowAnswerType(type: unknown): type is FollowAnswerType {
  return type === 'Accept' || type === 'Reject';
}

/** The id an activity's `object` names (given as an id, or as the object itself). */
export function objectRef(doc: JsonObject): Json | undefined {
  const o = doc.object;
  return isJsonObject(o) ? o.id : o;
}

/**
 * Checks an Accept or Reject addressed to `owner`: answers for their Follow,
 * or throws. not-addressed: it names someone else's Follow; not-found: a
 * Follow of the owner's this node does not know (never signed, or since
 * taken back); wrong-key: signed by someone other than the followee.
 */
export function checkFollowAnswer(store: Store, owner: Did, doc: JsonObject): FollowAnswer {
  const type = doc.type;
  if (!isFollowAnswerType(type)) return fail('malformed', `not an Accept or a Reject: ${String(type).slice(0, 40)}`);
  const named = objectRef(doc);
  if (!isApId(named)) return fail('malformed', `an ${type} names the Follow it answers by its ap:// id`);
  const { key: followId, did: follower } = apIdParts(named);
  if (follower !== owner) {
    fail('not-addressed', `this ${type} answers ${followId}, a Follow by ${follower}, not by ${owner}; only their node takes it in`);
  }
  const follow = store.follows.byFollowId(followId);
  // A Reject may come again after the follow ended (a copy held by a peer): it still answers a Follow of ours.
  const followee = follow?.did ?? store.follows.rejectionOf(followId)?.did;
  if (followee === undefined) {
    fail('not-found', `this ${type} answers ${followId}, which is not a Follow of yours this node knows (never sent, or since taken back)`);
  }
  const author = isApId(doc.id) ? apIdParts(doc.id).did : undefined;
  if (author !== followee) {
    fail('wrong-key', `an ${type} of your Follow of ${followee} must come from them; this one is by ${String(author).slice(0, 80)}`);
  }
  return { type, followId, followee };
}
