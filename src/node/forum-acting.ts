import { KithError, fail } from '../core/errors.js';
import { actorId, apIdParts, outboxId } from '../core/apid.js';
import { parseDid } from '../core/didkey.js';
import { signDocument } from '../core/proof.js';
import { issueCertificate, type Certificate } from '../core/certificate.js';
import { forumActorView, FORUM_POST, type ForumActorView } from '../core/forum.js';
import { reasonOf, type Logger } from '../core/log.js';
import { FORUM } from '../core/forum-constants.js';
import { parseBody } from '../store/objects.js';
import type { Ingested } from '../store/ingest.js';
import type { ApId, Did, JsonObject } from '../core/types.js';
import type { KithNode } from './kith-node.js';
import type { NetworkLink } from './network-link.js';
import type { ForumKeys } from './forum-keys.js';

/**
 * What every forum operation shares: naming a forum, signing as whoever
 * this node may act as in it (the forum root when it holds the key, else its
 * person's key under a chain from the root), storing and pushing live.
 */
export class ForumActing {
  constructor(
    readonly node: KithNode,
    readonly link: NetworkLink,
    readonly keys: ForumKeys,
    readonly log: Logger,
    readonly now: () => number,
  ) {}

  /** A forum named by its did:key or its Group's ap:// id. */
  forumOf(name: string): Did {
    const t = typeof name === 'string' ? name.trim() : '';
    if (t.startsWith('did:')) return parseDid(t);
    if (t.startsWith('ap://')) return apIdParts(t).did;
    return fail('malformed', `name a forum by its did:key or its ap:// id (as \`forum create\` printed), not "${t.slice(0, 60)}"`);
  }

  /** The forum's Group actor as stored here; refuses a forum this node has not seen yet. */
  actor(forum: Did): ForumActorView {
    const stored = this.node.store.objects.byId(actorId(forum));
    const view = stored === undefined ? undefined : forumActorView(parseBody(stored));
    if (view === undefined)
      fail('not-found', `${forum} is no forum this node knows yet; join or host it first (with --via the address of a node that keeps it)`);
    return view;
  }

  /** Does this node hold the forum's root key (its person owns the forum)? */
  owns(forum: Did): boolean {
    return this.keys.has(forum);
  }

  /** Signs a forum object as the root when this node holds it, else with its person's key (ingest then checks the chain). */
  sign(forum: Did, doc: JsonObject): JsonObject {
    return this.owns(forum) ? signDocument(doc, this.keys.key(forum)) : this.node.sign(doc);
  }

  /** Stores a signed forum object (every check of ingest applies, here too) and pushes it to the forum's topic. */
  store(doc: JsonObject): Ingested {
    const r = this.node.ingest(doc);
    this.pushLater(r);
    return r;
  }

  pushLater(r: Ingested): void {
    if (r.status !== 'stored') return;
    this.link.push(r.digest).catch((e: unknown) => this.log.warn(`forums: pushing ${r.id} failed; peers get it at the next sync: ${reasonOf(e)}`));
  }

  /**
   * This node's person's own chain for `capability` in the forum, as a
   * parent for what it passes on: the last link of a chain that holds now.
   * Refuses (unauthorized) when it holds none.
   */
  ownGrant(forum: Did, capability: string): Certificate {
    for (const { grant, revocations } of this.node.store.authority.verdictsFor(this.node.did, forum, capability, 8)) {
      if (grant instanceof KithError || grant.links.length === 0) continue;
      const now = this.now();
      if (grant.notBefore > now || grant.expires <= now || revocations.length > 0) continue;
      return grant.links[grant.links.length - 1]!;
    }
    return fail('unauthorized', `${this.node.did} holds no certificate from ${forum} for "${capability}" that is valid now`);
  }

  /**
   * A certificate for `subject` over the forum: from the root when this node
   * holds it, else passed on under this person's own grant (a moderator
   * admitting a member). Stored and pushed.
   */
  certify(forum: Did, subject: Did, capability: readonly string[], lifetimeMs: number): Certificate {
    const resource = actorId(forum);
    const now = this.now();
    let cert: Certificate;
    if (this.owns(forum)) {
      cert = issueCertificate(this.keys.key(forum), { subject, capability, resource, expires: now + lifetimeMs }, { now });
      this.store(cert.doc as JsonObject);
    } else {
      const parent = this.ownGrant(forum, FORUM_POST);
      cert = this.node.certifyUnder({ subject, capability, resource, expires: Math.min(now + lifetimeMs, parent.expires), parent });
      this.pushLater({ status: 'stored', digest: cert.digest, id: cert.id, type: 'KithCertificate', owner: cert.issuer, created: cert.notBefore });
    }
    return cert;
  }

  /** Keeps and serves the forum's scope (a follow of the forum's key), syncing it from `via` or from whoever keeps it. */
  async keep(forum: Did, via: string | undefined): Promise<number> {
    const network = this.link.current;
    if (network === undefined) {
      this.node.follow(forum, via ?? null);
      return 0;
    }
    const r = await network.follow(forum, { via });
    return r.synced.filter((s) => s.ok).length;
  }

  /** Moderators as the log says: added and not removed since, as far as this node knows; this node's person left out. */
  moderators(forum: Did): Did[] {
    const now = new Set<Did>();
    for (const a of this.node.store.forums.acts(forum, FORUM.MAX_LISTED)) {
      if (a.kind === 'moderator-add') now.add(a.about as Did);
      if (a.kind === 'moderator-remove') now.delete(a.about as Did);
    }
    now.delete(this.node.did);
    return [...now];
  }

  scopeOf(forum: Did): string {
    return outboxId(forum);
  }

  idOf(forum: Did): ApId {
    return actorId(forum);
  }
}
