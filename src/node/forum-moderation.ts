import { fail, KithError } from '../core/errors.js';
import { apIdParts, isApId } from '../core/apid.js';
import { parseDid } from '../core/didkey.js';
import { FORUM } from '../core/forum-constants.js';
import { issueRevocation } from '../core/revocation.js';
import { reasonOf } from '../core/log.js';
import { recipientsOf } from '../core/inbox-address.js';
import { buildForumAct, forumPathOf, ACT_KINDS, parseInvite, FORUM_ADMIT, FORUM_POST, MODERATOR_CAPABILITIES, type ActKind } from '../core/forum.js';
import { isJsonObject, type ApId, type Did, type Digest, type JsonObject } from '../core/types.js';
import type { ObjectRecord } from '../core/examine.js';
import type { ForumActing } from './forum-acting.js';

/**
 * The forum's governance (issue 13): answering join requests, bans, hides,
 * moderators, the log, and the owner's node renewing members' short
 * certificates. Every act is a signed object in the forum's scope; ingest
 * (here and on every node) takes it only from a key whose chain from the
 * root grants the act's capability, so a host's admin, holding none, can do
 * nothing in anyone's name.
 */

const ACT_TYPES: ReadonlySet<string> = new Set(Object.values(ACT_KINDS).map((k) => k.type));

export interface ForumAct {
  readonly id: ApId;
  readonly kind: ActKind;
  /** The person (did) or post (ap:// id) acted on. */
  readonly about: string;
  /** The key that signed it: the forum's root, or a moderator's. */
  readonly by: Did;
  readonly published: string;
  /** The signed object itself, for `kith verify`. */
  readonly document: JsonObject;
}

export interface ActDone {
  readonly forum: Did;
  readonly act: ApId;
  readonly kind: ActKind;
  readonly about: string;
}

/** Which node roots' accounts a forum takes: `only` null for any, and the roots it blocks. */
export interface ForumRoots {
  readonly forum: Did;
  readonly only: Did[] | null;
  readonly blocked: Did[];
  /** The act that changed the list, when this call did. */
  readonly act?: ActDone;
}

export class ForumModeration {
  private openJoins: { minute: number; count: number } = { minute: 0, count: 0 };

  constructor(private readonly acting: ForumActing) {}

  private get node() {
    return this.acting.node;
  }

  requests(name: string): { did: Did; requested: string }[] {
    const forum = this.acting.forumOf(name);
    return this.node.store.forums.requests(forum).map((r) => ({ did: r.did, requested: new Date(r.created).toISOString() }));
  }

  /** Admits a person: a short membership certificate (from the root, or passed on by a moderator) and the signed act naming it. */
  approve(name: string, who: string): ActDone {
    const forum = this.acting.forumOf(name);
    const did = parseDid(who);
    this.acting.actor(forum);
    if (this.node.store.forums.banned(forum, did)) fail('conflict', `${did} is banned from this forum; unban them first`);
    const cert = this.acting.certify(forum, did, [FORUM_POST], FORUM.MEMBER_CERT_MS);
    const done = this.act(forum, 'admit', did, { certificate: cert.digest });
    this.node.store.forums.takeRequest(forum, did);
    return done;
  }

  reject(name: string, who: string): ActDone {
    const forum = this.acting.forumOf(name);
    const did = parseDid(who);
    if (!this.node.store.forums.takeRequest(forum, did)) fail('not-found', `no join request of ${did} waits here`);
    return this.act(forum, 'reject', did);
  }

  /** A ban: a signed record that every node's acceptance check weighs like a revocation, and that stops renewal. */
  ban(name: string, who: string): ActDone {
    const forum = this.acting.forumOf(name);
    const did = parseDid(who);
    const actor = this.acting.actor(forum);
    if (did === actor.owner || did === forum) fail('conflict', 'the forum\u2019s owner cannot be banned from it');
    return this.act(forum, 'ban', did);
  }

