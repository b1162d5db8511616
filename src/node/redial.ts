import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { peerIdFromString } from '@libp2p/peer-id';
import type { PeerId } from '@libp2p/interface';
import { reasonOf, type Logger } from '../core/log.js';
import { backoffDelay } from '../core/backoff.js';
import { REDIAL } from '../core/constants.js';
import { actorId } from '../core/apid.js';
import { isJsonObject, type Did } from '../core/types.js';
import { parseBody } from '../store/objects.js';
import type { Follow } from '../store/follows.js';
import type { KithHost } from '../net/host.js';
import type { KithNode } from './kith-node.js';
import type { Discovery } from './discovery.js';
import type { Replication } from './replication.js';
import { short } from './network-log.js';

/**
 * Finding the way back. A node that restarts, or loses its connections, does
 * not wait to be contacted: for every person it follows whose node is not
 * connected, it dials what it knows of where their scope is — the address
 * given to `kith follow`, the addresses their actor document lists, the peers
 * that said they were that person's node or that a sync of the scope
 * completed with (the peer table), and, once anyone at all is connected,
 * whoever the DHT names. Each candidate that fails waits longer before the
 * next try (core/backoff.ts), so a person whose node is gone costs a dial
 * every few minutes, not a stream of them. A new connection starts a sync of
 * everything followed (see Replication), which resumes whatever a crash or a
 * lost connection cut short: what arrived stays, and reconciliation finds
 * the rest.
 *
 * Rounds run at start, a moment after a peer that kept a followed scope in
 * reach drops, when a waiting candidate is due, and with the periodic
 * resync; when every followed scope is in reach (see runRound), nothing
 * runs. Other peers that hold a followed scope come and go all the time (a
 * swarm's DHT walks, contact syncs), and their drops only call for a round
 * that waits for the last one to be QUIET_GAP_MS old: a round reads every
 * follow's candidates, and fifty of them a second would be a node's busiest work.
 */

interface Candidate {
  /** The peer id when known, else the address: what failures are counted by. */
  readonly key: string;
  readonly peer: PeerId | undefined;
  readonly addrs: readonly Multiaddr[];
  /** The followed person's own node (by the follow's address, their actor document, or what it said it was), not a peer holding a copy. */
  readonly theirs: boolean;
}

/** Bounds the holders remembered between rounds; each round starts the set afresh. */
const MAX_REMEMBERED_HOLDERS = 10_000;
/** Parsed addresses kept between rounds: each round reads the same few hundred again. */
const MAX_PARSED_ADDRESSES = 4096;

/** An address as candidatesFor needs it, or why it is no use. */
type ParsedAddress = { readonly ma: Multiaddr; readonly id: string | undefined } | { readonly error: string };

interface Failures {
  count: number;
  /** Epoch ms before which this candidate is not tried again. */
  next: number;
}

