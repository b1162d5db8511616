import { fail } from '../core/errors.js';
import type { Did } from '../core/types.js';
import type { KithNode } from './kith-node.js';
import { personOf } from './people.js';

/**
 * Blocking a node's root, for the owner: every account that root vouches
 * for (store/account-vouches.ts) is muted in reading (timeline,
 * notifications, threads, search) with no list of accounts kept, and comes
 * back at once on unblocking. The root person themself, self-rooted people
 * and other nodes' accounts are not touched; to stop a person, block them.
 */
export class RootBlocks {
  constructor(private readonly node: KithNode) {}

  block(target: string): { did: Did; added: boolean; accounts: number } {
    const did = personOf(target);
    if (did === this.node.did) fail('conflict', "you cannot block your own node's root");
    const added = this.node.store.blockedRoots.add(did);
    return { did, added, accounts: this.node.store.accountVouches.accountsOf(did).length };
  }

  unblock(target: string): { did: Did; removed: boolean } {
    const did = personOf(target);
    return { did, removed: this.node.store.blockedRoots.remove(did) };
  }

  list(): { did: Did; since: number; accounts: number }[] {
    return this.node.store.blockedRoots.list().map((b) => ({ ...b, accounts: this.node.store.accountVouches.accountsOf(b.did).length }));
  }
}
