import { randomBytes } from 'node:crypto';
import { KithError, fail } from './errors.js';
import { claimsErisUrn, parseErisUrn } from './eris-urn.js';
import { parseDateTime } from './time.js';
import { escapeHtml } from './post-text.js';
import { actorId, apId, apIdKey, apIdParts, followersId, followingId, inboxId, isApId, outboxId, parseApId } from './apid.js';
import { ed25519Multikey, publicKeyFromDid, verificationMethodOf } from './didkey.js';
import { isJsonObject, type ApId, type Did, type Json, type JsonObject } from './types.js';
import { activityTargetOf, type ActivityTarget } from './activity-target.js';

/**
 * The ActivityStreams 2.0 model Kith produces and accepts: builders for the
 * objects a person makes, and the shape rules every incoming object meets
 * before its proof is even checked.
 */

export const AS_PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';
export const AS_CONTEXT: readonly string[] = Object.freeze(['https://www.w3.org/ns/activitystreams', 'https://w3id.org/security/data-integrity/v1']);
const ACTOR_CONTEXT = [...AS_CONTEXT, 'https://w3id.org/fep/ef61'];

const MAX_TYPE_LENGTH = 64;
export const ACTOR_TYPES = new Set(['Person', 'Service', 'Application', 'Group', 'Organization']);
/** Activities whose `object` the actor brings into being, so it must be theirs. */
const AUTHORING_ACTIVITIES = new Set(['Create', 'Update']);

export function isoNow(now = Date.now()): string {
  return new Date(now).toISOString();
}

/** Plain text to the small HTML subset fediverse servers expect in `content`. */
export function textToHtml(text: string): string {
  return text
    .trim()
    .split(/\n{2,}/)
    .map((para) => `<p>${escapeHtml(para).replace(/\n/g, '<br>')}</p>`)
    .join('');
}

export interface ProfileFields {
  name?: string;
  summary?: string;
  preferredUsername?: string;
  /** FEP-ef61 gateways: https origins that serve this actor to the classic fediverse. */
  gateways?: string[];
  /** An Image attachment (an ERIS read capability) for the avatar. */
  icon?: JsonObject;
  /** An Image attachment (an ERIS read capability) for the header shown above the profile. */
  image?: JsonObject;
}

/** An FEP-ef61 portable actor with its key as a FEP-521a Multikey. Unsigned. */
export function buildActor(did: Did, profile: ProfileFields = {}, now = Date.now()): JsonObject {
  const id = actorId(did);
  const actor: JsonObject = {
    '@context': ACTOR_CONTEXT,
    id,
    type: 'Person',
    inbox: inboxId(did),
    outbox: outboxId(did),
    followers: followersId(did),
    following: followingId(did),
    assertionMethod: [
      {
        id: verificationMethodOf(did),
        type: 'Multikey',
        controller: id,
        publicKeyMultibase: ed25519Multikey(publicKeyFromDid(did)),
      },
    ],
    gateways: profile.gateways ?? [],
    published: isoNow(now),
  };
  if (profile.preferredUsername !== undefined) actor.preferredUsername = profile.preferredUsername;
  if (profile.name !== undefined) actor.name = profile.name;
  if (profile.summary !== undefined) actor.summary = profile.summary;
  if (profile.icon !== undefined) actor.icon = profile.icon;
  if (profile.image !== undefined) actor.image = profile.image;
  return actor;
}

export interface NoteFields {
  text: string;
  inReplyTo?: ApId | string;
  /** Defaults to public, copied to the author's followers. */
  to?: string[];
  cc?: string[];
  attachment?: JsonObject[];
  tag?: JsonObject[];
  /** The `content` HTML when it was made with its links (core/post-text.ts); otherwise made from `text`. */
  html?: string;
  /** A content warning: shown instead of the post until the reader opens it. */
  summary?: string;
  /** Whether the post (or its media) is hidden behind a warning; true whenever `summary` is given. */
  sensitive?: boolean;
}

/**
 * A new object's id ends in a time-ordered UUID (version 7, RFC 9562): 48
 * bits of milliseconds, then 74 random bits. Every store indexes objects by
 * id (and a Create by the id it embeds); ids that grow with time land at the
 * end of those indexes instead of on a random page of each, which halved the
 * pages a follower writes to store a sync. The time it tells is when the
 * object was made, which its `published` tells anyway.
 */
export function newObjectId(did: Did): ApId {
  return apId(did, `/objects/${uuidV7(Date.now())}`);
}

