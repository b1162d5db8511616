import type { Inbox } from './inbox.js';
import { composeText, contentWarningOf, postAddressing } from '../core/post-text.js';
import { fail } from '../core/errors.js';
import { apIdKey, didOf, followersId, isApId } from '../core/apid.js';
import { newObjectId } from '../core/as2.js';
import { buildAnnounce, buildDelete, buildLike, buildUndo, buildUpdate } from '../core/activities.js';
import type { ApId, Did, Digest, JsonObject } from '../core/types.js';
import type { Ingested } from '../store/ingest.js';
import type { InteractionKind } from '../store/interactions.js';
import type { KithNode } from './kith-node.js';
import type { NetworkLink } from './network-link.js';
import { postFields } from './publishing.js';
import { newestVersion, originalOf } from './post-versions.js';
import { petnameTarget } from './petnames.js';

/**
 * What the owner does to posts: like and boost (and take either back), edit
 * and delete their own. Each is an activity signed into the owner's outbox,
 * so it replicates like every object, and every node that holds the post
 * applies it when it arrives (counts, the newest version, the tombstone).
 */

export interface Interacted {
  /** The activity's id (for a like or boost already there, the one that stands). */
  readonly id: ApId;
  readonly digest: Digest;
  /** 'duplicate': it was already done, and nothing new was signed. */
  readonly status: Ingested['status'];
  /** The post it is about. */
  readonly post: ApId;
  /** Whom it concerns: the author of the post, whose node is to hear of it (null for the owner's own post). */
  readonly concerns: Did | null;
  /** Peers it was pushed to live; 0 when the network is not up or nothing new was signed. */
  readonly pushedTo: number;
}

export interface Edited extends Interacted {
  /** When the new version was made (ISO 8601). */
  readonly updated: string;
}

const VERBS: Readonly<Record<InteractionKind, { done: string; build: typeof buildLike }>> = {
  like: { done: 'liked', build: buildLike },
  boost: { done: 'boosted', build: buildAnnounce },
};

export class Interactions {
  constructor(
    private readonly node: KithNode,
    private readonly link: NetworkLink,
    /** Hands a like, a boost or their undo to the post's author (absent where nothing is delivered, as in tests of the rules). */
    private readonly inbox?: Inbox,
  ) {}

  like(id: string): Promise<Interacted> {
    return this.interact('like', id);
  }

  unlike(id: string): Promise<Interacted> {
    return this.undo('like', id);
  }

  boost(id: string): Promise<Interacted> {
    return this.interact('boost', id);
  }

  unboost(id: string): Promise<Interacted> {
    return this.undo('boost', id);
  }

  /** Signs a new version of one of the owner's posts with this text; the rest of the post (replies, attachments) stays. */
  async edit(id: string, text: string): Promise<Edited> {
    const post = this.ownPost(id, 'edit');
    if (this.node.store.opened.envelopeOf(post) !== undefined) {
      fail('conflict', `${post} is followers-only, and those are not edited yet: delete it and post the new text for your followers`);
    }
    postFields({ text });
    if (this.node.store.tombstones.get(post)) fail('deleted', `${post} is deleted; a deleted post cannot be edited`);
    const current = newestVersion(this.node.store, post);
    if (!current) return fail('not-found', `this node does not hold ${post}, so there is nothing to edit`);
    // The new text is parsed as a new post's is: its hashtags and mentions are the version's own, not the old one's.
    const { updated: _previous, tag: _tags, cc: _cc, ...note } = current.note;
    const composed = composeText(text, (handle) => petnameTarget(this.node.store, handle));
    const addressing = postAddressing(this.node.did, composed.tags, composed.mentioned, note.inReplyTo);
    const next: JsonObject = {
      ...note,
      content: composed.html,
      source: { content: text, mediaType: 'text/plain' },
      ...(addressing.tag ? { tag: addressing.tag } : {}),
      cc: addressing.cc ?? [followersId(this.node.did)],
    };
    // A version must come after the one it replaces, whatever the clocks that signed the others said.
    const at = Math.max(Date.now(), current.at + 1);
    const r = this.node.ingest(this.node.sign(buildUpdate(this.node.did, newObjectId(this.node.did), next, at)));
    // Whoever the new version mentions or answers hears of it, as of a new post.
    if (r.status === 'stored') this.inbox?.deliverLater(r.digest);
    return { ...(await this.published(r, post)), updated: new Date(at).toISOString() };
  }

  /** Deletes one of the owner's posts here and, as the Delete travels, everywhere it is held. */
  async delete(id: string): Promise<Interacted> {
    const post = this.ownPost(id, 'delete');
    if (this.node.store.tombstones.get(post)) fail('not-found', `${post} is already deleted`);
    // A followers-only post is deleted by its envelope, the one object of it that travels: the Delete names no post id.
    const envelope = this.node.store.opened.envelopeOf(post);
    if (envelope === undefined && !originalOf(this.node.store, post)) fail('not-found', `this node holds no post ${post} of yours`);
    const r = this.node.ingest(this.node.sign(buildDelete(this.node.did, newObjectId(this.node.did), envelope ?? post)));
    return this.published(r, post);
  }

