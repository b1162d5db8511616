import type { ConnectionGater, PeerId } from '@libp2p/interface';
import { silentLogger, type Logger } from '../core/log.js';
import { backoffDelay } from '../core/backoff.js';
import { PEER_BASE_BAN_MS, PEER_MAX_BAN_MS, PEER_MAX_TRACKED, PEER_REDIAL_MAX_MS, PEER_REDIAL_MIN_MS, PEER_STRIKE_HALF_LIFE_MS } from '../core/constants.js';
import type { KithHost } from './host.js';

/**
 * What a peer's misbehaviour costs it. Two grades:
 * - a ban (`penalize`): for a protocol violation (an oversized frame, a forged
 *   object, a flood). Its connections are dropped and the connection gater
 *   refuses it, in and out, until the ban expires. Repeat offenders get
 *   doubled bans, up to a ceiling, so a peer that keeps coming back pays more.
 * - strikes (`strike`): for things an honest peer can occasionally do, such as
 *   relaying a gossip message we then reject (it may know less than we do).
 *   They decay, and only lower the peer's gossipsub score, which past the
 *   thresholds stops gossip to it, then its publishes, then all its RPCs.
 *
 * And the other way round: a peer that refuses us (it banned us, rightly or
 * not) is not redialled at once. Every part of a node dials on its own (the
 * DHT, libp2p's reconnects, bootstrap, syncs, media fetches), and each try
 * costs the peer an inbound connection from our address, of which libp2p
 * takes only a few a second per address: a node that kept trying would
 * lock out everyone behind the same address (a household NAT). So after a
 * dial that did not connect, the next waits, twice as long after each
 * failure in a row, until the peer answers us on a connection (either way).
 *
 * Everything is in memory: a restart forgives, which is acceptable because
 * peer ids are cheap to make anyway; the point is to stop the damage now.
 */

export interface Penalty {
  readonly peer: string;
  readonly reason: string;
  /** Epoch ms; refused until then. */
  readonly until: number;
  /** How many bans this peer has earned while remembered; each doubles the next. */
  readonly offences: number;
}

export interface PeerPenaltiesOptions {
  /** First ban length. */
  baseBanMs?: number;
  /** Longest ban, and how long a past ban is remembered for doubling. */
  maxBanMs?: number;
  /** Strikes halve over this time. */
  strikeHalfLifeMs?: number;
  /** Peers remembered at most (per kind), so a swarm of fresh ids cannot exhaust memory. */
  maxTracked?: number;
  /** How long the next dial of a peer waits after one it did not answer; doubling after each, up to the maximum. */
  redialMinMs?: number;
  redialMaxMs?: number;
  now?: () => number;
}

interface BanRecord {
  reason: string;
  until: number;
  offences: number;
  /** Forget the record (and its doubling) after this. */
  forgetAt: number;
}

interface StrikeRecord {
  value: number;
  at: number;
}

interface RedialRecord {
  /** Dials in a row that the peer did not answer. */
  failures: number;
  /** No dial before this. */
  notBefore: number;
}

export class PeerPenalties {
  private readonly bans = new Map<string, BanRecord>();
  private readonly strikeRecords = new Map<string, StrikeRecord>();
  private readonly redials = new Map<string, RedialRecord>();
  private readonly redialMinMs: number;
  private readonly redialMaxMs: number;
  private readonly baseBanMs: number;
  private readonly maxBanMs: number;
  private readonly halfLifeMs: number;
  private readonly maxTracked: number;
  private readonly now: () => number;

  constructor(options: PeerPenaltiesOptions = {}) {
    this.baseBanMs = options.baseBanMs ?? PEER_BASE_BAN_MS;
    this.maxBanMs = options.maxBanMs ?? PEER_MAX_BAN_MS;
    this.halfLifeMs = options.strikeHalfLifeMs ?? PEER_STRIKE_HALF_LIFE_MS;
    this.maxTracked = options.maxTracked ?? PEER_MAX_TRACKED;
    this.redialMinMs = options.redialMinMs ?? PEER_REDIAL_MIN_MS;
    this.redialMaxMs = options.redialMaxMs ?? PEER_REDIAL_MAX_MS;
    this.now = options.now ?? Date.now;
  }

  /** Bans a peer; `durationMs` overrides the escalating default for this ban. */
  penalize(peer: PeerId | string, reason: string, durationMs?: number): Penalty {
    const id = String(peer);
    const now = this.now();
    const prev = this.bans.get(id);
    const offences = prev !== undefined && prev.forgetAt > now ? prev.offences + 1 : 1;
    const length = durationMs ?? Math.min(this.maxBanMs, this.baseBanMs * 2 ** Math.min(offences - 1, 30));
    const until = Math.max(now + length, prev !== undefined && prev.until > now ? prev.until : 0);
    this.bans.delete(id); // re-insert so Map order stays oldest-first for eviction
    this.bans.set(id, { reason, until, offences, forgetAt: Math.max(until, now + this.maxBanMs) });
    this.evict(this.bans, (r) => r.forgetAt <= now);
    return { peer: id, reason, until, offences };
  }

  /** The ban in force on a peer, if any. */
  penaltyOf(peer: PeerId | string): Penalty | undefined {
    const id = String(peer);
    const r = this.bans.get(id);
    if (r === undefined || r.until <= this.now()) return undefined;
    return { peer: id, reason: r.reason, until: r.until, offences: r.offences };
  }

  isDenied(peer: PeerId | string): boolean {
    return this.penaltyOf(peer) !== undefined;
  }

  /** Lifts a ban, clears strikes and the wait before redialling it (an operator's decision, or a test's): a clean slate. */
  forgive(peer: PeerId | string): void {
    this.bans.delete(String(peer));
    this.strikeRecords.delete(String(peer));
    this.redials.delete(String(peer));
  }