function uuidV7(now: number): string {
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function buildNote(did: Did, fields: NoteFields, now = Date.now()): JsonObject {
  const note: JsonObject = {
    id: newObjectId(did),
    type: 'Note',
    attributedTo: actorId(did),
    content: fields.html ?? textToHtml(fields.text),
    source: { content: fields.text, mediaType: 'text/plain' },
    published: isoNow(now),
    to: fields.to ?? [AS_PUBLIC],
    cc: fields.cc ?? [followersId(did)],
  };
  if (fields.inReplyTo !== undefined) note.inReplyTo = fields.inReplyTo;
  if (fields.summary !== undefined) note.summary = fields.summary;
  if (fields.sensitive === true || fields.summary !== undefined) note.sensitive = true;
  if (fields.attachment !== undefined) note.attachment = fields.attachment;
  if (fields.tag !== undefined && fields.tag.length > 0) note.tag = fields.tag;
  return note;
}

/** Wraps an object the actor made in a Create activity with the same addressing. Unsigned. */
export function buildCreate(did: Did, object: JsonObject, now = Date.now()): JsonObject {
  return {
    '@context': [...AS_CONTEXT],
    id: newObjectId(did),
    type: 'Create',
    actor: actorId(did),
    published: object.published ?? isoNow(now),
    to: object.to ?? [AS_PUBLIC],
    cc: object.cc ?? [],
    object,
  };
}

/** What the shape check learns about an object, for storage and authority. */
export interface ObjectFacts {
  /** Canonical id without query. */
  readonly id: ApId;
  /** The DID the id belongs to: only that DID (or a key it certified) may sign it. */
  readonly owner: Did;
  readonly type: string;
  /** ms since epoch: `published`, or failing that the proof's `created`. */
  readonly created: number;
  /** Ids of objects embedded in it (a Create's Note), so they can be found by id. */
  readonly embedded: readonly ApId[];
  /** What it replies to and whom it mentions (portable ids only), for threads and notifications. */
  readonly links: readonly ObjectLink[];
  /** What a Like, Announce, Undo or Delete is about. */
  readonly activity?: ActivityTarget | undefined;
}

export interface ObjectLink {
  readonly kind: 'reply' | 'mention';
  readonly target: ApId;
}

/** Replies and mentions of a post, or of the post a Create carries. Links that are not ap:// ids are not Kith's to index. */
function linksOf(post: JsonObject): ObjectLink[] {
  const out: ObjectLink[] = [];
  const reply = refId(post.inReplyTo);
  if (isApId(reply)) out.push({ kind: 'reply', target: apIdKey(reply) });
  const tags = Array.isArray(post.tag) ? post.tag : post.tag === undefined ? [] : [post.tag];
  for (const t of tags.slice(0, 64)) {
    if (isJsonObject(t) && t.type === 'Mention' && isApId(t.href)) out.push({ kind: 'mention', target: apIdKey(t.href) });
  }
  return out;
}

function primaryType(t: Json | undefined, where: string): string {
  const types = Array.isArray(t) ? t : [t];
  if (types.length === 0) fail('malformed', `${where}: type must not be empty`);
  for (const x of types) {
    if (typeof x !== 'string' || x.length === 0 || x.length > MAX_TYPE_LENGTH) fail('malformed', `${where}: type must be a short string or a list of them`);
  }
  return types[0] as string;
}

function refId(v: Json | undefined): Json | undefined {
  return isJsonObject(v) ? v.id : v;
}

function checkOwnedRef(v: Json | undefined, owner: Did, field: string): void {
  if (v === undefined) return;
  const refs = Array.isArray(v) ? v : [v];
  if (refs.length === 0) fail('malformed', `${field} must not be empty`);
  for (const r of refs) {
    const id = refId(r);
    if (parseApId(id).did !== owner) fail('wrong-key', `${field} names another identity than the object's own (${owner})`);
  }
}

const MAX_URL_LENGTH = 2048;

/** A link to another object: a portable ap:// id or an https/http URL of the classic fediverse. */
export function isObjectReference(v: unknown): boolean {
  if (typeof v !== 'string' || v.length > MAX_URL_LENGTH) return false;
  if (/^(ap|ap\+ef61):\/\//i.test(v)) return isApId(v);
  try {
    const u = new URL(v);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname.length > 0;
  } catch {
    return false;
  }
}

function checkReference(v: Json | undefined, field: string): void {
  if (v === undefined || v === null) return;
  if (!isObjectReference(refId(v))) fail('malformed', `${field} must be an ap:// id or an http(s) URL`);
}

/** Fields whose links a node fetches and pins for the people it follows (FEP-ef61 media). */
const MEDIA_FIELDS = ['attachment', 'icon', 'image'] as const;

function checkErisUrl(v: Json | undefined, path: string): void {
  if (!claimsErisUrn(v)) return;
  try {
    parseErisUrn(v);
  } catch (e) {
    if (!(e instanceof KithError)) throw e;
    fail('malformed', `${path} is not a usable ERIS read capability: ${e.message}`);
  }
}

/** An AS2 url: a string, a Link (its href), or a list of either. */
function checkUrlValue(url: Json | undefined, path: string): void {
  if (Array.isArray(url)) url.forEach((u, j) => checkUrlValue(u, `${path}[${j}]`));
  else if (isJsonObject(url)) checkErisUrl(url.href, `${path}.href`);
  else checkErisUrl(url, path);
}

/**
 * Every link in an attachment, icon or image that claims to be an ERIS URN
 * parses: a node pins and fetches these as soon as the object arrives, and a
 * URN that cannot be read is the author's mistake, refused here with the
 * field it is in rather than found later. `prefix` names the embedding
 * (`object.` for the Note a Create carries).
 */
export function checkMediaLinks(obj: JsonObject, prefix = ''): void {
  for (const field of MEDIA_FIELDS) {
    const value = obj[field];
    const items: [Json, string][] = Array.isArray(value)
      ? value.map((x, i) => [x, `${prefix}${field}[${i}]`])
      : value === undefined
        ? []
        : [[value, prefix + field]];
    for (const [item, path] of items) {
      if (isJsonObject(item)) {
        checkErisUrl(item.href, `${path}.href`);
        checkUrlValue(item.url, `${path}.url`);
      } else {
        checkErisUrl(item, path);
      }
    }
  }
}

export function parseTime(v: Json | undefined, field: string): number | undefined {
  if (v === undefined) return undefined;
  const t = parseDateTime(v);
  if (Number.isNaN(t)) fail('malformed', `${field} must be a real ISO 8601 date-time`);
  return t;
}

/**
 * Shape rules for an incoming ActivityStreams object with a portable id,
 * checked before the (costlier) proof.
 * Same-origin as FEP-ef61 defines it: the actor, the attribution and any
 * object created by an activity must belong to the DID in the object's id.
 */
export function objectFacts(doc: JsonObject): ObjectFacts {
  if (doc['@context'] === undefined) fail('malformed', 'object has no @context');
  if (doc.id === undefined) fail('malformed', 'object has no id; Kith objects have an ap:// id');
  const { key: id, did: owner, path } = apIdParts(doc.id);
  const type = primaryType(doc.type, 'object');
  checkOwnedRef(doc.actor, owner, 'actor');
  checkOwnedRef(doc.attributedTo, owner, 'attributedTo');
  checkReference(doc.inReplyTo, 'inReplyTo');
  checkMediaLinks(doc);
  if (ACTOR_TYPES.has(type) && path !== '/actor') fail('malformed', 'an actor id must be ap://<did>/actor');
  const embedded: ApId[] = [];
  let links = linksOf(doc);
  const obj = doc.object;
  if (AUTHORING_ACTIVITIES.has(type)) {
    if (!isJsonObject(obj)) fail('malformed', `${type} must embed the object it carries`);
    const { key: inner, did: innerOwner } = apIdParts(obj.id);
    if (innerOwner !== owner) fail('wrong-key', `${type} carries an object that belongs to another identity`);
    primaryType(obj.type, 'embedded object');
    checkOwnedRef(obj.attributedTo, owner, 'embedded attributedTo');
    checkReference(obj.inReplyTo, 'embedded inReplyTo');
    checkMediaLinks(obj, 'object.');
    parseTime(obj.published, 'embedded published');
    embedded.push(inner);
    // An edit keeps the post where it was: its Update is no second reply or mention (nor a second notification).
    if (type !== 'Update') links = [...links, ...linksOf(obj)];
  }
  const proof = doc.proof;
  const proofCreated = isJsonObject(proof) ? parseTime(proof.created, 'proof.created') : undefined;
  const created = parseTime(doc.published, 'published') ?? proofCreated;
  if (created === undefined) fail('malformed', 'object needs a published time or a proof creation time');
  const activity = activityTargetOf(doc, type, id, owner);
  return { id, owner, type, created, embedded, links, activity };
}
