import type { PeerId } from '@libp2p/interface';
import { KithError, isPeerFault } from '../core/errors.js';
import { reasonOf, type Logger } from '../core/log.js';
import { outboxId } from '../core/apid.js';
import { provenanceOf } from '../core/examine.js';
import type { Limits } from '../core/limits.js';
import type { ApId, Did } from '../core/types.js';
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

export interface RefusalContext {
  readonly limits: Limits;
  /** Whether a key other than the owner's may sign for it, by the store's certificate chains (`n`: as if stored at that row). */
  readonly stillValid: (o: { owner: Did; signer: Did; id: ApId; created: number; n: number }) => boolean;
  /** The scope the sender was asked for: an object of another is the sender's doing, however well signed. */
  readonly scope?: string;
}

/**
 * Who answers for an object a peer handed us that ingest refused:
 * - `sender`: the peer itself broke or bloated it, forged its proof, or sent
 *   it where it does not belong; it is punished.
 * - `author`: the author's own signature (or a key the author certified)
 *   holds, so whatever is wrong with it was written by the author; a relay
 *   that passed it on (a node of an older version may have taken it in)
 *   did nothing wrong. Logged, counted among the refusals, never punished.
 * - `nobody`: refused for what a peer may hold in good faith (revoked,
 *   expired, a certificate we lack yet).
 */
export function whoAnswersFor(
  refusal: KithError,
  body: string | Uint8Array,
  ctx: RefusalContext,
): { who: 'sender' | 'nobody' } | { who: 'author'; owner: Did } {
  if (!isPeerFault(refusal)) return { who: 'nobody' };
  // Our limits are the sender's to respect before it sends anything.
  if (refusal.code === 'too-large') return { who: 'sender' };
  const p = provenanceOf(body, ctx.limits);
  if (p === undefined) return { who: 'sender' };
  if (ctx.scope !== undefined && outboxId(p.owner) !== ctx.scope) return { who: 'sender' };
  // Judged as if the relay had stored it before any revocation arrived (row 0): it may have, in good faith, so only
  // a revocation's cut-off counts against the author's key here; a new arrival is refused as revoked, not blamed.
  if (p.signer === p.owner || ctx.stillValid({ owner: p.owner, signer: p.signer, id: p.id, created: p.created ?? Date.now(), n: 0 })) {
    return { who: 'author', owner: p.owner };
  }
  return { who: 'sender' };
}