  /** Lifts a ban; the owner's node certifies the person again at once (a moderator's node leaves that to the next renewal). */
  unban(name: string, who: string): ActDone {
    const forum = this.acting.forumOf(name);
    const did = parseDid(who);
    if (!this.node.store.forums.banned(forum, did)) fail('not-found', `${did} is not banned from this forum`);
    const done = this.act(forum, 'unban', did);
    if (this.acting.owns(forum)) this.acting.certify(forum, did, [FORUM_POST], FORUM.MEMBER_CERT_MS);
    return done;
  }

  hide(name: string, post: string): ActDone {
    const forum = this.acting.forumOf(name);
    if (!isApId(post) || apIdParts(post).did !== forum || forumPathOf(post)?.what !== 'post') {
      fail('malformed', 'hide takes the ap:// id of a post of this forum (as forum read prints it)');
    }
    return this.act(forum, 'hide', apIdParts(post).key);
  }

  /** The owner certifies a moderator for a limited time (admit, ban, hide, and passing membership on). */
  moderatorAdd(name: string, who: string): ActDone {
    const forum = this.ownedForum(name);
    const did = parseDid(who);
    const cert = this.acting.certify(forum, did, MODERATOR_CAPABILITIES, FORUM.MODERATOR_CERT_MS);
    return this.act(forum, 'moderator-add', did, { certificate: cert.digest });
  }

  /**
   * The owner revokes a moderator's certificates: from now on nothing it
   * signs under them is taken in (its later acts, and members it admits
   * later, are void); what it did before stands unless reversed.
   */
  moderatorRemove(name: string, who: string): ActDone {
    const forum = this.ownedForum(name);
    const did = parseDid(who);
    const certs = this.node.store.forums.certificatesOf(forum, forum, did);
    if (certs.length === 0) fail('not-found', `${did} holds no certificate from this forum`);
    let last: Digest | undefined;
    for (const c of certs) {
      const rev = issueRevocation(this.acting.keys.key(forum), { certificate: c.digest as Digest }, { now: this.acting.now() });
      this.acting.store(rev.doc as JsonObject);
      last = rev.digest;
    }
    // Members it admitted keep their certificates (earlier acts stand); the root certifies them anew at renewal.
    return this.act(forum, 'moderator-remove', did, last === undefined ? {} : { revocation: last });
  }

  /**
   * Blocks a node root: every account its account certificates vouch for is
   * refused in the forum from now on, on every node that has the act; no
   * list of accounts is needed. Self-rooted people are untouched.
   */
  blockRoot(name: string, root: string): ActDone {
    const forum = this.acting.forumOf(name);
    const did = parseDid(root);
    const actor = this.acting.actor(forum);
    if (did === forum || did === actor.owner) fail('conflict', 'the forum\u2019s own root and its owner cannot be blocked in it');
    if (this.node.store.forums.rootBlocked(forum, did)) fail('conflict', `the forum blocks ${did} already`);
    return this.act(forum, 'root-block', did);
  }

  unblockRoot(name: string, root: string): ActDone {
    const forum = this.acting.forumOf(name);
    const did = parseDid(root);
    if (!this.node.store.forums.rootBlocked(forum, did)) fail('not-found', `the forum does not block ${did}`);
    return this.act(forum, 'root-unblock', did);
  }

  /**
   * The node roots the forum admits alone (`only`; an empty list admits
   * any), set by a signed act of the owner; without a change, what stands.
   */
  roots(name: string, change?: { only: readonly string[] }): ForumRoots {
    const forum = this.acting.forumOf(name);
    this.acting.actor(forum);
    let act: ActDone | undefined;
    if (change !== undefined) {
      if (!this.acting.owns(forum)) fail('unauthorized', 'only the forum\u2019s owner (the node holding its root key) sets which node roots it admits');
      const only = [...new Set(change.only.map((d) => parseDid(d)))];
      if (only.length > FORUM.ROOTS_LISTED) fail('too-large', `a forum lists at most ${FORUM.ROOTS_LISTED} node roots`);
      act = this.act(forum, 'roots', only.join(' '), { roots: only });
    }
    const store = this.node.store.forums;
    return { forum, only: store.admittedRoots(forum) ?? null, blocked: store.blockedRoots(forum), ...(act === undefined ? {} : { act }) };
  }