  private async interact(kind: InteractionKind, id: string): Promise<Interacted> {
    const post = this.heldPost(id);
    const standing = this.node.store.interactions.active(this.node.did, kind, post)[0];
    if (standing !== undefined) {
      const stored = this.node.store.interactions.byId(standing);
      if (stored) return { id: standing, digest: stored.digest, status: 'duplicate', post, concerns: this.concerns(post), pushedTo: 0 };
    }
    const r = this.node.ingest(this.node.sign(VERBS[kind].build(this.node.did, newObjectId(this.node.did), post)));
    return this.published(r, post);
  }

  /** Takes back every standing like (or boost) of the post by the owner: from another device there may be more than one. */
  private async undo(kind: InteractionKind, id: string): Promise<Interacted> {
    const post = this.postId(id);
    const standing = this.node.store.interactions.active(this.node.did, kind, post);
    if (standing.length === 0) fail('not-found', `you have not ${VERBS[kind].done} ${post}, so there is nothing to undo`);
    let last: Interacted | undefined;
    for (const done of standing) {
      last = await this.published(this.node.ingest(this.node.sign(buildUndo(this.node.did, newObjectId(this.node.did), done, this.concerns(post)))), post);
    }
    return last!;
  }

  private async published(r: Ingested, post: ApId): Promise<Interacted> {
    const concerns = this.concerns(post);
    // The author hears of it in their inbox, whether or not they follow the owner; followers get it by the outbox.
    if (concerns !== null && r.status === 'stored') this.inbox?.deliverLater(r.digest, [concerns]);
    return { id: r.id, digest: r.digest, status: r.status, post, concerns, pushedTo: await this.link.push(r.digest) };
  }

  private concerns(post: ApId): Did | null {
    const author = didOf(post);
    return author === this.node.did ? null : author;
  }

  /** A post's canonical id; the id of the Create that carries it names it too. */
  private postId(id: string): ApId {
    if (!isApId(id)) fail('malformed', `a post is named by its ap:// id, not "${id.slice(0, 60)}"`);
    const key = apIdKey(id);
    const stored = this.node.store.objects.byId(key);
    if (stored?.type === 'Create') {
      const inner = (JSON.parse(stored.body) as JsonObject).object;
      const innerId = typeof inner === 'object' && inner !== null && !Array.isArray(inner) ? inner.id : undefined;
      if (isApId(innerId)) return apIdKey(innerId);
    }
    return key;
  }

  private heldPost(id: string): ApId {
    const post = this.postId(id);
    if (this.node.store.tombstones.get(post)) fail('deleted', `${post} was deleted by its author`);
    if (!originalOf(this.node.store, post)) fail('not-found', `this node does not hold ${post} (follow its author to get their posts)`);
    return post;
  }

  private ownPost(id: string, verb: string): ApId {
    const post = this.postId(id);
    if (didOf(post) !== this.node.did) fail('unauthorized', `you can ${verb} only your own posts; ${post} is by ${didOf(post)}`);
    return post;
  }
}

/** A post as the command line lists it: its newest text and its counts. */
export interface PostSummary {
  readonly id: ApId;
  readonly text: string;
  /** Its content warning (core/post-text.ts contentWarningOf), shown instead of the text unless asked for. */
  readonly warning: string | null;
  /** When the version shown was made, for an edited post. */
  readonly edited: string | null;
  readonly replies: number;
  readonly likes: number;
  readonly boosts: number;
  readonly liked: boolean;
  readonly boosted: boolean;
  /** For a boost: the booster; the rest is the boosted post's (text '' when it is not held here). */
  readonly boostedBy: Did | null;
}

/** The post a listed activity is (a Create), or boosts (an Announce not taken back), summarized; undefined for other activities. */
export function summarize(
  node: KithNode,
  item: { readonly type: string; readonly owner: Did; readonly id: ApId; readonly object: JsonObject },
): PostSummary | undefined {
  const named = item.object.object;
  const ref = typeof named === 'object' && named !== null && !Array.isArray(named) ? named.id : named;
  if ((item.type !== 'Create' && item.type !== 'Announce') || !isApId(ref)) return undefined;
  const id = apIdKey(ref);
  const store = node.store;
  if (item.type === 'Announce' && (store.interactions.isUndone(item.id) || store.tombstones.get(id))) return undefined;
  const newest = newestVersion(store, id);
  const source = newest?.note.source;
  const text = typeof source === 'object' && source !== null && !Array.isArray(source) && typeof source.content === 'string' ? source.content : '';
  const { likes, boosts } = store.interactions.counts(id);
  return {
    id,
    text,
    warning: newest ? contentWarningOf(newest.note) : null,
    edited: newest?.stored.type === 'Update' ? new Date(newest.at).toISOString() : null,
    replies: store.links.replyCount(id),
    likes,
    boosts,
    liked: store.interactions.active(node.did, 'like', id).length > 0,
    boosted: store.interactions.active(node.did, 'boost', id).length > 0,
    boostedBy: item.type === 'Announce' ? item.owner : null,
  };
}
