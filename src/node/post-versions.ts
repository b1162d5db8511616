import { apIdKey, didOf, isApId } from '../core/apid.js';
import { parseDateTime } from '../core/time.js';
import { MAX_POST_VERSIONS } from '../core/constants.js';
import { isJsonObject, type ApId, type JsonObject } from '../core/types.js';
import { parseBody, type StoredObject } from '../store/objects.js';
import type { Store } from '../store/store.js';

/**
 * A post as readers see it: of every version its author signed (the Create,
 * each Update, or the post stored on its own), the newest by its `updated`
 * time (`published` for one never edited), ties broken by the larger digest,
 * so every node holding the same versions shows the same one.
 */

/** Types of post a timeline shows; other activities (Update, Delete, Like) are not posts. */
const POST_TYPES: ReadonlySet<string> = new Set(['Note', 'Article', 'Question', 'Page', 'Event']);

/** The post a stored object is (a Note itself, or the object its Create carries), or undefined for anything else. */
export function postOf(o: StoredObject): JsonObject | undefined {
  const doc = parseBody(o);
  const note = o.type === 'Create' ? doc.object : doc;
  return isJsonObject(note) && typeof note.type === 'string' && POST_TYPES.has(note.type) && isApId(note.id) ? note : undefined;
}

export interface PostVersion {
  /** The stored object the version came in (a Create, an Update, or the post itself). */
  readonly stored: StoredObject;
  readonly note: JsonObject;
  /** When this version was made (ms). */
  readonly at: number;
}

function timeOf(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const t = parseDateTime(v);
  return Number.isNaN(t) ? undefined : t;
}

/** The post a stored object carries or is, when it is the version of `id` its author made. */
function versionIn(o: StoredObject, id: ApId): PostVersion | undefined {
  if (o.owner !== didOf(id)) return undefined;
  const doc = parseBody(o);
  const note = o.type === 'Update' ? doc.object : postOf(o);
  if (!isJsonObject(note) || !isApId(note.id) || apIdKey(note.id) !== id) return undefined;
  return { stored: o, note, at: timeOf(note.updated) ?? timeOf(note.published) ?? o.created };
}

function newer(a: PostVersion, b: PostVersion): boolean {
  return a.at !== b.at ? a.at > b.at : a.stored.digest > b.stored.digest;
}

/** Every held version of a post, in no particular order. */
export function versionsOf(store: Store, id: ApId): PostVersion[] {
  const rows = store.objects.carriersOf(id, MAX_POST_VERSIONS);
  const whole = store.objects.byId(id);
  if (whole) rows.push(whole);
  return rows.flatMap((o) => versionIn(o, id) ?? []);
}

/** The newest version of a post, or undefined when no version of it is held. */
export function newestVersion(store: Store, id: ApId): PostVersion | undefined {
  let best: PostVersion | undefined;
  for (const v of versionsOf(store, id)) if (best === undefined || newer(v, best)) best = v;
  return best;
}

/** The object a post first came in: its Create (or the post stored whole), which lists and threads show it by. */
export function originalOf(store: Store, id: ApId): { stored: StoredObject; note: JsonObject } | undefined {
  const whole = store.objects.byId(id);
  const note = whole && postOf(whole);
  if (whole && note) return { stored: whole, note };
  for (const o of store.objects.carriersOf(id, MAX_POST_VERSIONS)) {
    const inner = o.type === 'Create' ? postOf(o) : undefined;
    if (inner) return { stored: o, note: inner };
  }
  return undefined;
}
