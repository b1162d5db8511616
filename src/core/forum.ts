import { randomBytes, randomUUID } from 'node:crypto';
import { AS_CONTEXT, AS_PUBLIC, buildActor, isoNow, textToHtml } from './as2.js';
import { actorId, apId, apIdParts, isApId, outboxId } from './apid.js';
import { didFromPublicKey, parseDid } from './didkey.js';
import type { Ed25519KeyPair } from './ed25519.js';
import { fail } from './errors.js';
import { FORUM } from './forum-constants.js';
import { signDocument, verifyDocument } from './proof.js';
import { isJsonObject, type ApId, type Did, type JsonObject } from './types.js';

/**
 * Forums (issue 13): a forum is an ActivityStreams Group with its own key
 * (the forum root). Everything in it is an object under the Group's id,
 * `ap://<forum>/actor/…`, so it belongs to the forum's scope and replicates
 * as a person's posts do; the key that signs it is a member's or a
 * moderator's, certified by the root for the capability its path names
 * (store/ingest.ts checks the chain, as it does for a person's devices).
 * Every grant's resource is the Group's id, which covers those paths.
 */

export const FORUM_POST = 'forum:post';
export const FORUM_ADMIT = 'forum:admit';
export const FORUM_BAN = 'forum:ban';
export const FORUM_HIDE = 'forum:hide';
/** Co-owners: what the root can do with certificates (add and remove moderators). */
export const FORUM_OWN = 'forum:own';
export const PAPERS_TYPE = 'KithAccountPapers';

export type JoinPolicy = 'open' | 'approval' | 'invitation';
export const JOIN_POLICIES: readonly JoinPolicy[] = ['open', 'approval', 'invitation'];

/** Moderation acts, each a signed object in the forum's scope (the log), and the capability each takes. */
export const ACT_KINDS = {
  admit: { type: 'Add', capability: FORUM_ADMIT, about: 'person' },
  reject: { type: 'Reject', capability: FORUM_ADMIT, about: 'person' },
  ban: { type: 'Block', capability: FORUM_BAN, about: 'person' },
  unban: { type: 'Remove', capability: FORUM_BAN, about: 'person' },
  hide: { type: 'Ignore', capability: FORUM_HIDE, about: 'post' },
  'moderator-add': { type: 'Add', capability: FORUM_OWN, about: 'person' },
  'moderator-remove': { type: 'Remove', capability: FORUM_OWN, about: 'person' },
  // A node root (issue 13 item 5): every account it vouches for is refused in the forum, with no list of accounts.
  'root-block': { type: 'Block', capability: FORUM_BAN, about: 'person' },
  'root-unblock': { type: 'Remove', capability: FORUM_BAN, about: 'person' },
  // The node roots whose accounts alone the forum admits (kithRoots; empty: any). A policy, so the owner's.
  roots: { type: 'Add', capability: FORUM_OWN, about: 'forum' },
} as const;
export type ActKind = keyof typeof ACT_KINDS;
export const isActKind = (s: string): s is ActKind => Object.hasOwn(ACT_KINDS, s);

/** Capabilities a moderator certificate grants: its acts, posting, and passing posting on to members it admits. */
export const MODERATOR_CAPABILITIES = [FORUM_ADMIT, FORUM_BAN, FORUM_HIDE, FORUM_POST, 'delegate'] as const;

const POSTS = '/actor/posts/';
const ACTS = '/actor/acts/';
/** A hosted account's papers (core/forum-papers.ts): what lets every node check the posts its node signs for it. */
export const PAPERS = '/actor/papers/';

export const forumPostId = (forum: Did): ApId => apId(forum, `${POSTS}${randomUUID()}`);
export const forumActId = (forum: Did, kind: ActKind): ApId => apId(forum, `${ACTS}${kind}/${randomUUID()}`);

/** What a forum object's id says it is: a post, an act of some kind, or neither (an ordinary object of that key). */
export type ForumPath = { readonly what: 'post' } | { readonly what: 'papers' } | { readonly what: 'act'; readonly kind: ActKind } | undefined;

export function forumPathOf(id: string): ForumPath {
  const { path } = apIdParts(id);
  if (path.startsWith(POSTS)) return { what: 'post' };
  if (path.startsWith(PAPERS)) return { what: 'papers' };
  if (!path.startsWith(ACTS)) return undefined;
  const kind = path.slice(ACTS.length).split('/', 1)[0]!;
  if (!isActKind(kind)) fail('malformed', `${id.slice(0, 120)} names no moderation act this node knows ("${kind.slice(0, 40)}")`);
  return { what: 'act', kind };
}

