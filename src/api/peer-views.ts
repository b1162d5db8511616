import { actorId } from '../core/apid.js';
import { isDid } from '../core/didkey.js';
import { isJsonObject, type Did } from '../core/types.js';
import { parseBody } from '../store/objects.js';
import type { KithNode } from '../node/kith-node.js';
import type { PersonView, Views } from './owner-views.js';

/**
 * Connected peers as the owner sees them: one row per node however many
 * connections it has (two nodes that dialled each other hold two), named by
 * the person whose node it is when this node can tell.
 */

/** One open connection, as the network lists it. */
export interface ConnectionInfo {
  readonly peerId: string;
  readonly addresses: readonly string[];
  readonly direction: string;
  readonly streams: number;
}

export interface PeerView {
  readonly peerId: string;
  /** The person whose node this is, when known; null for a relay or a stranger's node. */
  readonly person: PersonView | null;
  readonly connections: number;
  /** 'inbound', 'outbound', or 'both' when connections run each way. */
  readonly direction: string;
  readonly addresses: string[];
  readonly streams: number;
}

/** The peer id a multiaddr ends with; through a relay that is the last /p2p/ part, the node reached. */
export function peerIdOfAddress(addr: string): string | undefined {
  const ids = [...addr.matchAll(/\/p2p\/([1-9A-HJ-NP-Za-km-z]+)/g)];
  return ids.at(-1)?.[1];
}

/**
 * Whose node each known peer id is. The peers table says so when the network
 * learned it; a followed person's signed actor document lists their home
 * node's addresses (`endpoints.kithPeers`); the address the owner followed
 * them by was checked against that node's actor document when it was dialled.
 */
export function peerOwners(node: KithNode): Map<string, Did> {
  const owners = new Map<string, Did>();
  for (const f of node.following()) {
    const stored = node.store.objects.byId(actorId(f.did));
    const endpoints = stored ? parseBody(stored).endpoints : undefined;
    const listed = isJsonObject(endpoints) && Array.isArray(endpoints.kithPeers) ? endpoints.kithPeers : [];
    for (const a of [...listed, f.hint]) {
      const id = typeof a === 'string' ? peerIdOfAddress(a) : undefined;
      if (id && !owners.has(id)) owners.set(id, f.did);
    }
  }
  return owners;
}

export function peerViews(node: KithNode, views: Views, connections: readonly ConnectionInfo[]): PeerView[] {
  const byPeer = new Map<string, ConnectionInfo[]>();
  for (const c of connections) byPeer.set(c.peerId, [...(byPeer.get(c.peerId) ?? []), c]);
  const owners = byPeer.size > 0 ? peerOwners(node) : new Map<string, Did>();
  const out: PeerView[] = [];
  for (const [peerId, conns] of byPeer) {
    const known = node.store.peers.get(peerId)?.did;
    const did = isDid(known) ? known : owners.get(peerId);
    const directions = new Set(conns.map((c) => c.direction));
    out.push({
      peerId,
      person: did ? views.person(did) : null,
      connections: conns.length,
      direction: directions.size > 1 ? 'both' : conns[0]!.direction,
      addresses: [...new Set(conns.flatMap((c) => c.addresses))],
      streams: conns.reduce((n, c) => n + c.streams, 0),
    });
  }
  // People first, by name; unknown nodes after them.
  const label = (p: PeerView): string => (p.person ? `0${p.person.name ?? p.person.did}` : `1${p.peerId}`);
  return out.sort((a, b) => label(a).localeCompare(label(b)));
}
