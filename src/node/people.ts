import { fail } from '../core/errors.js';
import { didOf, outboxId } from '../core/apid.js';
import { parseDid } from '../core/didkey.js';
import { MAX_FOLLOW_TARGET_CHARS } from '../core/constants.js';
import type { Did } from '../core/types.js';
import type { Follow, FollowState } from '../store/follows.js';
import type { FollowRequests } from './follow-requests.js';
import type { KithNode } from './kith-node.js';
import type { NetworkLink } from './network-link.js';
import type { Network } from './network.js';

/** Whom the owner follows and blocks. */

/** A person named by their did:key or any ap:// id of theirs. */
export function personOf(target: string): Did {
  if (target.startsWith('did:')) return parseDid(target);
  if (/^ap(\+ef61)?:\/\//i.test(target)) return didOf(target);
  return fail('malformed', `a person is named by a did:key or an ap:// id, not "${target.slice(0, 60)}"`);
}

export interface PeerSync {
  readonly peer: string;
  readonly ok: boolean;
  readonly error?: string | undefined;
  /** Objects newly stored from that peer. */
  readonly received: number;
}

export interface Followed {
  readonly did: Did;
  /** False when they were followed already. */
  readonly added: boolean;
  /** One entry per peer asked for their posts (none without a network: they arrive when the node runs). */
  readonly synced: PeerSync[];
  /** Objects newly stored, from all peers. */
  readonly received: number;
  /** Objects of theirs held here now: 0 means no node holding their posts was found yet (or none runs). */
  readonly objects: number;
  /** Whether anything of theirs is here: a mistyped DID or a wrong address finds nothing. */
  readonly found: boolean;
}

/** A person followed (or whose rejection of the owner's follow is remembered), with what has arrived of theirs. */
export interface FollowingStatus extends Omit<Follow, 'state'> {
  /** Asked, accepted by them, or rejected by them (the follow ended: their scope is no longer kept). */
  readonly state: FollowState | 'rejected';
  readonly objects: number;
  readonly found: boolean;
  /** When a sync last succeeded with any peer for them (epoch ms), or null. */
  readonly lastSync: number | null;
  /** Peers their posts were synced with. */
  readonly syncedWith: number;
}

export class People {
  constructor(
    private readonly node: KithNode,
    private readonly link: NetworkLink,
    /** Tells followees of follows and unfollows (absent where nothing is delivered, as in tests of the rules). */
    private readonly requests?: FollowRequests,
  ) {}

  /**
   * Follows a person named by did:key, ap:// id, or the multiaddr of their
   * node, and (with the network up) fetches what they posted.
   */
  async follow(target: string): Promise<Followed> {
    const t = target.trim();
    if (t.length === 0 || target.length > MAX_FOLLOW_TARGET_CHARS) fail('malformed', 'follow a did:key, an ap:// actor id or a peer address');
    if (t.startsWith('/')) return this.followThrough(this.link.need('following a peer address'), t);
    // A DID is checked here, before any peer is asked about it.
    const did = personOf(t);
    const network = this.link.current;
    if (!network) {
      const added = this.node.follow(did);
      this.requests?.request(did);
      return { did, added, synced: [], received: 0, ...this.held(did) };
    }
    return this.followThrough(network, did);
  }

  private async followThrough(network: Network, target: string): Promise<Followed> {
    // Their scope is kept from now on whatever they answer; the Follow asks them to count the owner among their followers.
    // It is signed and queued for delivery before the first sync, so a node stopped during that sync still sends it.
    const r = await network.follow(target, { followed: (did) => this.requests?.request(did) });
    const synced = r.synced.map((s) => ({ peer: s.peer, ok: s.ok, error: s.error, received: s.result?.stored ?? 0 }));
    return { did: r.did, added: r.added, synced, received: synced.reduce((n, s) => n + s.received, 0), ...this.held(r.did) };
  }

  /** What of a person's scope is held here; a sync that answered but knew nothing of them found nobody. */
  private held(did: Did): { objects: number; found: boolean } {
    const objects = this.node.store.objects.count(outboxId(did));
    return { objects, found: objects > 0 };
  }

  /** Stops following a person (telling them, when they were told of the follow); false when they were not followed. */
  unfollow(target: string): { did: Did; removed: boolean } {
    const did = personOf(target);
    const rejected = this.node.store.follows.rejection(did) !== undefined;
    this.requests?.withdraw(did);
    const network = this.link.current;
    return { did, removed: (network ? network.unfollow(did) : this.node.unfollow(did)) || rejected };
  }

  following(): Follow[] {
    return this.node.following();
  }

  /** Everyone followed, with what has arrived of each and when a sync last brought it; then the follows they rejected. */
  followingStatus(): FollowingStatus[] {
    const syncs = this.node.store.peers.syncState();
    const kept: FollowingStatus[] = this.node.following().map((f) => {
      const mine = syncs.filter((s) => s.scope === f.scope);
      const objects = this.node.store.objects.count(f.scope);
      return { ...f, objects, found: objects > 0, lastSync: mine.length === 0 ? null : Math.max(...mine.map((s) => s.lastOk)), syncedWith: mine.length };
    });
    const ended: FollowingStatus[] = this.node.store.follows.rejections().map((r) => ({
      did: r.did,
      scope: outboxId(r.did),
      since: r.rejectedAt,
      hint: null,
      followId: r.followId,
      state: 'rejected',
      stateAt: r.rejectedAt,
      objects: this.node.store.objects.count(outboxId(r.did)),
      found: false,
      lastSync: null,
      syncedWith: 0,
    }));
    return [...kept, ...ended];
  }

  /** Takes in nothing more of theirs and stops following them. */
  block(target: string): Did {
    const did = personOf(target);
    if (did === this.node.did) fail('conflict', 'you cannot block yourself');
    // Unsubscribes from their live posts as well as forgetting the follow.
    this.link.current?.unfollow(did);
    this.node.block(did);
    this.requests?.forget(did);
    return did;
  }

  unblock(target: string): { did: Did; removed: boolean } {
    const did = personOf(target);
    return { did, removed: this.node.unblock(did) };
  }

  blocked(): Did[] {
    return this.node.store.blockedPeople.list().map((b) => b.did);
  }
}
