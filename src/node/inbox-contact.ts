import type { PeerId } from '@libp2p/interface';
import { reasonOf, type Logger } from '../core/log.js';
import { INBOX } from '../core/constants.js';
import type { Did } from '../core/types.js';
import type { KithHost } from '../net/host.js';
import type { KithNode } from './kith-node.js';
import type { Discovery } from './discovery.js';
import type { InboxProtocol } from './inbox-protocol.js';
import type { DeliveryQueue } from './inbox-outgoing.js';
import { short } from './network-log.js';

/**
 * What meeting a Kith node means for the inbox: what waits to go to its
 * owner goes now; it is asked for anything it holds for this node's owner
 * (pull), and offered what this node holds for its owner, which it must
 * prove is theirs (push). A peer identifies again whenever its addresses
 * change, so the asking and offering happen at most once a minute per peer.
 */
export class InboxContact {
  /** When each peer was last asked and offered. */
  private readonly last = new Map<string, number>();

  constructor(
    private readonly node: KithNode,
    private readonly host: KithHost,
    private readonly log: Logger,
    private readonly discovery: Discovery,
    private readonly inbox: InboxProtocol,
    private readonly deliveries: DeliveryQueue,
  ) {}

  /** A Kith node identified itself. Logged, never thrown. */
  async met(peer: PeerId): Promise<void> {
    if (this.host.status !== 'started' || this.host.getConnections(peer).length === 0) return;
    try {
      await this.meet(peer);
    } catch (e) {
      this.log.warn(`inbox: meeting ${short(peer.toString())} failed: ${reasonOf(e)}`);
    }
  }

  private async meet(peer: PeerId): Promise<void> {
    const who = short(peer.toString());
    let did = (this.node.store.peers.get(peer.toString())?.did ?? undefined) as Did | undefined;
    if (did !== undefined) this.deliveries.wake(did);
    if (!this.due(peer.toString())) return;
    const pull = this.inbox.claimFrom(peer).catch((e: unknown) => this.log.info(`inbox: asking ${who} for held deliveries failed: ${reasonOf(e)}`));
    try {
      // Only a node holding something asks whose a peer is: it costs the peer a stream.
      if (did === undefined && this.node.store.held.count() > 0) {
        const conn = this.host.getConnections(peer)[0];
        if (conn !== undefined) {
          did = await this.discovery.whoseNode(conn);
          this.deliveries.wake(did);
        }
      }
      if (did !== undefined && this.node.store.held.countFor(did) > 0) await this.inbox.offerTo(peer, did);
    } catch (e) {
      this.log.info(`inbox: offering ${who} what is held for its owner failed: ${reasonOf(e)}`);
    }
    await pull;
  }

  private due(key: string): boolean {
    const now = Date.now();
    if (now - (this.last.get(key) ?? 0) < INBOX.RECONTACT_MIN_MS) return false;
    if (this.last.size >= INBOX.MAX_COUNTED) {
      for (const [k, at] of this.last) if (now - at >= INBOX.RECONTACT_MIN_MS) this.last.delete(k);
    }
    this.last.set(key, now);
    return true;
  }
}
