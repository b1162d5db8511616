import { KithError, fail } from '../core/errors.js';
import { reasonOf, type Logger } from '../core/log.js';
import { actorId, apIdKey, apIdParts, isApId } from '../core/apid.js';
import { newObjectId } from '../core/as2.js';
import { buildFollow, buildFollowAnswer, buildUndoFollow } from '../core/activities.js';
import type { ObjectRecord } from '../core/examine.js';
import type { ApId, Did, JsonObject } from '../core/types.js';
import type { Ingested } from '../store/ingest.js';
import type { Follower } from '../store/followers.js';
import type { Inbox } from './inbox.js';
import type { KithNode } from './kith-node.js';
import type { NetworkLink } from './network-link.js';
import { loadPreferences } from './preferences.js';
import { personOf } from './people.js';
import { checkFollowAnswer, isFollowAnswerType, objectRef, type FollowAnswerType } from './follow-answers.js';

/**
 * Follows both sides know. Following someone signs a Follow into the
 * owner's outbox and delivers it to them; their node records the owner as a
 * follower (accepted at once, or pending while their account is locked)
 * and answers with an Accept or a Reject, which moves the owner's follow
 * along (a Reject ends it). Taking a follow back is an Undo of the Follow.
 * Every step is a signed activity delivered through the inbox, so it
 * reaches a node that is offline later, through peers that hold it.
 */

/** What the owner's answer to a follower did. */
export interface FollowerAnswered {
  readonly did: Did;
  /** The Follow answered. */
  readonly followId: ApId;
  readonly state: Follower['state'];
  /** The Accept or Reject signed. */
  readonly activity: ApId;
  /** Peers it was pushed to live; 0 when the network is not up. */
  readonly pushedTo: number;
}

/** Activity types this part reacts to, checked before any body is parsed: a sync batch is mostly posts. */
const FOLLOW_TYPES = new Set(['Follow', 'Accept', 'Reject', 'Undo']);

export class FollowRequests {
  constructor(
    private readonly node: KithNode,
    private readonly link: NetworkLink,
    private readonly inbox: Inbox,
    private readonly log: Logger,
  ) {}

  // ---- The owner as follower -------------------------------------------------

  /**
   * Tells a person followed that the owner follows them: signs a Follow and
   * delivers it, unless one is standing (asked or accepted). The follow must
   * already be stored (People.follow keeps their scope first).
   */
  request(did: Did): ApId | undefined {
    const follow = this.node.store.follows.get(did);
    if (follow === undefined) return undefined;
    if (follow.followId !== null) return follow.followId;
    const r = this.send(
      did,
      () => buildFollow(this.node.did, newObjectId(this.node.did), did),
      (id) => this.node.store.follows.requested(did, id),
    );
    return r.id;
  }

  /**
   * Takes back the owner's Follow of a person (an Undo, delivered to them)
   * and forgets a rejection of it. Call before the follow is removed.
   */
  withdraw(did: Did): void {
    const follow = this.node.store.follows.get(did);
    this.node.store.follows.forgetRejection(did);
    if (follow?.followId == null) return;
    const followId = follow.followId;
    this.send(did, () => buildUndoFollow(this.node.did, newObjectId(this.node.did), followId, did));
  }

  // ---- The owner as followee -------------------------------------------------

  /** Accepted followers, longest first. */
  followers(): Follower[] {
    return this.node.store.followers.list('accepted');
  }

  /** Requests waiting for the owner (a locked account), oldest first. */
  pending(): Follower[] {
    return this.node.store.followers.list('pending');
  }

  /** Accepts a pending request. */
  async approve(target: string): Promise<FollowerAnswered> {
    const row = this.follower(target);
    if (row.state !== 'pending') fail('conflict', `${row.did} ${row.state === 'accepted' ? 'already follows you' : 'was rejected; they can ask again'}`);
    return this.answer(row, 'Accept');
  }

  /** Rejects a pending request (or removes a follower: the same answer). */
  async reject(target: string): Promise<FollowerAnswered> {
    const row = this.follower(target);
    if (row.state === 'rejected') fail('conflict', `${row.did}'s request was rejected already`);
    return this.answer(row, 'Reject');
  }

  /** Ends an accepted follower's follow: a Reject of their Follow, so their node stops following. */
  async remove(target: string): Promise<FollowerAnswered> {
    const row = this.follower(target);
    if (row.state !== 'accepted') fail('not-found', `${row.did} does not follow you${row.state === 'pending' ? ' yet (reject their request instead)' : ''}`);
    return this.answer(row, 'Reject');
  }

  /** Forgets a person's follow of the owner without telling them: they were blocked, and nothing more goes to them. */
  forget(did: Did): void {
    const row = this.node.store.followers.get(did);
    if (row !== undefined) this.node.store.followers.setState(did, row.followId, 'rejected');
  }

  private follower(target: string): Follower {
    const did = personOf(target);
    const row = this.node.store.followers.get(did);
    if (row === undefined) return fail('not-found', `${did} has not asked to follow you`);
    return row;
  }

  private async answer(row: Follower, type: FollowAnswerType): Promise<FollowerAnswered> {
    const state = type === 'Accept' ? 'accepted' : 'rejected';
    const r = this.node.ingest(this.node.sign(buildFollowAnswer(this.node.did, newObjectId(this.node.did), type, row.followId, row.did)));
    this.node.store.followers.setState(row.did, row.followId, state);
    this.inbox.deliverLater(r.digest, [row.did]);
    return { did: row.did, followId: row.followId, state, activity: r.id, pushedTo: await this.link.push(r.digest) };
  }

