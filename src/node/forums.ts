import { actorId, apIdParts, isApId } from '../core/apid.js';
import { AS_CONTEXT, isoNow } from '../core/as2.js';
import { KithError, fail } from '../core/errors.js';
import { MAX_POST_CHARS } from '../core/constants.js';
import { FORUM } from '../core/forum-constants.js';
import {
  buildForumActor,
  buildForumPost,
  forumPathOf,
  issueInvite,
  parseInvite,
  FORUM_ADMIT,
  FORUM_OWN,
  FORUM_POST,
  JOIN_POLICIES,
  MODERATOR_CAPABILITIES,
  type JoinPolicy,
} from '../core/forum.js';
import { isJsonObject, type ApId, type Did, type JsonObject } from '../core/types.js';
import { newObjectId } from '../core/as2.js';
import { forumHidesAuthor } from '../store/forum-acceptance.js';
import { parseBody, type Page } from '../store/objects.js';
import type { ForumRole } from '../store/forums.js';
import type { Inbox } from './inbox.js';
import type { ForumActing } from './forum-acting.js';

/**
 * Forums as their members and hosts use them (issue 13): create, join
 * (open, by approval, by invitation), host, post, read, members. The
 * moderation acts are in ./forum-moderation.ts.
 */

export interface ForumView {
  readonly forum: Did;
  readonly id: ApId;
  readonly name: string;
  readonly owner: Did;
  readonly policy: JoinPolicy;
  /** What this node is to it: the owner's, a member's, a request waiting, a host's. */
  readonly role: ForumRole;
}

export interface ForumPostView {
  readonly id: ApId;
  /** The member who posted it: whose key signed it, or the hosted account its node's key signed it for. */
  readonly author: Did;
  readonly text: string;
  readonly published: string;
  readonly inReplyTo?: string;
}

export interface ForumMember {
  readonly did: Did;
  readonly role: 'owner' | 'co-owner' | 'moderator' | 'member';
  /** When the certificate it holds now runs out (renewed while in good standing); absent for the owner. */
  readonly expires?: string;
  readonly banned: boolean;
}

export interface Joined {
  readonly forum: Did;
  /** member: certified already (an open forum answers at once when its owner's node is reached); requested: waiting for an answer. */
  readonly status: 'member' | 'requested';
}

export class Forums {
  constructor(
    private readonly acting: ForumActing,
    private readonly inbox: Inbox,
  ) {}

  private get node() {
    return this.acting.node;
  }

  create(name: string, policy: JoinPolicy = 'open'): ForumView {
    const n = typeof name === 'string' ? name.trim() : '';
    if (n.length === 0 || n.length > FORUM.MAX_NAME_CHARS) fail('malformed', `a forum's name is 1 to ${FORUM.MAX_NAME_CHARS} characters`);
    if (!JOIN_POLICIES.includes(policy)) fail('malformed', `a join policy is one of ${JOIN_POLICIES.join(', ')}, not "${String(policy).slice(0, 40)}"`);
    const { forum } = this.acting.keys.create();
    const peers = this.ownPeers();
    this.acting.store(this.acting.sign(forum, buildForumActor(forum, { name: n, owner: this.node.did, policy, peers }, this.acting.now())));
    this.node.store.forums.setRole(forum, 'owner', this.acting.now());
    // The owner posts as a person like everyone, so the root certifies the owner's own key too (as a co-owner).
    this.acting.certify(forum, this.node.did, [...MODERATOR_CAPABILITIES, FORUM_OWN], FORUM.OWNER_CERT_MS);
    this.acting.keep(forum, undefined).catch((e: unknown) => this.acting.log.warn(`forums: keeping ${forum} failed: ${(e as Error).message}`));
    return this.view(forum);
  }

  /**
   * The owner's node lists its current addresses in each forum's Group actor
   * (where join requests go), as it does in its person's actor: a new
   * version when they changed. Returns how many it revised.
   */
  refreshEndpoints(): number {
    const peers = this.ownPeers();
    let revised = 0;
    for (const { forum, role } of this.node.store.forums.list()) {
      if (role !== 'owner' || !this.acting.owns(forum)) continue;
      const stored = this.node.store.objects.byId(actorId(forum));
      const doc = stored === undefined ? undefined : parseBody(stored);
      const listed = doc !== undefined && isJsonObject(doc.endpoints) ? doc.endpoints.kithPeers : undefined;
      if (doc === undefined || JSON.stringify(listed) === JSON.stringify(peers)) continue;
      const a = this.acting.actor(forum);
      this.acting.store(this.acting.sign(forum, buildForumActor(forum, { name: a.name, owner: a.owner, policy: a.policy, peers }, this.acting.now())));
      revised++;
    }
    return revised;
  }

