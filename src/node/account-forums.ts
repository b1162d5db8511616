import { KithError, fail } from '../core/errors.js';
import { FORUM_POST } from '../core/forum.js';
import { buildForumPapers } from '../core/forum-papers.js';
import { canonicalize } from '../core/jcs.js';
import { reasonOf } from '../core/log.js';
import { isJsonObject, type ApId, type Did, type JsonObject } from '../core/types.js';
import { actorId } from '../core/apid.js';
import type { HostedAccount } from '../store/hosted-accounts.js';
import type { HostedAccounts } from './accounts.js';
import type { ForumActing } from './forum-acting.js';
import type { ForumPostView, Forums } from './forums.js';
import { chainBodies } from './inbox-carried.js';

/**
 * A hosted account in forums, through its node (issue 13): it joins, posts
 * and reads as its owner's devices do, but as the account. Its key P is the
 * member; this node signs for it with its delegate key K_P, under P's
 * publish certificate. Before its first post under a publish certificate,
 * and again when P revokes or renews one, this node's root puts P's papers
 * in the forum (core/forum-papers.ts): so every node that keeps the forum,
 * followed P or not, can check K_P's posts and sees the revocation.
 */

export interface AccountForumView {
  readonly forum: Did;
  readonly id: ApId;
  readonly name: string;
  readonly owner: Did;
  readonly policy: string;
  /** The account holds a membership certificate valid now (and is not banned). */
  readonly member: boolean;
}

export class AccountForums {
  constructor(
    private readonly accounts: HostedAccounts,
    private readonly forums: Forums,
    private readonly acting: ForumActing,
  ) {
    accounts.onPublishChanged = (a) => this.carryAll(a);
  }

  private get node() {
    return this.acting.node;
  }

  /** The forums this node keeps, and whether the account is a member of each. */
  list(a: HostedAccount): AccountForumView[] {
    const out: AccountForumView[] = [];
    for (const { forum } of this.node.store.forums.list()) {
      try {
        const v = this.acting.actor(forum);
        out.push({ forum, id: actorId(forum), name: v.name, owner: v.owner, policy: v.policy, member: this.isMember(forum, a.did) });
      } catch (e) {
        if (!(e instanceof KithError)) throw e;
      }
    }
    return out;
  }

  /** Asks to join as the account: the Join is the account's, signed by this node's key for it, and carries its certificate to the forum's node. */
  async join(a: HostedAccount, name: string, opts: { via?: string; token?: string } = {}): Promise<{ forum: Did; status: 'member' | 'requested' }> {
    const forum = await this.forums.prepareJoin(name, opts);
    if (this.node.store.forums.role(forum) === undefined) this.node.store.forums.setRole(forum, 'host', this.acting.now());
    if (this.isMember(forum, a.did)) return { forum, status: 'member' };
    await this.forums.requestToJoin(forum, a.did, opts.token, (doc) => this.accounts.signFor(a, doc));
    return { forum, status: this.isMember(forum, a.did) ? 'member' : 'requested' };
  }

  /** Posts (or replies) as the account, signed by this node's key for it; its papers go first when the forum lacks them. */
  async post(a: HostedAccount, name: string, text: string, inReplyTo?: string): Promise<{ id: ApId; forum: Did }> {
    const { forum, doc } = this.forums.draft(name, a.did, text, inReplyTo);
    if (!this.isMember(forum, a.did)) fail('unauthorized', `${a.name} is no member of ${forum} (yet); join it first and wait for an answer`);
    this.carry(a, forum);
    const r = this.node.ingest(this.accounts.signFor(a, doc));
    this.acting.pushLater(r);
    return { id: r.id, forum };
  }

  /** The forum's posts as every reader sees them. */
  read(name: string, limit?: number): ForumPostView[] {
    return this.forums.read(name, limit);
  }

  /** Does the account hold a chain from the forum's root to post, valid now, and no ban? */
  isMember(forum: Did, account: Did): boolean {
    const now = this.acting.now();
    const holds = this.node.store.authority
      .verdictsFor(account, forum, FORUM_POST, 8)
      .some(({ grant, revocations }) => !(grant instanceof KithError) && grant.notBefore <= now && grant.expires > now && revocations.length === 0);
    return holds && !this.node.store.forums.banned(forum, account);
  }

  /** After P renewed or revoked its publish certificate: new papers in every forum it is a member of. */
  private async carryAll(a: HostedAccount): Promise<void> {
    for (const { forum } of this.node.store.forums.list()) {
      if (!this.isMember(forum, a.did)) continue;
      try {
        this.carry(a, forum);
      } catch (e) {
        if (!(e instanceof KithError)) throw e;
        this.acting.log.warn(`forums: the papers of ${a.name} did not go into ${forum}: ${reasonOf(e)}`);
      }
    }
  }

  /** Puts the account's papers in the forum unless the newest there carry the same documents. */
  private carry(a: HostedAccount, forum: Did): void {
    const carried = this.papers(a);
    const same = canonicalize(carried);
    const held = this.node.store.forums.papersBy(forum, this.node.did).map((b) => JSON.parse(b) as JsonObject);
    const newest = held.find((p) => p.object === actorId(a.did));
    if (newest !== undefined && canonicalize(newest.kithCarried as JsonObject[]) === same) return;
    const doc = buildForumPapers(forum, a.did, a.delegate, carried, this.acting.now());
    this.acting.store(this.node.sign(doc));
  }

  /** P's publish certificate for this node's key (the newest), the revocations held of it, and P's actor (which names the root vouching for P). */
  private papers(a: HostedAccount): JsonObject[] {
    const store = this.node.store;
    const bodies = chainBodies(store, a.did, a.delegate);
    if (bodies.length === 0) fail('unauthorized', `this node holds no publish certificate of ${a.name} for its key; the account's device signs one`);
    const actor = store.objects.byId(actorId(a.did));
    if (actor !== undefined) bodies.push(actor.body);
    return bodies.map((b) => JSON.parse(b) as JsonObject).filter(isJsonObject);
  }
}