  /**
   * The owner asks to reach this peer now, at an address they gave (say, after
   * mistyping its port): the wait before redialling it is lifted, as the
   * back-off is for dials Kith makes on its own. A ban stays.
   */
  retryNow(peer: PeerId | string): void {
    this.redials.delete(String(peer));
  }

  /** How long dials to a peer that has been refusing us still wait (0: dial away). */
  redialWait(peer: PeerId | string): number {
    const r = this.redials.get(String(peer));
    return r === undefined ? 0 : Math.max(0, r.notBefore - this.now());
  }

  /**
   * A dial to the peer starts: until the peer answers on a connection (which
   * clears this), count it as refused. Whether the peer hung up once it saw
   * who we are (a ban), its libp2p turned us away before that (too many tries
   * from our address) or nothing answered, trying again at once would not do
   * better.
   */
  private dialling(peer: PeerId): void {
    const id = peer.toString();
    const now = this.now();
    const failures = (this.redials.get(id)?.failures ?? 0) + 1;
    this.redials.delete(id);
    this.redials.set(id, { failures, notBefore: now + backoffDelay(failures, this.redialMinMs, this.redialMaxMs) });
    this.evict(this.redials, (r) => r.notBefore <= now);
  }

  /**
   * The peer answered us on a connection (libp2p's identify, run on every new
   * one, either way): it does not refuse us. Not merely a connection that
   * opened: a dialler may see one open for a moment before the peer's gater
   * hangs up on it, as the stream muxer is chosen optimistically.
   */
  answered(peer: PeerId): void {
    this.redials.delete(peer.toString());
  }

  /** Every ban in force. */
  denied(): Penalty[] {
    const now = this.now();
    const out: Penalty[] = [];
    for (const [peer, r] of this.bans) if (r.until > now) out.push({ peer, reason: r.reason, until: r.until, offences: r.offences });
    return out;
  }

  /** Adds a decaying strike; returns the peer's current total. */
  strike(peer: PeerId | string, weight = 1): number {
    const id = String(peer);
    const now = this.now();
    const value = this.decayed(this.strikeRecords.get(id), now) + weight;
    this.strikeRecords.delete(id);
    this.strikeRecords.set(id, { value, at: now });
    this.evict(this.strikeRecords, (r) => this.decayed(r, now) < 0.01);
    return value;
  }

  strikes(peer: PeerId | string): number {
    return this.decayed(this.strikeRecords.get(String(peer)), this.now());
  }

  /**
   * gossipsub's application-specific score (P5, weighted 10 by default).
   * Strikes count quadratically, like gossipsub's own invalid-message term:
   * with the default thresholds a peer loses gossip after 4 recent strikes,
   * publishing to it after 8, and is graylisted (all its RPCs ignored) at 9.
   * A banned peer is graylisted outright.
   */
  gossipScore(peer: PeerId | string): number {
    if (this.isDenied(peer)) return -100;
    const s = this.strikes(peer);
    return -0.1 * s * s;
  }

  /**
   * Gater hooks that refuse banned peers at every point libp2p asks: before
   * dialling them, and once the handshake reveals who an inbound or outbound
   * connection really is (a banned peer may come from a new address). Always
   * by peer id, never by address: others may share a banned peer's address.
   * They also hold back dials to a peer that keeps refusing us (see above).
   */
  connectionGater(): ConnectionGater {
    return {
      denyDialPeer: (peerId) => {
        if (this.isDenied(peerId) || this.redialWait(peerId) > 0) return true;
        this.dialling(peerId);
        return false;
      },
      denyInboundEncryptedConnection: (peerId) => this.isDenied(peerId),
      denyOutboundEncryptedConnection: (peerId) => this.isDenied(peerId),
      denyInboundRelayReservation: (source) => this.isDenied(source),
      denyOutboundRelayedConnection: (source, destination) => this.isDenied(source) || this.isDenied(destination),
      denyInboundRelayedConnection: (relay, remotePeer) => this.isDenied(relay) || this.isDenied(remotePeer),
    };
  }

  private decayed(r: StrikeRecord | undefined, now: number): number {
    if (r === undefined) return 0;
    return r.value * 0.5 ** (Math.max(0, now - r.at) / this.halfLifeMs);
  }

  private evict<V>(map: Map<string, V>, stale: (v: V) => boolean): void {
    if (map.size <= this.maxTracked) return;
    for (const [k, v] of map) if (stale(v)) map.delete(k);
    // Still full of live records: drop the oldest, which have had longest to expire.
    for (const k of map.keys()) {
      if (map.size <= this.maxTracked) break;
      map.delete(k);
    }
  }
}

export interface DisconnectOptions {
  /** Ban length; default escalates from PeerPenalties' base. */
  durationMs?: number;
  log?: Logger;
}

/**
 * Hangs up on a misbehaving peer and keeps it out for a while: bans it (so
 * the gater refuses its redials and ours), then aborts every connection to
 * it. Abort, not close: a graceful close would wait on the very peer we no
 * longer trust. Callers holding one of its streams may reset that first to
 * stop reading at once; aborting the connection resets it anyway.
 */
export function disconnectPeer(host: KithHost, peer: PeerId, reason: string, options: DisconnectOptions = {}): Penalty {
  const penalty = host.services.penalties.penalize(peer, reason, options.durationMs);
  const connections = host.getConnections(peer);
  (options.log ?? silentLogger).warn(
    `peer ${peer.toString()} penalized (offence ${penalty.offences}): ${reason}; ` +
      `dropping ${connections.length} connection(s), refused until ${new Date(penalty.until).toISOString()}`,
  );
  const err = new Error(`misbehaving peer: ${reason}`);
  for (const conn of connections) conn.abort(err);
  return penalty;
}