  private ownPeers(): string[] {
    const own = this.node.actor();
    const listed = isJsonObject(own.endpoints) ? own.endpoints.kithPeers : undefined;
    return Array.isArray(listed) ? listed.filter((a): a is string => typeof a === 'string') : [];
  }

  /** Forums this node has a part in. */
  list(): ForumView[] {
    return this.node.store.forums
      .list()
      .map(({ forum }) => {
        try {
          return this.view(forum);
        } catch (e) {
          if (!(e instanceof KithError)) throw e;
          return undefined;
        }
      })
      .filter((v): v is ForumView => v !== undefined);
  }

  view(forum: Did): ForumView {
    const a = this.acting.actor(forum);
    let role = this.node.store.forums.role(forum) ?? 'host';
    // A request answered while this node was elsewhere: the certificate arrived with the forum's scope.
    if (role === 'pending' && this.isMember(forum)) {
      role = 'member';
      this.node.store.forums.setRole(forum, role, this.acting.now());
    }
    return { forum, id: actorId(forum), name: a.name, owner: a.owner, policy: a.policy, role };
  }

  /**
   * Asks to join: keeps the forum's scope (synced from `via`, an address of a
   * node that keeps it), then delivers a signed Join to the forum (its
   * owner's node) with the invitation token if one is given.
   */
  async join(name: string, opts: { via?: string; token?: string } = {}): Promise<Joined> {
    if (this.acting.owns(this.acting.forumOf(name))) fail('conflict', 'you own this forum already');
    const forum = await this.prepareJoin(name, opts);
    if (this.isMember(forum)) {
      this.node.store.forums.setRole(forum, 'member', this.acting.now());
      return { forum, status: 'member' };
    }
    await this.requestToJoin(forum, this.node.did, opts.token, (doc) => this.node.sign(doc));
    this.node.store.forums.setRole(forum, 'pending', this.acting.now());
    return { forum, status: this.isMember(forum) ? 'member' : 'requested' };
  }

  /** Keeps the forum and checks what joining it takes (an invitation, for some); the forum's did. */
  async prepareJoin(name: string, opts: { via?: string; token?: string }): Promise<Did> {
    const forum = this.acting.forumOf(name);
    await this.acting.keep(forum, opts.via);
    const actor = this.acting.actor(forum);
    if (opts.token !== undefined) parseInvite(opts.token, forum, this.acting.now());
    else if (actor.policy === 'invitation')
      fail('unauthorized', `${actor.name} admits by invitation only; ask its owner or a moderator for a token (forum invite)`);
    return forum;
  }

  /** A Join of `who` (this node's person or an account it hosts), signed by `sign`, delivered to the forum (its owner's node) and its moderators, any of whom may answer. */
  async requestToJoin(forum: Did, who: Did, token: string | undefined, sign: (doc: JsonObject) => JsonObject): Promise<void> {
    const moderators = this.acting.moderators(forum).filter((d) => d !== who);
    const join: JsonObject = {
      '@context': [...AS_CONTEXT],
      id: newObjectId(who),
      type: 'Join',
      actor: actorId(who),
      object: actorId(forum),
      to: [actorId(forum), ...moderators.map((d) => actorId(d))],
      published: isoNow(this.acting.now()),
    };
    if (token !== undefined) join.kithInvite = token;
    const r = this.node.ingest(sign(join));
    await this.inbox.deliver(r.digest, [forum, ...moderators]);
  }

  /** Keeps and serves a forum this node does not own (a host); it can act in no one's name there. */
  async host(name: string, via?: string): Promise<ForumView> {
    const forum = this.acting.forumOf(name);
    await this.acting.keep(forum, via);
    if (this.node.store.forums.role(forum) === undefined) this.node.store.forums.setRole(forum, 'host', this.acting.now());
    return this.view(forum);
  }

  /** Does this node's person hold a chain from the forum's root to post, valid now? */
  isMember(forum: Did): boolean {
    if (this.acting.owns(forum)) return true;
    try {
      this.acting.ownGrant(forum, FORUM_POST);
      return !this.node.store.forums.banned(forum, this.node.did);
    } catch (e) {
      if (!(e instanceof KithError)) throw e;
      return false;
    }
  }

  /** Posts (or replies) in the forum, signed with this person's key; ingest refuses it without a valid chain, as every node does. */
  post(name: string, text: string, inReplyTo?: string): { id: ApId; forum: Did } {
    const { forum, doc } = this.draft(name, this.node.did, text, inReplyTo);
    // Signed with the person's key even on the owner's node: a post is its author's, not the forum's.
    const r = this.node.ingest(this.node.sign(doc));
    this.acting.pushLater(r);
    return { id: r.id, forum };
  }