/** The capability a key other than the forum root needs to sign the object with this id; undefined for objects that are no forum's. */
export function forumCapabilityOf(id: string): string | undefined {
  // Asked for every object a key other than its owner's signs: most are no forum's, and a search is cheaper than a parse.
  if (!id.includes(POSTS) && !id.includes(ACTS) && !id.includes(PAPERS)) return undefined;
  const p = forumPathOf(id);
  if (p === undefined) return undefined;
  // Papers are signed by the node root vouching for the account, which must be a member (store/forum-accounts.ts).
  return p.what === 'act' ? ACT_KINDS[p.kind].capability : FORUM_POST;
}

export interface ForumFields {
  readonly name: string;
  readonly owner: Did;
  readonly policy: JoinPolicy;
  /** The owner's node addresses, where join requests go (the inbox reads `endpoints.kithPeers`). */
  readonly peers?: readonly string[];
}

/** The Group actor of a forum, unsigned. */
export function buildForumActor(forum: Did, f: ForumFields, now = Date.now()): JsonObject {
  const actor = buildActor(forum, { name: f.name }, now);
  return { ...actor, type: 'Group', kithOwner: f.owner, kithJoinPolicy: f.policy, endpoints: { kithPeers: [...(f.peers ?? [])] } };
}

export interface ForumActorView {
  readonly forum: Did;
  readonly name: string;
  readonly owner: Did;
  readonly policy: JoinPolicy;
}

/** Reads a stored Group actor; undefined when the document is not one. */
export function forumActorView(doc: JsonObject): ForumActorView | undefined {
  if (doc.type !== 'Group' || !isApId(doc.id)) return undefined;
  const policy = JOIN_POLICIES.find((p) => p === doc.kithJoinPolicy);
  if (policy === undefined || typeof doc.kithOwner !== 'string') return undefined;
  return { forum: apIdParts(doc.id).did, name: typeof doc.name === 'string' ? doc.name : '', owner: parseDid(doc.kithOwner), policy };
}

/** A forum post: a Create of a Note under the forum's id, addressed to the forum, unsigned (the member's key signs it). */
export function buildForumPost(forum: Did, text: string, inReplyTo?: ApId, now = Date.now()): JsonObject {
  const group = actorId(forum);
  const published = isoNow(now);
  const note: JsonObject = {
    id: forumPostId(forum),
    type: 'Note',
    attributedTo: group,
    audience: group,
    context: group,
    content: textToHtml(text),
    source: { content: text, mediaType: 'text/plain' },
    published,
    to: [group],
    cc: [AS_PUBLIC],
  };
  if (inReplyTo !== undefined) note.inReplyTo = inReplyTo;
  return {
    '@context': [...AS_CONTEXT],
    id: forumPostId(forum),
    type: 'Create',
    actor: group,
    audience: group,
    published,
    to: [group],
    cc: [AS_PUBLIC],
    object: note,
  };
}

/** A moderation act, unsigned: `about` is the person (did) or the post (ap:// id) it acts on; `certificate` the digest it issued or revoked. */
export function buildForumAct(
  forum: Did,
  kind: ActKind,
  about: string,
  extra: { certificate?: string; revocation?: string; roots?: readonly Did[] } = {},
  now = Date.now(),
): JsonObject {
  const group = actorId(forum);
  const spec: { type: string; about: string } = ACT_KINDS[kind];
  const object = spec.about === 'person' ? actorId(parseDid(about)) : spec.about === 'forum' ? group : about;
  const act: JsonObject = {
    '@context': [...AS_CONTEXT],
    id: forumActId(forum, kind),
    type: spec.type,
    actor: group,
    audience: group,
    kithAct: kind,
    object,
    target: outboxId(forum),
    published: isoNow(now),
    to: [group],
  };
  if (extra.certificate !== undefined) act.kithCertificate = extra.certificate;
  if (extra.revocation !== undefined) act.kithRevocation = extra.revocation;
  if (extra.roots !== undefined) act.kithRoots = [...extra.roots];
  return act;
}

/** What a stored forum object is, checked against what its id says: a post must be a Create or Note to the forum, an act of the kind its id names. */
export interface ForumFacts {
  readonly forum: Did;
  readonly path: NonNullable<ForumPath>;
  /** For acts: the person (did) or post (ap:// id) acted on; for a "roots" act, the admitted roots joined by spaces ("" for any). */
  readonly about?: string;
}