  // ---- What arrives ----------------------------------------------------------

  /**
   * Applies Follows, answers and Undos just stored, whichever way they came
   * (the inbox, a sync of a scope kept here). Someone else's business (an
   * Accept between two other people in a scope this node keeps) is passed
   * over; an answer that concerns the owner but breaks the rule is logged
   * and changes nothing (the inbox refuses those before they are stored).
   */
  stored(records: readonly ObjectRecord[]): void {
    for (const r of records) {
      if (!FOLLOW_TYPES.has(r.type) || (r.owner === this.node.did && this.selfSigning)) continue;
      try {
        if (r.owner === this.node.did) this.signedOnDevice(r, JSON.parse(r.body) as JsonObject);
        else this.apply(r, JSON.parse(r.body) as JsonObject);
      } catch (e) {
        if (e instanceof KithError) this.log.warn(`follows: ${r.type} ${r.id} by ${r.owner} changes nothing here: ${e.message}`);
        else this.log.error(`follows: applying ${r.type} ${r.id} failed: ${reasonOf(e)}`);
      }
    }
  }

  /** True while this class signs a Follow or its Undo, which it records itself. */
  private selfSigning = false;

  private signing<T>(fn: () => T): T {
    this.selfSigning = true;
    try {
      return fn();
    } finally {
      this.selfSigning = false;
    }
  }

  /**
   * The owner's own Follow or Undo of one, signed on a paired device (FEP-ae97)
   * and taken in through the outbox, which delivers it: the follow starts (or
   * ends) here as if `kith follow` (or unfollow) had made it, so the
   * followee's answer finds the Follow it names.
   */
  private signedOnDevice(r: ObjectRecord, doc: JsonObject): void {
    const named = objectRef(doc);
    if (!isApId(named)) return;
    const { key, did, path } = apIdParts(named);
    if (r.type === 'Follow' && path === '/actor' && did !== this.node.did) {
      // Taken back already (an Undo may arrive before what it undoes), or recorded: nothing to start.
      if (this.node.store.follows.get(did)?.followId === r.id || this.node.store.interactions.isUndone(r.id)) return;
      const network = this.link.current;
      if (network) network.follow(did).catch((e: unknown) => this.log.warn(`follows: syncing ${did}, followed from a device, failed: ${reasonOf(e)}`));
      else this.node.follow(did);
      this.node.store.follows.requested(did, r.id);
    } else if (r.type === 'Undo') {
      const follow = this.node.store.follows.byFollowId(key);
      if (follow === undefined) return;
      const network = this.link.current;
      if (network) network.unfollow(follow.did);
      else this.node.unfollow(follow.did);
    }
  }

  private apply(r: ObjectRecord, doc: JsonObject): void {
    const named = objectRef(doc);
    if (!isApId(named)) return;
    const { key: target, did: targetOwner } = apIdParts(named);
    if (r.type === 'Follow') {
      if (target === actorId(this.node.did)) this.followed(r.owner, r.id);
    } else if (r.type === 'Undo') {
      const row = this.node.store.followers.byFollowId(target);
      // Only the follower can take their Follow back (ingest checked the Undo names its author's own object).
      if (row !== undefined && row.did === r.owner) this.node.store.followers.remove(row.did, row.followId);
    } else if (isFollowAnswerType(r.type) && targetOwner === this.node.did) {
      this.answered(checkFollowAnswer(this.node.store, this.node.did, doc));
    }
  }

  /** A person's Follow of the owner: accepted at once unless the account is locked. */
  private followed(did: Did, followId: ApId): void {
    const known = this.node.store.followers.get(did);
    if (known?.followId === followId) return;
    // A sync may bring a Follow together with its Undo, in either order: one taken back asks nothing.
    if (this.node.store.interactions.isUndone(followId)) return;
    this.node.store.followers.put(did, followId, 'pending');
    if (loadPreferences(this.node.store.settings).locked) return;
    this.answer({ did, followId, state: 'pending', since: Date.now() }, 'Accept').catch((e: unknown) =>
      this.log.warn(`follows: accepting ${did}'s follow failed: ${reasonOf(e)}`),
    );
  }

  private answered(a: { type: FollowAnswerType; followId: ApId; followee: Did }): void {
    const follow = this.node.store.follows.get(a.followee);
    // Only the standing Follow moves: an answer to an older one (taken back since) changes nothing.
    if (follow?.followId == null || apIdKey(follow.followId) !== a.followId) return;
    if (a.type === 'Accept') {
      this.node.store.follows.accepted(a.followee, a.followId);
      return;
    }
    // Rejected (or removed by them): stop keeping their scope, as an unfollow does, and remember why.
    const network = this.link.current;
    if (network) network.unfollow(a.followee);
    this.node.store.transaction(() => this.node.store.follows.rejected(a.followee, a.followId));
    this.log.info(`follows: ${a.followee} rejected your follow; their posts are no longer kept here`);
  }

  /**
   * Signs and stores an activity of the owner's for `to`, records it, and queues its delivery, all in one
   * transaction: a node stopped between them would keep a Follow it never sends (nothing sends it later).
   */
  private send(to: Did, build: () => JsonObject, record?: (id: ApId) => void): Ingested {
    const [r, rows] = this.node.store.transaction(() => {
      const r = this.signing(() => this.node.ingest(this.node.sign(build())));
      record?.(r.id);
      return [r, this.inbox.queued(r.digest, [to])] as const;
    });
    this.inbox.start(rows);
    this.link.push(r.digest).catch((e: unknown) => this.log.warn(`follows: pushing ${r.digest} failed: ${reasonOf(e)}`));
    return r;
  }
}
