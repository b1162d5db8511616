import { statSync } from 'node:fs';
import { STATUS_RECENT_SYNCS } from '../core/constants.js';
import type { ApId, Did } from '../core/types.js';
import type { BlockUsage } from '../store/blocks.js';
import type { KithNode } from './kith-node.js';
import type { NetworkLink } from './network-link.js';

/** What the node is, where it listens, what it keeps and how syncing goes: for `kith status` and the web app's settings. */

export interface Storage {
  readonly objects: number;
  /** The database file and its write-ahead log. */
  readonly databaseBytes: number;
  readonly blocks: BlockUsage;
}

export interface ScopeSyncing {
  readonly scope: string;
  readonly peer: string;
  readonly phase: 'reconciling' | 'fetching';
  readonly received: number;
  readonly needed: number;
}

export interface ServiceStatus {
  readonly did: Did;
  readonly actor: ApId;
  /** Null until the network is up. */
  readonly peerId: string | null;
  readonly addresses: string[];
  readonly connections: number;
  readonly objects: number;
  readonly scopes: { scope: string; objects: number }[];
  readonly syncing: ScopeSyncing[];
  readonly lastSyncs: { scope: string; peerId: string; lastOk: number; received: number; bytes: number }[];
  readonly blocks: BlockUsage;
  readonly storage: Storage;
  /** Input this node refused, counted by code since it was made: what is being thrown at it. */
  readonly refused: { code: string; count: number; lastReason: string; lastAt: number }[];
}

export interface PeerConnection {
  readonly peerId: string;
  readonly addresses: string[];
  readonly direction: string;
  readonly streams: number;
}

export class NodeReport {
  constructor(
    private readonly node: KithNode,
    private readonly link: NetworkLink,
  ) {}

  storage(): Storage {
    let databaseBytes = 0;
    for (const suffix of ['', '-wal']) databaseBytes += statSync(this.node.home.database + suffix, { throwIfNoEntry: false })?.size ?? 0;
    return { objects: this.node.store.objects.count(), databaseBytes, blocks: this.node.store.blocks.usage() };
  }

  status(): ServiceStatus {
    const network = this.link.current;
    const storage = this.storage();
    return {
      did: this.node.did,
      actor: this.node.actorId,
      peerId: network?.peerId ?? null,
      addresses: network?.addresses() ?? [],
      connections: network?.peers().length ?? 0,
      objects: storage.objects,
      scopes: this.node.scopes().map((scope) => ({ scope, objects: this.node.store.objects.count(scope) })),
      syncing: network ? network.status().syncing.map(({ scope, peer, phase, received, needed }) => ({ scope, peer, phase, received, needed })) : [],
      lastSyncs: this.node.store.peers.syncState().slice(0, STATUS_RECENT_SYNCS),
      blocks: storage.blocks,
      storage,
      refused: this.node.store.refusals.list(),
    };
  }

  /** Connections to other nodes, one per connection; none while the network is not up. */
  peers(): PeerConnection[] {
    return this.link.current?.peers() ?? [];
  }
}