  /** Every act, oldest first, each with its signed document. */
  log(name: string): ForumAct[] {
    const forum = this.acting.forumOf(name);
    this.acting.actor(forum);
    return this.node.store.forums.acts(forum, FORUM.MAX_LISTED).map((a) => ({
      id: JSON.parse(a.body).id as ApId,
      kind: a.kind,
      about: a.about,
      by: a.signer,
      published: new Date(a.created).toISOString(),
      document: JSON.parse(a.body) as JsonObject,
    }));
  }

  private act(forum: Did, kind: ActKind, about: string, extra: { certificate?: string; revocation?: string; roots?: readonly Did[] } = {}): ActDone {
    const doc = buildForumAct(forum, kind, about, extra, this.acting.now());
    const r = this.acting.store(this.acting.sign(forum, doc));
    return { forum, act: r.id, kind, about };
  }

  private ownedForum(name: string): Did {
    const forum = this.acting.forumOf(name);
    if (!this.acting.owns(forum)) fail('unauthorized', 'only the forum\u2019s owner (the node holding its root key) adds or removes moderators');
    return forum;
  }

  /**
   * Join requests delivered to a forum this node owns, whichever way they
   * came: an open forum certifies at once (a few a minute), an invitation is
   * redeemed once, anything else waits for an answer.
   */
  stored(records: readonly ObjectRecord[]): void {
    for (const r of records) {
      this.enforce(r);
      if (r.type !== 'Join') continue;
      const doc = JSON.parse(r.body) as JsonObject;
      if (!isApId(doc.object)) continue;
      const forum = apIdParts(doc.object).did;
      if (!this.acting.owns(forum)) {
        this.queueForModerator(forum, r, doc);
        continue;
      }
      setImmediate(() => {
        try {
          this.answerJoin(forum, r.owner, r.id, doc);
        } catch (e) {
          this.acting.log.warn(`forums: the join request of ${r.owner} to ${forum} was not answered: ${reasonOf(e)}`);
        }
      });
    }
  }

  /**
   * On the owner's node, a ban (whoever made it) becomes revocations by the
   * root of every certificate the banned key holds under the forum: the same
   * machinery as a removed device, replicated with the forum. A ban by
   * certificate, not by subject, so an unban can certify the key again; a
   * moderator's unban is followed here by a fresh certificate.
   */
  private enforce(r: ObjectRecord): void {
    const path = ACT_TYPES.has(r.type) ? forumPathOf(r.id) : undefined;
    if (path?.what !== 'act') return;
    const forum = r.owner;
    const about = JSON.parse(r.body) as JsonObject;
    if (!isApId(about.object)) return;
    const did = apIdParts(about.object).did;
    // Answered by someone (here or elsewhere): no longer waiting in this node's queue.
    if (path.kind === 'admit' || path.kind === 'reject') this.node.store.forums.takeRequest(forum, did);
    if ((path.kind !== 'ban' && path.kind !== 'unban') || !this.acting.owns(forum)) return;
    const kind = path.kind;
    setImmediate(() => {
      try {
        if (kind === 'ban') this.revokeMember(forum, did);
        else if (r.signer !== forum && !this.node.store.forums.banned(forum, did)) this.acting.certify(forum, did, [FORUM_POST], FORUM.MEMBER_CERT_MS);
      } catch (e) {
        this.acting.log.warn(`forums: carrying out the ${kind} of ${did} in ${forum} failed: ${reasonOf(e)}`);
      }
    });
  }

  private revokeMember(forum: Did, did: Did): number {
    if (!this.node.store.forums.banned(forum, did)) return 0;
    let n = 0;
    for (const c of this.node.store.forums.certificatesUnder(forum, did)) {
      if (this.node.store.forums.revokedByRoot(forum, c.digest)) continue;
      const rev = issueRevocation(this.acting.keys.key(forum), { certificate: c.digest as Digest }, { now: this.acting.now() });
      this.acting.store(rev.doc as JsonObject);
      n++;
    }
    return n;
  }