export function forumFactsOf(doc: JsonObject): ForumFacts | undefined {
  if (!isApId(doc.id)) return undefined;
  const path = forumPathOf(doc.id);
  if (path === undefined) return undefined;
  const forum = apIdParts(doc.id).did;
  const group = actorId(forum);
  if (doc.audience !== group) fail('malformed', `a forum object must name its forum (${group}) as its audience`);
  if (path.what === 'post') {
    if (doc.type !== 'Create' && doc.type !== 'Note') fail('malformed', `a forum post is a Create or a Note, not ${String(doc.type).slice(0, 40)}`);
    return { forum, path };
  }
  if (path.what === 'papers') {
    if (doc.type !== PAPERS_TYPE) fail('malformed', `a hosted account's papers in a forum are a ${PAPERS_TYPE}, not ${String(doc.type).slice(0, 40)}`);
    return { forum, path };
  }
  const spec: { type: string; about: string } = ACT_KINDS[path.kind];
  if (doc.type !== spec.type || doc.kithAct !== path.kind) fail('malformed', `a forum "${path.kind}" act is a ${spec.type} with kithAct "${path.kind}"`);
  if (!isApId(doc.object)) fail('malformed', `a forum "${path.kind}" act names what it acts on by its ap:// id`);
  if (spec.about === 'forum') {
    if (doc.object !== group) fail('malformed', `a forum "${path.kind}" act names its own forum (${group})`);
    return { forum, path, about: admittedRootsOf(doc).join(' ') };
  }
  const about = spec.about === 'person' ? apIdParts(doc.object).did : apIdParts(doc.object).key;
  if (spec.about === 'post' && (apIdParts(doc.object).did !== forum || forumPathOf(doc.object)?.what !== 'post')) {
    fail('malformed', `a forum "${path.kind}" act names a post of the same forum`);
  }
  return { forum, path, about };
}

/** The roots a "roots" act lists, checked: did:keys, at most FORUM.ROOTS_LISTED, no repeats. */
export function admittedRootsOf(doc: JsonObject): Did[] {
  const list = doc.kithRoots;
  if (!Array.isArray(list) || list.length > FORUM.ROOTS_LISTED) fail('malformed', `a "roots" act lists 0 to ${FORUM.ROOTS_LISTED} node roots in kithRoots`);
  const roots = list.map((d) => parseDid(typeof d === 'string' ? d : ''));
  if (new Set(roots).size !== roots.length) fail('malformed', 'a "roots" act lists each node root once');
  return roots;
}

// ---- Invitations ----

export const INVITE_TYPE = 'KithForumInvite';

/** A one-time invitation: signed by the forum root, redeemed once (the owner's node records it). Printed as base64url JSON. */
export function issueInvite(forumKey: Ed25519KeyPair, expires: number, now = Date.now()): string {
  const forum = didFromPublicKey(forumKey.publicKey);
  const doc = signDocument({ type: INVITE_TYPE, forum, nonce: randomBytes(16).toString('hex'), expires: new Date(expires).toISOString() }, forumKey, {
    created: isoNow(now),
  });
  return Buffer.from(JSON.stringify(doc), 'utf8').toString('base64url');
}

export interface Invite {
  readonly forum: Did;
  readonly nonce: string;
  readonly expires: number;
}

/** Checks an invitation's signature by the forum root and its expiry; whether it was used already is the owner node's question. */
export function parseInvite(token: string, forum: Did, now = Date.now()): Invite {
  if (typeof token !== 'string' || token.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(token))
    fail('malformed', 'an invitation is the token `forum invite` printed');
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return fail('malformed', 'the invitation token does not decode; copy it whole from `forum invite`');
  }
  if (!isJsonObject(doc) || doc.type !== INVITE_TYPE || typeof doc.nonce !== 'string' || typeof doc.expires !== 'string') {
    return fail('malformed', 'the token is not a forum invitation');
  }
  if (doc.forum !== forum) fail('wrong-key', `the invitation is for ${String(doc.forum).slice(0, 80)}, not for ${forum}`);
  const { signer } = verifyDocument(doc);
  if (signer !== forum) fail('forged', 'the invitation is not signed by the forum');
  const expires = Date.parse(doc.expires);
  if (!(expires > now)) fail('expired', `the invitation expired at ${doc.expires}; ask for a new one`);
  return { forum, nonce: doc.nonce, expires };
}