export class Redial {
  private readonly failures = new Map<string, Failures>();
  /** Peers known to hold a followed scope (candidates of the last round, and peers a followed scope was synced with since). */
  private readonly holders = new Set<string>();
  /** Connected peers that kept a followed scope in reach at the last round: losing one calls for a round at once. */
  private coverers = new Set<string>();
  /** When the last round began (epoch ms). */
  private lastRoundAt = 0;
  private readonly parsed = new Map<string, ParsedAddress>();
  /** Per person, the digest of the actor document last read and the peer addresses it lists. */
  private readonly advertisedCache = new Map<Did, { digest: string; addrs: string[] }>();
  private timer: NodeJS.Timeout | undefined;
  /** When the pending timer fires (epoch ms). */
  private timerAt = 0;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly node: KithNode,
    private readonly host: KithHost,
    private readonly log: Logger,
    private readonly discovery: Discovery,
    private readonly replication: Replication,
  ) {}

  start(): void {
    // Only the loss of a peer that holds something followed calls for a round; DHT peers come and go all the time.
    this.host.addEventListener('peer:disconnect', (evt) => {
      const peer = evt.detail.toString();
      if (this.coverers.has(peer)) this.soon(REDIAL.AFTER_DROP_MS);
      else if (this.holders.has(peer)) this.soon(Math.max(REDIAL.AFTER_DROP_MS, this.lastRoundAt + REDIAL.QUIET_GAP_MS - Date.now()));
    });
    this.soon(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** A peer served a followed scope: losing it later starts a round. */
  noteHolder(peer: PeerId): void {
    if (this.holders.size < MAX_REMEMBERED_HOLDERS) this.holders.add(peer.toString());
  }

  /** Runs a round after `delayMs`, unless one is due sooner. */
  soon(delayMs: number): void {
    if (this.stopped) return;
    const at = Date.now() + delayMs;
    if (this.timer !== undefined && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.round();
    }, delayMs);
    this.timer.unref();
  }

  /** One round; a round asked for while one runs follows it, so a drop during a round is not missed. Never throws. */
  async round(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.runRound()
      .catch((e: unknown) => {
        if (this.host.status === 'started') this.log.warn(`finding the way back to followed peers failed: ${reasonOf(e)}`);
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.soon(0);
        }
      });
    return this.running;
  }

  /**
   * Which scopes need a dial, and to whom. A scope is in reach when its
   * person's own node is connected: peers holding copies may be as cut off as
   * this node (two halves of a network each syncing among themselves). Copies
   * do when the person's node is not known at all, or when this node already
   * has as many connections as redialling may open. With nobody connected who
   * holds the scope, any holder is worth a dial.
   */
  private async runRound(): Promise<void> {
    if (this.stopped || this.host.status !== 'started') return;
    this.lastRoundAt = Date.now();
    const connected = new Set(this.host.getPeers().map((p) => p.toString()));
    const crowded = connected.size >= REDIAL.CONNECTION_BUDGET;
    const isConnected = (c: Candidate): boolean => c.peer !== undefined && connected.has(c.key);
    const uncovered: { follow: Follow; candidates: Candidate[]; holderConnected: boolean }[] = [];
    const known = new Set<string>();
    const coverers = new Set<string>();
    this.holders.clear();
    for (const follow of this.node.following()) {
      const candidates = this.candidatesFor(follow);
      known.add(`dht ${follow.scope}`);
      for (const c of candidates) {
        known.add(c.key);
        if (c.peer !== undefined) this.noteHolder(c.peer);
      }
      const theirs = candidates.filter((c) => c.theirs);
      const holderConnected = candidates.some(isConnected);
      if (theirs.some(isConnected)) {
        for (const c of theirs) if (isConnected(c)) coverers.add(c.key);
        continue;
      }
      if (holderConnected && (theirs.length === 0 || crowded)) {
        for (const c of candidates) if (isConnected(c)) coverers.add(c.key);
        continue;
      }
      uncovered.push({ follow, candidates: holderConnected ? theirs : candidates, holderConnected });
    }
    this.coverers = coverers;
    // Failures of candidates nobody needs any more (an unfollowed person's node) are forgotten.
    for (const key of this.failures.keys()) if (!known.has(key)) this.failures.delete(key);
    if (uncovered.length === 0) return;

    // Each candidate once per round, however many of the uncovered scopes it may hold.
    const due = new Map<string, Candidate>();
    const now = Date.now();
    for (const { candidates } of uncovered) {
      for (const c of candidates) {
        if (due.has(c.key) || (c.peer !== undefined && this.host.services.penalties.isDenied(c.peer))) continue;
        if ((this.failures.get(c.key)?.next ?? 0) <= now) due.set(c.key, c);
      }
    }
    const queue = [...due.values()];
    const reached = new Set<string>();
    const worker = async (): Promise<void> => {
      for (let c = queue.shift(); c !== undefined && !this.stopped; c = queue.shift()) {
        const peer = await this.dial(c);
        if (peer === undefined) continue;
        reached.add(c.key).add(peer.toString());
        this.noteHolder(peer);
        // Already connected (an address without a peer id led to a peer we had): no new contact starts a sync, so start it here.
        if (connected.has(peer.toString())) {
          this.replication.catchUp(peer).catch((e: unknown) => this.log.info(`syncing with ${short(peer.toString())} failed: ${reasonOf(e)}`));
        }
      }
    };
    await Promise.all(Array.from({ length: REDIAL.CONCURRENCY }, worker));

    // Nobody known answered for these, and nobody holding them is here: ask the DHT, which needs someone connected to ask.
    const stillUncovered = uncovered.filter(({ candidates, holderConnected }) => !holderConnected && !candidates.some((c) => reached.has(c.key)));
    if (stillUncovered.length > 0 && this.host.getPeers().length > 0) await this.askDht(stillUncovered.map((u) => u.follow));
    this.scheduleNext();
  }

  /** Dials a candidate; the peer reached, or undefined (and the failure counted). */
  private async dial(c: Candidate): Promise<PeerId | undefined> {
    try {
      let conn;
      if (c.peer !== undefined) {
        await this.host.peerStore.merge(c.peer, { multiaddrs: [...c.addrs] });
        conn = await this.host.dial(c.peer, { signal: AbortSignal.timeout(REDIAL.DIAL_TIMEOUT_MS) });
      } else {
        conn = await this.host.dial(c.addrs[0]!, { signal: AbortSignal.timeout(REDIAL.DIAL_TIMEOUT_MS) });
      }
      this.failures.delete(c.key);
      this.log.info(`found the way back to ${short(conn.remotePeer.toString())} at ${conn.remoteAddr.toString()}`);
      return conn.remotePeer;
    } catch (e) {
      if (this.stopped || this.host.status !== 'started') return undefined;
      const count = (this.failures.get(c.key)?.count ?? 0) + 1;
      const wait = backoffDelay(count, REDIAL.MIN_MS, REDIAL.MAX_MS);
      this.failures.set(c.key, { count, next: Date.now() + wait });
      this.log.info(`could not reach ${c.peer !== undefined ? short(c.key) : c.key} (try ${count}; next in ${Math.round(wait / 1000)} s): ${reasonOf(e)}`);
      return undefined;
    }
  }

  private async askDht(follows: readonly Follow[]): Promise<void> {
    const now = Date.now();
    const due = follows.filter((f) => (this.failures.get(`dht ${f.scope}`)?.next ?? 0) <= now).slice(0, REDIAL.DHT_LOOKUPS);
    await Promise.all(
      due.map(async (f) => {
        const key = `dht ${f.scope}`;
        const holders = await this.discovery.findScopeHolders(f.scope);
        const synced = (await Promise.all(holders.map((p) => this.replication.syncWith(p, [f.scope])))).flat();
        for (const p of holders) this.noteHolder(p);
        if (synced.some((s) => s.ok)) {
          this.failures.delete(key);
        } else {
          const count = (this.failures.get(key)?.count ?? 0) + 1;
          this.failures.set(key, { count, next: Date.now() + backoffDelay(count, REDIAL.MIN_MS, REDIAL.MAX_MS) });
        }
      }),
    );
  }

  /** Wakes for the earliest candidate still waiting; none waiting, no timer (drops and the periodic resync start rounds). */
  private scheduleNext(): void {
    let next = Infinity;
    for (const f of this.failures.values()) next = Math.min(next, f.next);
    if (next !== Infinity) this.soon(Math.max(0, next - Date.now()));
  }

  /** Where a followed person's scope may be had, best first, deduplicated by peer (or by address when no peer id is known). */
  private candidatesFor(follow: Follow): Candidate[] {
    const byKey = new Map<string, { peer: PeerId | undefined; addrs: Multiaddr[]; theirs: boolean }>();
    const add = (addr: string, theirs: boolean, peerHint?: string): void => {
      const parsed = this.parse(addr);
      if ('error' in parsed) {
        this.log.debug(`ignoring the address ${addr.slice(0, 100)} known for ${short(follow.did)}: ${parsed.error}`);
        return;
      }
      const { ma } = parsed;
      const id = parsed.id ?? peerHint;
      if (id === this.host.peerId.toString()) return;
      let peer: PeerId | undefined;
      try {
        peer = id === undefined ? undefined : peerIdFromString(id);
      } catch (e) {
        this.log.debug(`ignoring the peer id in ${addr.slice(0, 100)}: ${reasonOf(e)}`);
        return;
      }
      const key = peer?.toString() ?? ma.toString();
      const entry = byKey.get(key) ?? { peer, addrs: [], theirs };
      entry.theirs ||= theirs;
      if (entry.addrs.length < REDIAL.ADDRESSES_PER_PEER && !entry.addrs.some((a) => a.equals(ma))) entry.addrs.push(ma);
      byKey.set(key, entry);
    };
    if (follow.hint !== null) add(follow.hint, true);
    for (const a of this.advertised(follow.did)) add(a, true);
    for (const p of this.node.store.peers.holdersOf(follow.did, follow.scope, REDIAL.HOLDERS_PER_SCOPE)) {
      for (const a of p.addrs.slice(0, REDIAL.ADDRESSES_PER_PEER)) add(a, p.did === follow.did, p.peerId);
    }
    // Their own node first: it has everything they posted.
    const all = [...byKey.entries()].map(([key, { peer, addrs, theirs }]) => ({ key, peer, addrs, theirs }));
    return [...all.filter((c) => c.theirs), ...all.filter((c) => !c.theirs)].slice(0, REDIAL.PER_PERSON);
  }

  /** An address and the peer id in it, parsed once and kept (bounded) for later rounds. */
  private parse(addr: string): ParsedAddress {
    let p = this.parsed.get(addr);
    if (p !== undefined) return p;
    try {
      const ma = multiaddr(addr);
      p = { ma, id: ma.getComponents().find((c) => c.name === 'p2p')?.value };
    } catch (e) {
      p = { error: reasonOf(e) };
    }
    if (this.parsed.size >= MAX_PARSED_ADDRESSES) this.parsed.clear();
    this.parsed.set(addr, p);
    return p;
  }

  /** The peer addresses a person's newest stored actor document lists (`endpoints.kithPeers`), read again only when it changes. */
  private advertised(did: Did): string[] {
    const stored = this.node.store.objects.byId(actorId(did));
    if (stored === undefined) return [];
    const kept = this.advertisedCache.get(did);
    if (kept !== undefined && kept.digest === stored.digest) return kept.addrs;
    const actor = parseBody(stored);
    const peers = isJsonObject(actor.endpoints) ? actor.endpoints.kithPeers : undefined;
    const addrs = Array.isArray(peers) ? peers.filter((a): a is string => typeof a === 'string').slice(0, REDIAL.ADDRESSES_PER_PEER) : [];
    if (this.advertisedCache.size >= MAX_REMEMBERED_HOLDERS) this.advertisedCache.clear();
    this.advertisedCache.set(did, { digest: stored.digest, addrs });
    return addrs;
  }
}
