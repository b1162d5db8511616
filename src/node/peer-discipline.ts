import type { PeerId } from '@libp2p/interface';
import { KithError } from '../core/errors.js';
import { reasonOf, type Logger } from '../core/log.js';
import { MAX_RATE_COUNTED_PEERS, SYNC_RATE_WINDOW_MS } from '../core/constants.js';
import type { KithHost } from '../net/host.js';
import { disconnectPeer } from '../net/peers.js';
import type { PeerTable } from '../store/follows.js';

/**
 * What a peer's conduct costs it: sync requests counted against the rate an
 * operator allows, protocol violations punished with a ban and a hang-up,
 * and each ban put on record in the store. Lost connections and timeouts
 * cost nothing: they happen to honest peers.
 */
export class PeerDiscipline {
  private readonly syncCounts = new Map<string, { window: number; count: number }>();

  constructor(
    private readonly host: KithHost,
    private readonly peers: PeerTable,
    private readonly log: Logger,
    private readonly maxSyncsPerMinute: number,
  ) {}

  /** Counts a sync request; a peer past the rate is punished for flooding, and false says not to serve it. */
  admitSync(peer: PeerId): boolean {
    const key = peer.toString();
    const window = Math.floor(Date.now() / SYNC_RATE_WINDOW_MS);
    const c = this.syncCounts.get(key);
    if (c === undefined && this.syncCounts.size >= MAX_RATE_COUNTED_PEERS) {
      // Forget peers not heard from this window, so a swarm of fresh peer ids cannot grow this without bound.
      for (const [k, v] of this.syncCounts) if (v.window !== window) this.syncCounts.delete(k);
    }
    const count = c && c.window === window ? c.count + 1 : 1;
    this.syncCounts.set(key, { window, count });
    if (count <= this.maxSyncsPerMinute) return true;
    this.punish(peer, `flooding: more than ${this.maxSyncsPerMinute} sync requests a minute`);
    return false;
  }

  /** A protocol violation costs the peer its connection and a penalty; a lost connection costs nothing. */
  blame(peer: PeerId, e: unknown, reset?: () => void): void {
    // A stream we give up on is dropped either way: left open, a peer that stalled it would keep
    // its buffers (and its slot among the streams libp2p allows) for as long as the connection lasts.
    reset?.();
    // A full disk is ours, not the peer's doing.
    if (e instanceof KithError && e.code !== 'io' && e.code !== 'timeout' && e.code !== 'internal' && e.code !== 'storage-full') {
      this.punish(peer, e.message);
    } else if (e instanceof KithError && e.code === 'internal') {
      this.log.error(`sync with ${peer.toString()} stopped by a fault of ours: ${e.message}`);
    } else {
      this.log.info(`sync with ${peer.toString()} stopped: ${reasonOf(e)}`);
    }
  }

  /**
   * Bans a peer, hangs up on it and records why. Once per offence: streams it
   * opened before the hang-up landed still fail (or exceed the rate) after
   * the ban, and must not count as repeat offences, each doubling the ban.
   */
  punish(peer: PeerId, reason: string): void {
    if (this.host.services.penalties.isDenied(peer)) {
      for (const conn of this.host.getConnections(peer)) conn.abort(new Error(`misbehaving peer: ${reason}`));
      return;
    }
    const penalty = disconnectPeer(this.host, peer, reason, { log: this.log });
    this.peers.penalise(peer.toString(), reason, penalty.until);
  }
}