  /** A join request delivered to this node's person as a moderator: it waits here too, for `forum approve`. */
  private queueForModerator(forum: Did, r: ObjectRecord, doc: JsonObject): void {
    if (r.owner === this.node.did || !recipientsOf(doc).includes(this.node.did)) return;
    try {
      this.acting.ownGrant(forum, FORUM_ADMIT);
    } catch (e) {
      if (!(e instanceof KithError)) throw e;
      return;
    }
    if (this.node.store.forums.addRequest(forum, r.owner, r.id, this.acting.now())) {
      this.acting.log.info(`forums: ${r.owner} asks to join ${forum}; as its moderator, answer with: forum approve|reject`);
    }
  }

  private answerJoin(forum: Did, did: Did, activity: ApId, doc: JsonObject): void {
    const store = this.node.store.forums;
    if (store.banned(forum, did)) {
      this.acting.log.info(`forums: ${did}, banned from ${forum}, asked to join; left unanswered`);
      return;
    }
    const policy = this.acting.actor(forum).policy;
    const token = typeof doc.kithInvite === 'string' ? doc.kithInvite : undefined;
    if (token !== undefined) {
      const invite = parseInvite(token, forum, this.acting.now());
      if (!store.redeem(invite.nonce, forum, did, this.acting.now())) fail('conflict', 'the invitation was used already or was not issued here');
      this.approve(forum, did);
      return;
    }
    if (policy === 'open' && this.takeOpenJoin()) {
      this.approve(forum, did);
      return;
    }
    if (policy === 'invitation') fail('unauthorized', 'the forum admits by invitation only and the request carries none');
    store.addRequest(forum, did, activity, this.acting.now());
    this.acting.log.info(`forums: ${did} asks to join ${forum}; answer with: forum approve|reject`);
  }

  private takeOpenJoin(): boolean {
    const minute = Math.floor(this.acting.now() / 60_000);
    if (this.openJoins.minute !== minute) this.openJoins = { minute, count: 0 };
    if (this.openJoins.count >= FORUM.OPEN_JOINS_PER_MINUTE) return false;
    this.openJoins.count++;
    return true;
  }

  /**
   * The owner's node renews members' certificates before they run out,
   * while no ban stands: a banned member's last certificate simply expires.
   * Returns how many it renewed.
   */
  renew(): number {
    let renewed = 0;
    const now = this.acting.now();
    for (const { forum, role } of this.node.store.forums.list()) {
      if (role !== 'owner' || !this.acting.owns(forum)) continue;
      for (const did of this.node.store.forums.certified(forum)) {
        if (this.node.store.forums.banned(forum, did)) continue;
        const latest = this.latestPostGrant(forum, did);
        if (latest === undefined || latest > now + FORUM.RENEW_BEFORE_MS) continue;
        try {
          this.acting.certify(forum, did, [FORUM_POST], FORUM.MEMBER_CERT_MS);
          renewed++;
        } catch (e) {
          if (!(e instanceof KithError)) throw e;
          this.acting.log.warn(`forums: renewing ${did}'s membership of ${forum} failed: ${e.message}`);
        }
      }
    }
    return renewed;
  }

  /** When the latest posting chain of a member ends (expired ones count: an expired member is renewed), undefined for a key that never held one or was revoked. */
  private latestPostGrant(forum: Did, did: Did): number | undefined {
    let latest: number | undefined;
    for (const { grant, revocations } of this.node.store.authority.verdictsFor(did, forum, FORUM_POST, 8)) {
      if (grant instanceof KithError || revocations.length > 0) continue;
      if (isJsonObject(grant.links[0]?.doc) && (latest === undefined || grant.expires > latest)) latest = grant.expires;
    }
    return latest;
  }
}