  /** A post (or reply) of `author`'s in the forum, checked and unsigned. */
  draft(name: string, author: Did, text: string, inReplyTo?: string): { forum: Did; doc: JsonObject } {
    const forum = this.acting.forumOf(name);
    this.acting.actor(forum);
    if (typeof text !== 'string' || text.trim().length === 0 || text.length > MAX_POST_CHARS) fail('malformed', `a post is 1 to ${MAX_POST_CHARS} characters`);
    let reply: ApId | undefined;
    if (inReplyTo !== undefined) {
      if (!isApId(inReplyTo) || apIdParts(inReplyTo).did !== forum) fail('malformed', '--reply-to takes the ap:// id of a post of the same forum');
      reply = apIdParts(inReplyTo).key;
    }
    if (this.node.store.forums.banned(forum, author)) fail('revoked', `${author} is banned from ${forum}; nothing posted there in its name is taken in`);
    return { forum, doc: buildForumPost(forum, text, reply, this.acting.now()) };
  }

  /** The forum's posts, newest first, as every reader sees them: hidden ones and ones no valid chain covers (any more) are left out. */
  read(name: string, limit = 50): ForumPostView[] {
    const forum = this.acting.forumOf(name);
    this.acting.actor(forum);
    const hidden = this.node.store.forums.hidden(forum);
    const out: ForumPostView[] = [];
    const want = Math.min(Math.max(1, limit), FORUM.MAX_LISTED);
    let before: Page['before'];
    while (out.length < want) {
      const page = this.node.store.objects.outboxPage(this.acting.scopeOf(forum), { limit: 100, before });
      if (page.length === 0) break;
      for (const o of page) {
        if (o.type !== 'Create' || forumPathOf(o.id)?.what !== 'post' || hidden.has(o.id)) continue;
        if (!this.node.ingestor.stillValid(o)) continue;
        // A hosted account's posts are signed by its node's key, and are the account's.
        const author = this.node.ingestor.forumAuthorOf(o);
        if (forumHidesAuthor(this.node.store, forum, author)) continue;
        const note = parseBody(o).object;
        if (!isJsonObject(note) || (isApId(note.id) && hidden.has(apIdParts(note.id).key))) continue;
        const source = isJsonObject(note.source) ? note.source.content : undefined;
        const post: ForumPostView = {
          id: o.id,
          author,
          text: typeof source === 'string' ? source : '',
          published: new Date(o.created).toISOString(),
        };
        out.push(typeof note.inReplyTo === 'string' ? { ...post, inReplyTo: note.inReplyTo } : post);
        if (out.length >= want) break;
      }
      const last = page[page.length - 1]!;
      before = { created: last.created, digest: last.digest };
    }
    return out;
  }

  /** Everyone the forum's root certified (directly or through a moderator), with their role now. */
  members(name: string): ForumMember[] {
    const forum = this.acting.forumOf(name);
    const actor = this.acting.actor(forum);
    const store = this.node.store;
    const out: ForumMember[] = [{ did: actor.owner, role: 'owner', banned: false }];
    const now = this.acting.now();
    for (const did of store.forums.certified(forum)) {
      if (did === actor.owner) continue;
      const best = (capability: string): number | undefined => {
        for (const { grant, revocations } of store.authority.verdictsFor(did, forum, capability, 8)) {
          if (grant instanceof KithError || revocations.some((r) => r.cutOff <= now)) continue;
          if (grant.notBefore <= now && grant.expires > now) return grant.expires;
        }
        return undefined;
      };
      const own = best(FORUM_OWN);
      const mod = own === undefined ? best(FORUM_ADMIT) : own;
      const post = mod ?? best(FORUM_POST);
      const banned = store.forums.banned(forum, did);
      if (post === undefined && !banned) continue;
      const role = own !== undefined ? 'co-owner' : mod !== undefined ? 'moderator' : 'member';
      out.push({ did, role, banned, ...(post === undefined ? {} : { expires: new Date(post).toISOString() }) });
    }
    return out;
  }

  /** A one-time invitation token (only the owner's node, which holds the root, can sign one and record its use). */
  invite(name: string): { forum: Did; token: string; expires: string } {
    const forum = this.acting.forumOf(name);
    if (!this.acting.owns(forum)) fail('unauthorized', 'only the forum owner\u2019s node signs invitations (it records each one\u2019s use)');
    const expires = this.acting.now() + FORUM.INVITE_MS;
    const token = issueInvite(this.acting.keys.key(forum), expires, this.acting.now());
    const invite = parseInvite(token, forum, this.acting.now());
    this.node.store.forums.addInvite(invite.nonce, forum, expires);
    return { forum, token, expires: new Date(expires).toISOString() };
  }
}
