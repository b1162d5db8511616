import { apIdParts, isApId } from './apid.js';
import { isJsonObject, type Did, type Json, type JsonObject } from './types.js';

/**
 * Whom an activity is for: the people whose nodes an inbox delivery goes to,
 * and the test a recipient's node applies before it takes one in. A person is
 * addressed when the activity (or the object it carries) names them in
 * to/cc/bto/bcc/audience, mentions them (a `Mention` tag), replies to one of
 * their posts, or acts on them or one of their objects (the `object` of a
 * Like, an Announce, a Follow, an Undo of those). Only portable ap:// ids
 * count: their DID says whose they are without asking anyone.
 */

const ADDRESS_FIELDS = ['to', 'cc', 'bto', 'bcc', 'audience'] as const;
/** Activities that create what they carry: the carried object is the author's own, and its fields address people. */
const CARRYING = new Set(['Create', 'Update']);
/** Bounds the work one hostile activity can cause here (lists of thousands of addresses). */
const MAX_REFERENCES = 256;

function listOf(v: Json | undefined): Json[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).slice(0, MAX_REFERENCES);
}

function idOf(v: Json | undefined): string | undefined {
  const id = isJsonObject(v) ? v.id : v;
  return typeof id === 'string' && isApId(id) ? id : undefined;
}

/** The DID an ap:// id belongs to, when the id is one person's actor (`ap://<did>/actor`), or any of their objects when `anyPath`. */
function didIn(id: string | undefined, anyPath: boolean): Did | undefined {
  if (id === undefined) return undefined;
  const { did, path } = apIdParts(id);
  return anyPath || path === '/actor' ? did : undefined;
}

function collect(doc: JsonObject, out: Set<Did>, depth: number): void {
  for (const f of ADDRESS_FIELDS) for (const v of listOf(doc[f])) add(out, didIn(idOf(v), false));
  for (const t of listOf(doc.tag)) if (isJsonObject(t) && t.type === 'Mention') add(out, didIn(idOf(t.href), false));
  add(out, didIn(idOf(doc.inReplyTo), true));
  if (depth === 0) return;
  const type = typeof doc.type === 'string' ? doc.type : undefined;
  const obj = doc.object;
  if (type !== undefined && CARRYING.has(type)) {
    if (isJsonObject(obj)) collect(obj, out, depth - 1);
    return;
  }
  // Acting on someone's object (a Like, an Announce, a Follow of their actor) is addressed to its owner.
  for (const o of listOf(obj)) {
    add(out, didIn(idOf(o), true));
    if (isJsonObject(o)) collect(o, out, depth - 1);
  }
}

function add(out: Set<Did>, did: Did | undefined): void {
  if (did !== undefined) out.add(did);
}

/** Everyone an activity is addressed to, its author left out. */
export function recipientsOf(doc: JsonObject): Did[] {
  const out = new Set<Did>();
  // Only values isApId accepts are parsed, so nothing here throws: a field that is not an ap:// id addresses nobody.
  collect(doc, out, 2);
  const author = isApId(doc.id) ? apIdParts(doc.id).did : undefined;
  if (author !== undefined) out.delete(author);
  return [...out];
}

/** Whether an activity is addressed to this person. */
export function isAddressedTo(doc: JsonObject, did: Did): boolean {
  return recipientsOf(doc).includes(did);
}
