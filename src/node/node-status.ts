import { STATUS_RECENT_SYNCS } from '../core/constants.js';
import type { Did } from '../core/types.js';
import type { KithHost } from '../net/host.js';
import type { SyncProgress } from '../net/sync.js';
import type { BlockUsage } from '../store/blocks.js';
import type { PeerTable } from '../store/follows.js';
import type { KithNode } from './kith-node.js';
import type { ScopeSyncProgress } from './replication.js';

/** What `kith status` and the owner API report about a running node: plain JSON, the same fields as ever. */
export interface NodeStatus {
  readonly did: Did;
  readonly peerId: string;
  readonly addresses: string[];
  /** Open connections, to any peer. */
  readonly connections: number;
  /** Every scope this node keeps, with how many objects it holds of each. */
  readonly scopes: { readonly scope: string; readonly objects: number }[];
  /** Syncs under way. */
  readonly syncing: ({ readonly scope: string; readonly peer: string } & SyncProgress)[];
  /** The last sync of each scope with each peer, newest first. */
  readonly lastSyncs: ReturnType<PeerTable['syncState']>;
  readonly blocks: BlockUsage;
}

export function nodeStatus(node: KithNode, host: KithHost, underway: readonly ScopeSyncProgress[]): NodeStatus {
  return {
    did: node.did,
    peerId: host.peerId.toString(),
    addresses: host.getMultiaddrs().map((m) => m.toString()),
    connections: host.getConnections().length,
    scopes: node.scopes().map((s) => ({ scope: s, objects: node.store.objects.count(s) })),
    syncing: underway.map(({ scope, phase, received, needed, peer }) => ({ scope, phase, received, needed, peer })),
    lastSyncs: node.store.peers.syncState().slice(0, STATUS_RECENT_SYNCS),
    blocks: node.store.blocks.usage(),
  };
}
