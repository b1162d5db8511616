import { fail } from './errors.js';
import { apIdParts, isApId } from './apid.js';
import { isJsonObject, type ApId, type Did, type Json, type JsonObject } from './types.js';

/**
 * Activities about other objects: Like and Announce (boost) of a post, Undo
 * of one's own Like or Announce, Delete of one's own object. The rule every
 * incoming one meets: what an Undo or a Delete names must belong to the same
 * identity as the activity, since only its author may take something back.
 */

export type ActivityKind = 'like' | 'boost' | 'undo' | 'delete';

const KINDS: Readonly<Record<string, ActivityKind>> = { Like: 'like', Announce: 'boost', Undo: 'undo', Delete: 'delete' };

/** What such an activity is about: the store indexes it for counts, undos and tombstones. */
export interface ActivityTarget {
  readonly kind: ActivityKind;
  /** The canonical ap:// id it names. */
  readonly target: ApId;
}

function refId(v: Json | undefined): Json | undefined {
  return isJsonObject(v) ? v.id : v;
}

/**
 * The target of a Like, Announce, Undo or Delete, checked; undefined for any
 * other type, and for a Like or Announce of something that is not a Kith
 * object (a classic fediverse URL: not Kith's to count).
 */
export function activityTargetOf(doc: JsonObject, type: string, id: ApId, owner: Did): ActivityTarget | undefined {
  const kind = KINDS[type];
  if (kind === undefined) return undefined;
  const named = refId(doc.object);
  if (named === undefined || named === null) fail('malformed', `${type} must name the object it is about`);
  if (kind === 'like' || kind === 'boost') return isApId(named) ? { kind, target: apIdParts(named).key } : undefined;
  if (!isApId(named)) fail('malformed', `${type} must name an ap:// id`);
  const { key: target, did, path } = apIdParts(named);
  // Signed by the owner of the activity's id (the proof says so); only what is theirs can they take back.
  if (did !== owner) fail('wrong-key', `a ${type} by ${owner} names ${target}, which belongs to ${did}: only its author may ${kind} it`);
  if (target === id) fail('malformed', `a ${type} cannot name itself`);
  if (kind === 'delete' && path === '/actor') fail('malformed', 'a Delete of an actor is not something Kith does; delete posts one by one');
  return { kind, target };
}
